/* cmd_probe.c: `headroom probe`. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_probe(int argc, char **argv) {
    (void)argc;
    (void)argv;
    hr_ctx *ctx = NULL;
    if (hr_ctx_new(&ctx) != HR_OK)
        return HR_EXIT_FAIL;
    hr_probe *p = NULL;
    hr_status s = hr_probe_open(ctx, &p);
    if (s != HR_OK) {
        cli_error("probe", hr_ctx_last_error(ctx), NULL);
        hr_ctx_free(ctx);
        return HR_EXIT_FAIL;
    }
    for (size_t i = 0; i < p->nsources; i++)
        printf("%-12s %s\n", p->sources[i].name, p->sources[i].detail);
    hr_probe_free(p);
    hr_ctx_free(ctx);
    return HR_EXIT_OK;
}
