/* io.c: the job's I/O counters from /proc/PID/io (hr_run_read_io). */
#include <string.h>

#include "core/util/fsroot.h"
#include "core/util/parse.h"
#include "run/run_internal.h"

/* One "key: value" counter of an io file, as a reading in bytes. */
static hr_reading counter(const char *buf, size_t n, const char *key) {
    int64_t v = 0;
    hr_status s = hr__kv_find_i64(buf, n, key, &v);
    if (s == HR_ENOENT)
        return hr__unknown(HR_WHY_NOT_SUPPORTED, 0);
    if (s != HR_OK || v < 0)
        return hr__unknown(HR_WHY_UNREADABLE, 0);
    return hr__known(v);
}

hr_status hr_run_read_io(const hr_run *run, hr_reading *rchar_bytes, hr_reading *read_bytes) {
    if (!run || !rchar_bytes || !read_bytes)
        return HR_EINVAL;
    char rel[48], buf[1024];
    hr__snprintf(rel, sizeof rel, "proc/%d/io", (int)run->pid);
    size_t n = 0;
    int err = 0;
    if (run->pid <= 0 || hr__fs_read(run->ctx, rel, buf, sizeof buf, &n, &err) != HR_OK) {
        hr_why why = run->pid <= 0 ? HR_WHY_VANISHED : hr__why_from_errno(err);
        *rchar_bytes = hr__unknown(why, err);
        *read_bytes = hr__unknown(why, err);
        return HR_OK;
    }
    *rchar_bytes = counter(buf, n, "rchar");
    *read_bytes = counter(buf, n, "read_bytes");
    return HR_OK;
}
