/* fuzz_plan_sizes.c: the planner's input parsers on arbitrary bytes:
 * memory sizes, parameter counts, image sizes, dtypes, model ids, and the
 * same bytes as a safetensors header, a config.json and a shard index.
 *
 * Beyond "no crash, no leak, no UB": an accepted size is within the
 * documented range, a refused one leaves the output untouched, and facts
 * are never known with a zero or negative count. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "headroom/hr_plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok) {
    if (!ok)
        abort();
}

static void parsers(const char *s) {
    int64_t v = -7;
    if (hr_plan_parse_bytes(s, &v, NULL) == HR_OK)
        check(v > 0 && v <= (1LL << 50));
    else
        check(v == -7);
    v = -7;
    if (hr_plan_parse_params(s, &v, NULL) == HR_OK)
        check(v >= 1000 && v <= 100000000000000LL);
    else
        check(v == -7);
    int32_t w = -1, h = -1;
    if (hr_plan_parse_image_size(s, &w, &h, NULL) == HR_OK)
        check(w >= 1 && h >= 1 && w <= 65536 && h <= 65536);
    int32_t dt = -1;
    hr_plan_parse_dtype(s, &dt, NULL);
    hr_plan_model_facts f;
    hr_plan_model_facts_init(&f);
    if (hr_plan_model_facts_from_id(&f, s, NULL) == HR_OK && HR_IS_KNOWN(f.params))
        check(f.params.v >= 1000);
}

static void files(const uint8_t *data, size_t size) {
    hr_plan_model_facts f;
    hr_plan_model_facts_init(&f);
    hr_plan_model_facts_add_safetensors(&f, data, size, "fuzz.safetensors", NULL);
    hr_plan_model_facts_from_config(&f, (const char *)data, size, "config.json", NULL);
    hr_plan_model_facts_from_index(&f, (const char *)data, size, "index.json", NULL);
    check(!HR_IS_KNOWN(f.params) || f.params.v >= 0);
    check(!HR_IS_KNOWN(f.layers) || f.layers.v > 0);
    check(!HR_IS_KNOWN(f.checkpoint_bytes) || f.checkpoint_bytes.v >= 0);
    if (HR_IS_KNOWN(f.params) && f.params.v > 0) {
        hr_plan_device d;
        check(hr_plan_device_assume(HR_ACCEL_CUDA, 24LL << 30, -1, 2, &d, NULL) == HR_OK);
        static hr_plan_model_result r;
        if (hr_plan_model(&f, &d, NULL, &r, NULL) == HR_OK)
            check(r.verdict >= HR_VERDICT_FITS && r.verdict <= HR_VERDICT_NO_FIT);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    parsers(s);
    free(s);
    files(data, size);
    return 0;
}
