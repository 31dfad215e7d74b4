/* config_file.c: reads a diffusion config file (I/O) and applies it with
 * the pure JSON layer. */
#include <fcntl.h>
#include <stdlib.h>

#include "plan/dconf.h"

#define MAX_CONFIG_BYTES (1024 * 1024)

hr_status hr_plan_dconf_load_file(hr_plan_dconf *c, const char *path, hr_plan_error *err) {
    if (!c || !path)
        return HR_EINVAL;
    char *text = NULL;
    size_t len = 0;
    hr_status s = hr__plan_read_small(AT_FDCWD, "", path, MAX_CONFIG_BYTES, &text, &len, err);
    if (s != HR_OK) {
        if (err && !err->hint[0])
            hr__strlcpy(err->hint, "give a readable JSON file with --config or HEADROOM_CONFIG",
                        sizeof err->hint);
        return s;
    }
    s = hr_plan_dconf_apply_json(c, text, len, path, err);
    free(text);
    return s;
}
