/* test_plan_diffusion.c: memory level from the budget of the device that
 * runs the pipeline (seed 002 used system RAM even on CUDA), the area rule
 * exactly as the seed's code, savers with their reasons, and every knob
 * pinned to an observable effect (several were dead in the seed). */
#include <math.h>

#include "harness/hr_test.h"

#include "headroom/hr_plan.h"

#define GIB (1024LL * 1024 * 1024)

static hr_plan_dconf *conf(const char *file) {
    hr_plan_dconf *c = NULL;
    assert_int_equal(hr_plan_dconf_new(&c), HR_OK);
    if (file) {
        char path[4096];
        snprintf(path, sizeof path, "%s/plan/configs/%s", HR_FIXTURES, file);
        hr_plan_error e = {{0}};
        if (hr_plan_dconf_load_file(c, path, &e) != HR_OK)
            fail_msg("%s: %s", e.what, e.why);
    }
    return c;
}

static hr_plan_device dev(int kind, int64_t total, int64_t free_b) {
    hr_plan_device d;
    assert_int_equal(hr_plan_device_assume(kind, total, free_b, 1, &d, NULL), HR_OK);
    return d;
}

static hr_plan_diffusion_result *plan(const hr_plan_dconf *c, const hr_plan_device *d, int w, int h,
                                      int pipe) {
    static hr_plan_diffusion_result r;
    hr_plan_diffusion_req q;
    hr_plan_diffusion_req_init(&q);
    q.width_px = w;
    q.height_px = h;
    q.pipeline = pipe;
    hr_plan_error e = {{0}};
    if (hr_plan_diffusion(c, d, &q, &r, &e) != HR_OK)
        fail_msg("plan: %s: %s", e.what, e.why);
    return &r;
}

static const hr_plan_saver *saver(const hr_plan_diffusion_result *r, const char *name) {
    for (size_t i = 0; i < r->nsavers; i++)
        if (strcmp(r->savers[i].name, name) == 0)
            return &r->savers[i];
    fail_msg("no saver %s", name);
    return NULL;
}

/* A CUDA box with 64 GB of RAM but an 8 GB GPU is "low", not "very_high". */
static void test_plan_diffusion_level_from_vram(void **state) {
    (void)state;
    hr_plan_dconf *c = conf(NULL);
    hr_plan_device d = dev(HR_ACCEL_CUDA, 8 * GIB, -1);
    d.host_available_bytes = (hr_reading){64 * GIB, HR_WHY_KNOWN, 0};
    hr_plan_diffusion_result *r = plan(c, &d, 1024, 1024, HR_PIPE_UNKNOWN);
    assert_int_equal(r->level, HR_LEVEL_LOW);
    assert_int_equal(r->max_w_px, 1536);
    assert_non_null(strstr(r->level_reason, "8.0 GiB"));
    /* Thresholds are strict "<": exactly 12 GiB is medium. */
    d = dev(HR_ACCEL_CUDA, 12 * GIB, -1);
    assert_int_equal(plan(c, &d, 512, 512, 0)->level, HR_LEVEL_MEDIUM);
    d = dev(HR_ACCEL_CUDA, 12 * GIB - 1, -1);
    assert_int_equal(plan(c, &d, 512, 512, 0)->level, HR_LEVEL_LOW);
    d = dev(HR_ACCEL_CUDA, 80 * GIB, -1);
    assert_int_equal(plan(c, &d, 512, 512, 0)->level, HR_LEVEL_VERY_HIGH);
    /* MPS: the unified budget (working set within free memory). */
    d = dev(HR_ACCEL_MPS, 16 * GIB, (int64_t)(8.5 * GIB));
    r = plan(c, &d, 1024, 1024, 0);
    assert_int_equal(r->level, HR_LEVEL_LOW);
    assert_int_equal(r->config_device, HR_ACCEL_MPS);
    hr_plan_dconf_free(c);
}

/* The seed document's sample log: 16 GB Mac, 8.5 GB free, 2048x2048 ->
 * 768x768 with its example file; 1024x1024 with the code's defaults. */
static void test_plan_diffusion_seed002_doc_log(void **state) {
    (void)state;
    hr_plan_device d = dev(HR_ACCEL_MPS, 16 * GIB, (int64_t)(8.5 * GIB));
    hr_plan_dconf *doc = conf("seed002-doc-example.json");
    hr_plan_diffusion_result *r = plan(doc, &d, 2048, 2048, HR_PIPE_SDXL);
    assert_int_equal(r->size_action, HR_SIZE_SCALED);
    assert_int_equal(r->out_w_px, 768);
    assert_int_equal(r->out_h_px, 768);
    assert_non_null(strstr(r->size_reason, "seed002-doc-example.json"));
    hr_plan_dconf *def = conf(NULL);
    r = plan(def, &d, 2048, 2048, HR_PIPE_SDXL);
    assert_int_equal(r->out_w_px, 1024);
    /* SDXL on MPS: reduced VAE sample size, attention slicing (< 64 GB). */
    assert_true(saver(r, "reduce_vae_sample_size")->on);
    assert_int_equal(r->tile_px, 512);
    assert_true(saver(r, "enable_attention_slicing")->on);
    assert_false(saver(r, "enable_xformers_memory_efficient_attention")->on);
    assert_int_equal(r->dtype, HR_DTYPE_FP16);
    hr_plan_dconf_free(doc);
    hr_plan_dconf_free(def);
}

static void test_plan_diffusion_area_rule(void **state) {
    (void)state;
    hr_plan_dconf *c = conf(NULL);
    hr_plan_device d = dev(HR_ACCEL_MPS, 16 * GIB, (int64_t)(8.5 * GIB)); /* cap 1024x1024 */
    /* Between 1x and 2x the cap's area: kept, and tiling forced on even
     * when a layer turned it off. */
    hr_plan_error e = {{0}};
    assert_int_equal(hr_plan_dconf_set(c, "optimizations.enable_vae_tiling", "false", "--disable "
                                       "enable_vae_tiling", &e), HR_OK);
    hr_plan_diffusion_result *r = plan(c, &d, 1280, 1280, 0);
    assert_int_equal(r->size_action, HR_SIZE_TILED);
    assert_int_equal(r->out_w_px, 1280);
    assert_true(saver(r, "enable_vae_tiling")->on);
    assert_string_equal(saver(r, "enable_vae_tiling")->origin, "rule");
    assert_non_null(strstr(saver(r, "enable_vae_tiling")->reason, "overrides"));
    /* Within the cap: kept, and the layer's "off" stands. */
    r = plan(c, &d, 1024, 1024, 0);
    assert_int_equal(r->size_action, HR_SIZE_KEPT);
    assert_false(saver(r, "enable_vae_tiling")->on);
    /* Exactly 2x the area is still "tiled"; above it, scaled. */
    r = plan(c, &d, 2048, 1024, 0);
    assert_int_equal(r->size_action, HR_SIZE_TILED);
    /* Non-square above 2x: aspect kept, each side truncated then rounded to 8. */
    r = plan(c, &d, 3000, 1000, 0);
    assert_int_equal(r->size_action, HR_SIZE_SCALED);
    double s = sqrt(1024.0 * 1024.0 / (3000.0 * 1000.0));
    assert_int_equal(r->out_w_px, ((int)(3000 * s) + 4) / 8 * 8);
    assert_int_equal(r->out_h_px, ((int)(1000 * s) + 4) / 8 * 8);
    assert_int_equal(r->out_w_px, 1776);
    assert_int_equal(r->out_h_px, 592);
    /* A request that is not a multiple of 8 is rounded, with a note. */
    r = plan(c, &d, 1001, 999, 0);
    assert_int_equal(r->req_w_px, 1000);
    assert_int_equal(r->req_h_px, 1000);
    assert_non_null(strstr(r->notes[0], "multiples of 8"));
    hr_plan_dconf_free(c);
}

static void test_plan_diffusion_offload_by_level_and_weights(void **state) {
    (void)state;
    hr_plan_dconf *c = conf(NULL);
    /* Very low and no pipeline given: sequential offload supersedes model offload. */
    hr_plan_device d = dev(HR_ACCEL_CUDA, 4 * GIB, -1);
    hr_plan_diffusion_result *r = plan(c, &d, 512, 512, HR_PIPE_UNKNOWN);
    assert_int_equal(r->level, HR_LEVEL_VERY_LOW);
    assert_true(saver(r, "enable_sequential_cpu_offload")->on);
    assert_false(saver(r, "enable_model_cpu_offload")->effective);
    assert_int_equal(r->verdict, HR_VERDICT_OFFLOAD);
    /* A known pipeline decides by bytes: SD 1.5 fits a 12 GB GPU whole. */
    d = dev(HR_ACCEL_CUDA, 11 * GIB, -1);
    r = plan(c, &d, 512, 512, HR_PIPE_SD15);
    assert_false(saver(r, "enable_model_cpu_offload")->on);
    assert_int_equal(r->verdict, HR_VERDICT_FITS);
    assert_true(r->weights_bytes > 2000000000LL && r->weights_bytes < 2200000000LL);
    /* FLUX does not: sequential offload when its transformer alone is too big,
     * model offload on 32 GB, nothing on 80 GB. */
    r = plan(c, &d, 1024, 1024, HR_PIPE_FLUX);
    assert_true(saver(r, "enable_sequential_cpu_offload")->on);
    d = dev(HR_ACCEL_CUDA, 32 * GIB, -1);
    r = plan(c, &d, 1024, 1024, HR_PIPE_FLUX);
    assert_true(saver(r, "enable_model_cpu_offload")->on);
    assert_false(saver(r, "enable_sequential_cpu_offload")->on);
    d = dev(HR_ACCEL_CUDA, 80 * GIB, -1);
    r = plan(c, &d, 1024, 1024, HR_PIPE_FLUX);
    assert_false(saver(r, "enable_model_cpu_offload")->on);
    /* On the CPU, offload means nothing. */
    d = dev(HR_ACCEL_CPU, 32 * GIB, -1);
    r = plan(c, &d, 512, 512, HR_PIPE_SD15);
    assert_false(saver(r, "enable_model_cpu_offload")->on);
    assert_false(saver(r, "enable_model_cpu_offload")->effective);
    assert_int_equal(r->dtype, HR_DTYPE_FP32);
    hr_plan_dconf_free(c);
}

/* Knobs that did nothing in seed 002 now change the plan, or say they cannot. */
static void test_plan_diffusion_knobs_have_effects(void **state) {
    (void)state;
    hr_plan_device d = dev(HR_ACCEL_CUDA, 24 * GIB, -1);
    hr_plan_dconf *c = conf(NULL);
    hr_plan_diffusion_result *r = plan(c, &d, 1024, 1024, HR_PIPE_SDXL);
    assert_int_equal(r->ncleanup, 2);
    assert_non_null(strstr(r->cleanup[0], "before loading"));
    assert_non_null(strstr(r->cleanup[1], "after each job"));
    assert_false(saver(r, "enable_gradient_checkpointing")->effective);
    assert_false(saver(r, "enable_model_offload")->effective);
    assert_true(saver(r, "enable_attention_processor")->effective);
    const char *env[] = {"DIFFUSIONAPI_CLEANUP_BEFORE_LOADING=false",
                         "HEADROOM_FORCE_CLEANUP_AFTER_GENERATION=0", NULL};
    assert_int_equal(hr_plan_dconf_apply_env(c, env, NULL), HR_OK);
    assert_int_equal(hr_plan_dconf_set(c, "device_settings.cuda.enable_memory_pooling", "false",
                                       "--set", NULL), HR_OK);
    r = plan(c, &d, 1024, 1024, HR_PIPE_SDXL);
    assert_int_equal(r->ncleanup, 1);
    assert_non_null(strstr(r->cleanup[0], "PYTORCH_NO_CUDA_MEMORY_CACHING"));
    hr_plan_dconf_free(c);
    c = conf(NULL);
    assert_int_equal(hr_plan_dconf_set(c, "device_settings.cuda.aggressive_cleanup", "true", "--set",
                                       NULL), HR_OK);
    assert_int_equal(hr_plan_dconf_set(c, "optimizations.enable_attention_slicing", "true", "--set",
                                       NULL), HR_OK);
    assert_int_equal(hr_plan_dconf_set(c, "lora_settings.max_loras_per_generation", "2", "--set",
                                       NULL), HR_OK);
    r = plan(c, &d, 1024, 1024, HR_PIPE_SDXL);
    assert_non_null(strstr(r->cleanup[1], "after each image"));
    assert_non_null(strstr(r->notes[r->nnotes - 1], "lora_settings.max_loras_per_generation"));
    assert_true(saver(r, "enable_attention_slicing")->on); /* obeyed, not the rule's "off" */
    assert_string_equal(saver(r, "enable_attention_slicing")->origin, "--set");
    hr_plan_dconf_free(c);
}

static void test_plan_diffusion_tiles(void **state) {
    (void)state;
    hr_plan_dconf *c = conf(NULL);
    hr_plan_device d = dev(HR_ACCEL_CUDA, 80 * GIB, -1);
    assert_int_equal(plan(c, &d, 1024, 1024, 0)->tile_px, 1024); /* <= 1 MP: min(1024, 2 x 512) */
    assert_int_equal(plan(c, &d, 2048, 1024, 0)->tile_px, 512);  /* 1-4 MP */
    hr_plan_diffusion_result *r = plan(c, &d, 4096, 2048, 0);    /* > 4 MP */
    assert_int_equal(r->tile_px, 256);
    assert_int_equal(r->tile_overlap_px, 64);
    assert_int_equal(hr_plan_dconf_set(c, "device_settings.cuda.enable_dynamic_tiling", "0", "--set",
                                       NULL), HR_OK);
    assert_int_equal(plan(c, &d, 4096, 2048, 0)->tile_px, 512);
    hr_plan_dconf_free(c);
}

static void test_plan_diffusion_unknown_budget(void **state) {
    (void)state;
    hr_plan_dconf *c = conf(NULL);
    hr_plan_device d;
    hr_plan_device_init(&d);
    d.kind = HR_ACCEL_MPS;
    strcpy(d.torch_device, "mps");
    hr_plan_diffusion_result *r = plan(c, &d, 1024, 1024, HR_PIPE_SDXL);
    assert_int_equal(r->verdict, HR_VERDICT_UNKNOWN_BUDGET);
    assert_int_equal(r->level, HR_LEVEL_UNKNOWN);
    assert_int_equal(r->budget_bytes, 0);
    assert_non_null(strstr(r->verdict_reason, "--assume-memory"));
    hr_plan_diffusion_req q;
    hr_plan_diffusion_req_init(&q);
    q.width_px = 4;
    q.height_px = 1024;
    hr_plan_error e = {{0}};
    assert_int_equal(hr_plan_diffusion(c, &d, &q, r, &e), HR_EINVAL);
    assert_string_equal(e.what, "--size");
    hr_plan_dconf_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_diffusion_level_from_vram),
        cmocka_unit_test(test_plan_diffusion_seed002_doc_log),
        cmocka_unit_test(test_plan_diffusion_area_rule),
        cmocka_unit_test(test_plan_diffusion_offload_by_level_and_weights),
        cmocka_unit_test(test_plan_diffusion_knobs_have_effects),
        cmocka_unit_test(test_plan_diffusion_tiles),
        cmocka_unit_test(test_plan_diffusion_unknown_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
