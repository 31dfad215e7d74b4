/* fuzz_plan_config.c: the diffusion config layers on arbitrary bytes: the
 * JSON file layer, the environment layer (one NAME=VALUE per line) and the
 * flag layer (KEY=VALUE on the first line), then a plan on the result.
 *
 * Beyond "no crash, no leak, no UB": a refused layer leaves the handle
 * exactly as it was, and any plan that succeeds has a planned size within
 * its cap's area rule and sides that are multiples of 8. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "headroom/hr_plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok) {
    if (!ok)
        abort();
}

/* Splits a copy of the input into lines; at most 32 "env" entries. */
static size_t lines(char *text, const char **env, size_t cap) {
    size_t n = 0;
    char *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l && n + 1 < cap; l = strtok_r(NULL, "\n", &save))
        env[n++] = l;
    env[n] = NULL;
    return n;
}

static void plan_checks(const hr_plan_dconf *c) {
    hr_plan_device d;
    if (hr_plan_device_assume(HR_ACCEL_MPS, 16LL << 30, 8LL << 30, 0, &d, NULL) != HR_OK)
        abort();
    hr_plan_diffusion_req q;
    hr_plan_diffusion_req_init(&q);
    q.width_px = 2048;
    q.height_px = 1536;
    q.pipeline = HR_PIPE_SDXL;
    static hr_plan_diffusion_result r;
    if (hr_plan_diffusion(c, &d, &q, &r, NULL) != HR_OK)
        return;
    check(r.out_w_px % 8 == 0 && r.out_h_px % 8 == 0 && r.out_w_px >= 8 && r.out_h_px >= 8);
    if (r.size_action == HR_SIZE_SCALED)
        check((int64_t)r.out_w_px * r.out_h_px <= 2LL * r.max_w_px * r.max_h_px + 16 * 4096);
    else
        check(r.out_w_px == 2048 && r.out_h_px == 1536);
    char *text = NULL;
    check(hr_plan_diffusion_to_json(&r, c, 1, 0, &text) == HR_OK);
    hr_free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hr_plan_dconf *c = NULL;
    if (hr_plan_dconf_new(&c) != HR_OK)
        return 0;
    char *before = NULL, *after = NULL;
    hr_plan_dconf_to_json(c, 0, &before);
    if (hr_plan_dconf_apply_json(c, (const char *)data, size, "fuzz.json", NULL) != HR_OK) {
        hr_plan_dconf_to_json(c, 0, &after);
        check(before && after && strcmp(before, after) == 0);
        hr_free(after);
    }
    hr_free(before);
    char *text = malloc(size + 1);
    if (text) {
        memcpy(text, data, size);
        text[size] = '\0';
        const char *env[33];
        size_t n = lines(text, env, 33);
        hr_plan_dconf_apply_env(c, env, NULL);
        const char *eq = n ? strchr(env[0], '=') : NULL;
        if (eq) {
            char key[128];
            size_t k = (size_t)(eq - env[0]) < sizeof key - 1 ? (size_t)(eq - env[0]) : sizeof key - 1;
            memcpy(key, env[0], k);
            key[k] = '\0';
            hr_plan_dconf_set(c, key, eq + 1, "--set", NULL);
        }
        free(text);
    }
    plan_checks(c);
    hr_plan_dconf_free(c);
    return 0;
}
