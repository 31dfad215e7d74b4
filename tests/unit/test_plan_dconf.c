/* test_plan_dconf.c: the diffusion configuration layers: defaults (seed
 * 002's code tables) -> JSON file -> environment -> flags. Pins the seed's
 * defects: defaults mutated by a plan (its own test leaked 1024x1024),
 * invalid env values read as false, bad files ignored with a warning, and
 * the documented DIFFUSIONAPI_ENABLE_CPU_OFFLOAD that did nothing. */
#include "harness/hr_test.h"

#include "headroom/hr_plan.h"
#include "plan/dconf.h"

static const char *config(const char *name) {
    static char path[4096];
    snprintf(path, sizeof path, "%s/plan/configs/%s", HR_FIXTURES, name);
    return path;
}

static hr_plan_dconf *fresh(void) {
    hr_plan_dconf *c = NULL;
    assert_int_equal(hr_plan_dconf_new(&c), HR_OK);
    return c;
}

static const hr__dc_val *get(const hr_plan_dconf *c, const char *path) {
    const hr__dc_val *v = hr__dconf_get(c, path);
    if (!v)
        fail_msg("no setting %s", path);
    return v;
}

static int side(const hr_plan_dconf *c, const char *dev, const char *level) {
    char p[96];
    snprintf(p, sizeof p, "max_image_sizes.%s.%s", dev, level);
    return get(c, p)->w;
}

static void test_plan_dconf_defaults_are_seed_code_tables(void **state) {
    (void)state;
    hr_plan_dconf *c = fresh();
    static const char *levels[] = {"very_low", "low", "medium", "high", "very_high"};
    static const int mps[] = {768, 1024, 1536, 2048, 3072}, cuda[] = {1024, 1536, 2048, 3072, 4096},
                     cpu[] = {512, 768, 1024, 1536, 2048}, th[] = {6, 12, 18, 24, 32};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(side(c, "mps", levels[i]), mps[i]);
        assert_int_equal(side(c, "cuda", levels[i]), cuda[i]);
        assert_int_equal(side(c, "cpu", levels[i]), cpu[i]);
        char p[64];
        snprintf(p, sizeof p, "memory_thresholds.%s", levels[i]);
        assert_true(get(c, p)->num == th[i]);
        assert_string_equal(hr__dconf_origin(c, p), "default");
    }
    assert_true(get(c, "optimizations.enable_sequential_cpu_offload")->num == 0);
    assert_true(get(c, "optimizations.reduce_vae_sample_size")->num == 0);
    assert_true(get(c, "optimizations.enable_model_cpu_offload")->num == 1);
    assert_true(get(c, "device_settings.cpu.dtype")->num == HR_DTYPE_FP32);
    assert_true(get(c, "device_settings.cuda.max_concurrent_models")->num == 2);
    assert_true(get(c, "device_settings.cpu.tile_size")->num == 256);
    assert_true(get(c, "hires_settings.max_upscale_factor.cuda")->num == 8);
    assert_int_equal(hr__dc_ndefs, 67);
    hr_plan_dconf_free(c);
}

static void test_plan_dconf_file_layer(void **state) {
    (void)state;
    hr_plan_dconf *c = fresh();
    hr_plan_error e = {{0}};
    assert_int_equal(hr_plan_dconf_load_file(c, config("seed002-doc-example.json"), &e), HR_OK);
    assert_int_equal(side(c, "mps", "low"), 768);
    assert_int_equal(side(c, "mps", "very_high"), 1536);
    assert_int_equal(side(c, "cuda", "low"), 1536); /* not in the file: unchanged */
    assert_non_null(strstr(hr__dconf_origin(c, "max_image_sizes.mps.low"), "seed002-doc-example"));
    assert_string_equal(hr__dconf_origin(c, "max_image_sizes.cuda.low"), "default");
    int found = 0;
    for (size_t i = 0; i < hr_plan_dconf_explain_count(c); i++)
        found |= strstr(hr_plan_dconf_explain_line(c, i), "max_image_sizes.mps.low = 768x768 (was "
                        "1024x1024 from default)") != NULL;
    assert_true(found);
    hr_plan_dconf_free(c);
}

static void test_plan_dconf_env_layer_and_aliases(void **state) {
    (void)state;
    hr_plan_dconf *c = fresh();
    const char *env[] = {"PATH=/bin",
                         "HEADROOM_ENABLE_VAE_TILING=0",
                         "DIFFUSIONAPI_ENABLE_VAE_TILING=true", /* alias: HEADROOM_ wins */
                         "DIFFUSIONAPI_ENABLE_CPU_OFFLOAD=false", /* documented, dead in the seed */
                         "DIFFUSIONAPI_ENABLE_ATTENTION_SLICING=False",
                         "DIFFUSIONAPI_MAX_IMAGE_SIZE=1024x1024",
                         "DIFFUSIONAPI_MODELS_DIR=/models", /* unrelated seed variable */
                         "HEADROOM_ROOT=/", NULL};
    hr_plan_error e = {{0}};
    assert_int_equal(hr_plan_dconf_apply_env(c, env, &e), HR_OK);
    assert_true(get(c, "optimizations.enable_vae_tiling")->num == 0);
    assert_string_equal(hr__dconf_origin(c, "optimizations.enable_vae_tiling"),
                        "env HEADROOM_ENABLE_VAE_TILING");
    assert_true(get(c, "optimizations.enable_model_cpu_offload")->num == 0);
    assert_string_equal(hr__dconf_origin(c, "optimizations.enable_model_cpu_offload"),
                        "env DIFFUSIONAPI_ENABLE_CPU_OFFLOAD");
    assert_true(get(c, "optimizations.enable_attention_slicing")->num == 0);
    assert_int_equal(side(c, "mps", "very_high"), 1024);
    assert_int_equal(side(c, "cpu", "very_low"), 1024);
    hr_plan_dconf_free(c);
}

static void test_plan_dconf_env_errors_name_the_variable(void **state) {
    (void)state;
    const struct {
        const char *var;
        const char *why;
    } bad[] = {
        {"HEADROOM_ENABLE_VAE_TILING=yes", "not a boolean"},
        {"DIFFUSIONAPI_ENABLE_VAE_SLICING=", "empty"},
        {"HEADROOM_MAX_IMAGE_SIZE=12x", "not WxH"},
        {"DIFFUSIONAPI_MAX_IMAGE_SIZE=1004x1000", "multiple of 8"},
        {"HEADROOM_ENABLE_VAE_TILNG=1", "no such option"},
        {"DIFFUSIONAPI_REDUCE_VAE_SIZE=true", "no such option"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        hr_plan_dconf *c = fresh();
        const char *env[] = {"HEADROOM_ENABLE_ATTENTION_SLICING=false", bad[i].var, NULL};
        hr_plan_error e = {{0}};
        assert_int_equal(hr_plan_dconf_apply_env(c, env, &e), HR_EINVAL);
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(bad[i].var, "="), bad[i].var);
        assert_string_equal(e.what, name);
        if (!strstr(e.why, bad[i].why))
            fail_msg("%s: %s", bad[i].var, e.why);
        /* The failing layer left everything as it was. */
        assert_true(get(c, "optimizations.enable_attention_slicing")->num == 1);
        assert_int_equal(hr_plan_dconf_explain_count(c), 1);
        hr_plan_dconf_free(c);
    }
}

static void test_plan_dconf_precedence(void **state) {
    (void)state;
    hr_plan_dconf *c = fresh();
    hr_plan_error e = {{0}};
    assert_int_equal(hr_plan_dconf_load_file(c, config("disable-tiling.json"), &e), HR_OK);
    assert_true(get(c, "optimizations.enable_vae_tiling")->num == 0);
    const char *env[] = {"HEADROOM_ENABLE_VAE_TILING=1", NULL};
    assert_int_equal(hr_plan_dconf_apply_env(c, env, &e), HR_OK);
    assert_true(get(c, "optimizations.enable_vae_tiling")->num == 1);
    assert_int_equal(hr_plan_dconf_set(c, "optimizations.enable_vae_tiling", "false", "--disable "
                                       "enable_vae_tiling", &e), HR_OK);
    assert_true(get(c, "optimizations.enable_vae_tiling")->num == 0);
    assert_string_equal(hr__dconf_origin(c, "optimizations.enable_vae_tiling"),
                        "--disable enable_vae_tiling");
    /* The explanation shows each layer in order. */
    size_t n = hr_plan_dconf_explain_count(c);
    assert_non_null(strstr(hr_plan_dconf_explain_line(c, 0), "defaults"));
    assert_non_null(strstr(hr_plan_dconf_explain_line(c, 1), "file "));
    assert_non_null(strstr(hr_plan_dconf_explain_line(c, n - 2), "env HEADROOM_ENABLE_VAE_TILING=1"));
    assert_non_null(strstr(hr_plan_dconf_explain_line(c, n - 1), "flag --disable"));
    assert_non_null(strstr(hr_plan_dconf_explain_line(c, n - 1), "was true from env"));
    hr_plan_dconf_free(c);
}

/* Seed 002 shallow-copied its defaults, so overrides leaked into later calls. */
static void test_plan_dconf_two_plans_do_not_leak(void **state) {
    (void)state;
    hr_plan_dconf *a = fresh();
    const char *env[] = {"HEADROOM_MAX_IMAGE_SIZE=1024x1024", NULL};
    assert_int_equal(hr_plan_dconf_apply_env(a, env, NULL), HR_OK);
    assert_int_equal(hr_plan_dconf_set(a, "memory_thresholds.low", "10", "--set", NULL), HR_OK);
    hr_plan_dconf *b = fresh();
    assert_int_equal(side(b, "cuda", "very_high"), 4096);
    assert_true(get(b, "memory_thresholds.low")->num == 12);
    assert_int_equal(side(a, "cuda", "very_high"), 1024);
    hr_plan_device d;
    assert_int_equal(hr_plan_device_assume(HR_ACCEL_CUDA, 24LL << 30, -1, 1, &d, NULL), HR_OK);
    hr_plan_diffusion_req r;
    hr_plan_diffusion_req_init(&r);
    r.width_px = r.height_px = 2048;
    hr_plan_diffusion_result out;
    assert_int_equal(hr_plan_diffusion(a, &d, &r, &out, NULL), HR_OK);
    assert_int_equal(out.out_w_px, 1024);
    assert_int_equal(hr_plan_diffusion(b, &d, &r, &out, NULL), HR_OK);
    assert_int_equal(out.out_w_px, 2048);
    hr_plan_dconf_free(a);
    hr_plan_dconf_free(b);
    assert_int_equal(hr__dc_defs[hr__dconf_find("max_image_sizes.cuda.very_high")].w, 4096);
}

static void test_plan_dconf_file_errors(void **state) {
    (void)state;
    const struct {
        const char *file;
        const char *what;
        const char *why;
        const char *hint;
    } bad[] = {
        {"unknown-key.json", "unknown-key.json:5:3", "optimisations: unknown key", "optimizations"},
        {"bad-type.json", "bad-type.json:5:7", "aggressive_cleanup: expected true or false, got a string", ""},
        {"bad-syntax.json", "bad-syntax.json:4:3", "", ""},
        {"no-such-file.json", "no-such-file.json", "No such file", "--config"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        hr_plan_dconf *c = fresh();
        hr_plan_error e = {{0}};
        assert_int_not_equal(hr_plan_dconf_load_file(c, config(bad[i].file), &e), HR_OK);
        if (!strstr(e.what, bad[i].what) || !strstr(e.why, bad[i].why) || !strstr(e.hint, bad[i].hint))
            fail_msg("%s: what '%s' why '%s' hint '%s'", bad[i].file, e.what, e.why, e.hint);
        assert_int_equal(hr_plan_dconf_explain_count(c), 1);
        assert_string_equal(hr__dconf_origin(c, "optimizations.enable_vae_tiling"), "default");
        hr_plan_dconf_free(c);
    }
}

static void test_plan_dconf_unknown_key_lists_valid_ones(void **state) {
    (void)state;
    hr_plan_dconf *c = fresh();
    hr_plan_error e = {{0}};
    const char *j = "{\"device_settings\": {\"mps\": {\"tile_sz\": 1}}}";
    assert_int_equal(hr_plan_dconf_apply_json(c, j, strlen(j), "x.json", &e), HR_EINVAL);
    assert_non_null(strstr(e.why, "device_settings.mps.tile_sz"));
    assert_non_null(strstr(e.hint, "tile_size"));
    assert_non_null(strstr(e.hint, "max_tile_size"));
    assert_string_equal(e.what, "x.json:1:30");
    const char *sizes = "{\"max_image_sizes\": {\"cuda\": {\"low\": [1004, 1000]}}}";
    assert_int_equal(hr_plan_dconf_apply_json(c, sizes, strlen(sizes), "x.json", &e), HR_EINVAL);
    assert_non_null(strstr(e.why, "multiple of 8"));
    const char *arr = "[1, 2]";
    assert_int_equal(hr_plan_dconf_apply_json(c, arr, strlen(arr), "x.json", &e), HR_EINVAL);
    hr_plan_dconf_free(c);
}

static void test_plan_dconf_flags_and_validation(void **state) {
    (void)state;
    hr_plan_dconf *c = fresh();
    hr_plan_error e = {{0}};
    assert_int_equal(hr_plan_dconf_set(c, "optimizations.enable_tiling", "true", "--enable x", &e),
                     HR_EINVAL);
    assert_non_null(strstr(e.why, "unknown setting"));
    assert_int_equal(hr_plan_dconf_set(c, "device_settings.cuda.tile_size", "5", "--set", &e),
                     HR_EINVAL);
    assert_int_equal(hr_plan_dconf_set(c, "device_settings.cuda.dtype", "int8", "--set", &e),
                     HR_EINVAL);
    assert_int_equal(hr_plan_dconf_set(c, "device_settings.cuda.dtype", "bfloat16", "--set", &e),
                     HR_OK);
    assert_int_equal(hr_plan_dconf_set(c, "memory_thresholds.low", "5.5", "--set", &e), HR_OK);
    /* 5.5 is below very_low (6): the plan refuses and names the layer. */
    hr_plan_device d;
    assert_int_equal(hr_plan_device_assume(HR_ACCEL_CUDA, 24LL << 30, -1, 1, &d, NULL), HR_OK);
    hr_plan_diffusion_req r;
    hr_plan_diffusion_req_init(&r);
    r.width_px = r.height_px = 1024;
    hr_plan_diffusion_result out;
    assert_int_equal(hr_plan_diffusion(c, &d, &r, &out, &e), HR_EINVAL);
    assert_string_equal(e.what, "--set");
    assert_non_null(strstr(e.hint, "increase"));
    hr_plan_dconf_free(c);
    c = fresh();
    assert_int_equal(hr_plan_dconf_load_file(c, config("thresholds-not-increasing.json"), &e), HR_OK);
    assert_int_equal(hr_plan_diffusion(c, &d, &r, &out, &e), HR_EINVAL);
    assert_non_null(strstr(e.what, "thresholds-not-increasing.json"));
    hr_plan_dconf_free(c);
}

static void test_plan_dconf_config_path_precedence(void **state) {
    (void)state;
    hr_plan_dconf *c = fresh();
    const char *env[] = {"DIFFUSIONAPI_MEMORY_CONFIG=/a.json", "HEADROOM_CONFIG=/b.json", NULL};
    const char *path = NULL;
    char origin[64];
    hr_plan_dconf_config_path(c, NULL, env, &path, origin, sizeof origin);
    assert_string_equal(path, "/b.json");
    assert_string_equal(origin, "HEADROOM_CONFIG");
    assert_non_null(strstr(hr_plan_dconf_explain_line(c, 1), "DIFFUSIONAPI_MEMORY_CONFIG"));
    hr_plan_dconf_config_path(NULL, "/c.json", env, &path, origin, sizeof origin);
    assert_string_equal(path, "/c.json");
    assert_string_equal(origin, "--config");
    const char *alias[] = {"DIFFUSIONAPI_MEMORY_CONFIG=/a.json", NULL};
    hr_plan_dconf_config_path(NULL, NULL, alias, &path, origin, sizeof origin);
    assert_string_equal(path, "/a.json");
    const char *none[] = {"HEADROOM_CONFIG=", NULL};
    hr_plan_dconf_config_path(NULL, NULL, none, &path, origin, sizeof origin);
    assert_null(path);
    char *json = NULL;
    assert_int_equal(hr_plan_dconf_to_json(c, 0, &json), HR_OK);
    assert_non_null(strstr(json, "\"optimizations.enable_vae_tiling\": {\"value\": true, "
                                 "\"origin\": \"default\"}"));
    hr_free(json);
    hr_plan_dconf_free(c);
}

/* A config file deep in the tree (CI clones under long paths) is still named
 * by its file name: long paths keep their end, not their start. */
static void test_plan_dconf_long_path_keeps_file_name(void **state) {
    (void)state;
    char name[400] = "";
    while (strlen(name) < 300)
        strcat(name, "/a-rather-long-directory");
    strcat(name, "/thresholds-not-increasing.json");
    hr_plan_dconf *c = fresh();
    hr_plan_error e;
    memset(&e, 0, sizeof e);
    const char *text = "{\"memory_thresholds\": {\"low\": 20}}";
    assert_int_equal(hr_plan_dconf_apply_json(c, text, strlen(text), name, &e), HR_OK);
    hr_plan_device d;
    assert_int_equal(hr_plan_device_assume(HR_ACCEL_CUDA, 24LL << 30, -1, 1, &d, NULL), HR_OK);
    hr_plan_diffusion_req r;
    hr_plan_diffusion_req_init(&r);
    hr_plan_diffusion_result out;
    assert_int_equal(hr_plan_diffusion(c, &d, &r, &out, &e), HR_EINVAL);
    size_t n = strlen(e.what), want = strlen("thresholds-not-increasing.json");
    assert_true(n >= want);
    assert_string_equal(e.what + n - want, "thresholds-not-increasing.json");
    assert_non_null(strstr(e.what, "..."));
    hr_plan_dconf_free(c);
    c = fresh();
    text = "{\"memory_thresholds\": ";
    assert_int_equal(hr_plan_dconf_apply_json(c, text, strlen(text), name, &e), HR_EINVAL);
    assert_non_null(strstr(e.what, "thresholds-not-increasing.json:1:"));
    hr_plan_dconf_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_dconf_defaults_are_seed_code_tables),
        cmocka_unit_test(test_plan_dconf_file_layer),
        cmocka_unit_test(test_plan_dconf_env_layer_and_aliases),
        cmocka_unit_test(test_plan_dconf_env_errors_name_the_variable),
        cmocka_unit_test(test_plan_dconf_precedence),
        cmocka_unit_test(test_plan_dconf_two_plans_do_not_leak),
        cmocka_unit_test(test_plan_dconf_file_errors),
        cmocka_unit_test(test_plan_dconf_unknown_key_lists_valid_ones),
        cmocka_unit_test(test_plan_dconf_flags_and_validation),
        cmocka_unit_test(test_plan_dconf_config_path_precedence),
        cmocka_unit_test(test_plan_dconf_long_path_keeps_file_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
