/* test_plan_render.c: the JSON of each plan parses, carries bytes and
 * reasons, lists unknown readings under "unknown" instead of writing 0,
 * and the text adds colour only when asked. */
#include <jansson.h>

#include "harness/hr_test.h"

#include "headroom/hr_plan.h"

#define GIB (1024LL * 1024 * 1024)

static json_t *parse(char *text) {
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!j)
        fail_msg("bad JSON at %d:%d: %s", je.line, je.column, je.text);
    hr_free(text);
    return j;
}

static void test_plan_render_model_json(void **state) {
    (void)state;
    hr_plan_device d;
    assert_int_equal(hr_plan_device_assume(HR_ACCEL_MPS, 16 * GIB, -1, 0, &d, NULL), HR_OK);
    hr_plan_model_facts f;
    hr_plan_model_facts_init(&f);
    assert_int_equal(hr_plan_model_facts_from_id(&f, "Qwen/Qwen2.5-3B-Instruct", NULL), HR_OK);
    static hr_plan_model_result r;
    assert_int_equal(hr_plan_model(&f, &d, NULL, &r, NULL), HR_OK);
    char *text = NULL;
    assert_int_equal(hr_plan_model_to_json(&r, 2, &text), HR_OK);
    json_t *j = parse(text);
    assert_string_equal(json_string_value(json_object_get(j, "schema")), "headroom.plan.model/1");
    assert_string_equal(json_string_value(json_object_get(j, "verdict")), "fits");
    json_t *dec = json_object_get(j, "decision");
    assert_string_equal(json_string_value(json_object_get(dec, "device")), "mps");
    assert_string_equal(json_string_value(json_object_get(dec, "dtype")), "fp16");
    assert_string_equal(json_string_value(json_object_get(dec, "quantization")), "none");
    assert_true(json_string_length(json_object_get(json_object_get(dec, "reasons"), "dtype")) > 0);
    json_t *model = json_object_get(j, "model");
    assert_int_equal(json_integer_value(json_object_get(model, "params")), 3000000000LL);
    /* Unknown model facts are absent and named in "unknown". */
    assert_null(json_object_get(model, "layers"));
    assert_string_equal(json_string_value(json_object_get(json_object_get(model, "unknown"), "layers")),
                        "absent");
    json_t *mem = json_object_get(j, "memory");
    assert_int_equal(json_array_size(json_object_get(mem, "items")), 5);
    assert_int_equal(json_integer_value(json_object_get(mem, "budget_bytes")),
                     hr_plan_apple_working_set_bytes(16 * GIB));
    assert_int_equal(json_array_size(json_object_get(j, "options")), 5);
    json_decref(j);
}

static void test_plan_render_unknown_budget_json(void **state) {
    (void)state;
    hr_plan_device d;
    hr_plan_device_init(&d);
    d.kind = HR_ACCEL_CPU;
    strcpy(d.torch_device, "cpu");
    d.budget_bytes = (hr_reading){0, HR_WHY_NO_PERMISSION, 13};
    hr_plan_cache_req q;
    hr_plan_cache_req_init(&q);
    q.count = 10;
    q.height_px = q.width_px = 8;
    hr_plan_cache_result r;
    assert_int_equal(hr_plan_cache(&d, &q, &r, NULL), HR_OK);
    char *text = NULL;
    assert_int_equal(hr_plan_cache_to_json(&r, 0, &text), HR_OK);
    json_t *j = parse(text);
    assert_true(json_is_null(json_object_get(j, "budget_bytes")));
    assert_string_equal(json_string_value(json_object_get(j, "placement")), "unknown");
    json_t *dev = json_object_get(j, "device");
    assert_null(json_object_get(dev, "budget_bytes"));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(dev, "unknown"), "budget_bytes")),
        "no_permission");
    assert_int_equal(json_integer_value(json_object_get(j, "cache_bytes")), 10 * 3 * 8 * 8 * 4);
    json_decref(j);
}

static void test_plan_render_diffusion_json_and_text(void **state) {
    (void)state;
    hr_plan_dconf *c = NULL;
    assert_int_equal(hr_plan_dconf_new(&c), HR_OK);
    assert_int_equal(hr_plan_dconf_set(c, "max_image_size", "768x768", "--max-size", NULL), HR_OK);
    hr_plan_device d;
    assert_int_equal(hr_plan_device_assume(HR_ACCEL_CUDA, 24 * GIB, -1, 1, &d, NULL), HR_OK);
    hr_plan_diffusion_req q;
    hr_plan_diffusion_req_init(&q);
    q.width_px = q.height_px = 2048;
    q.pipeline = HR_PIPE_SDXL;
    static hr_plan_diffusion_result r;
    assert_int_equal(hr_plan_diffusion(c, &d, &q, &r, NULL), HR_OK);
    char *text = NULL;
    assert_int_equal(hr_plan_diffusion_to_json(&r, c, 1, 2, &text), HR_OK);
    json_t *j = parse(text);
    json_t *size = json_object_get(j, "size");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(size, "planned"), 0)), 768);
    assert_string_equal(json_string_value(json_object_get(size, "action")), "scaled");
    assert_int_equal(json_array_size(json_object_get(j, "savers")), 13);
    json_t *cfg = json_object_get(j, "config");
    assert_int_equal(json_array_size(json_object_get(cfg, "layers")), 2);
    json_t *set = json_object_get(json_object_get(cfg, "settings"), "max_image_sizes.cuda.low");
    assert_string_equal(json_string_value(json_object_get(set, "origin")), "--max-size");
    json_decref(j);
    assert_int_equal(hr_plan_diffusion_to_text(&r, c, 1, 0, &text), HR_OK);
    assert_non_null(strstr(text, "2048x2048 -> 768x768"));
    assert_non_null(strstr(text, "configuration layers"));
    assert_null(strstr(text, "\033["));
    hr_free(text);
    assert_int_equal(hr_plan_diffusion_to_text(&r, c, 0, 1, &text), HR_OK);
    assert_non_null(strstr(text, "\033[32mfits\033[0m"));
    assert_null(strstr(text, "configuration layers"));
    hr_free(text);
    hr_plan_dconf_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_render_model_json),
        cmocka_unit_test(test_plan_render_unknown_budget_json),
        cmocka_unit_test(test_plan_render_diffusion_json_and_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
