/* dconf_table.c: the diffusion settings and their defaults: seed 002's code
 * defaults (DiffusionAPI diffusionapi/memory_config.py at 82b5ea1; see
 * docs/seed-behaviour.md section 3), not the document's older table.
 * Constant: a plan copies them and never writes here. */
#include "plan/dconf.h"

#define B(p, v) {p, HR__DC_BOOL, 0, 1, v, 0, 0}
#define I(p, lo, hi, v) {p, HR__DC_INT, lo, hi, v, 0, 0}
#define G(p, v) {p, HR__DC_GB, 0.25, 4096, v, 0, 0}
#define S(p, v) {p, HR__DC_WH, 64, 16384, 0, v, v}
#define D(p, v) {p, HR__DC_DTYPE, 0, 0, v, 0, 0}
#define R(p, lo, hi, v) {p, HR__DC_REAL, lo, hi, v, 0, 0}
#define SIZES(dev, a, b, c, d, e)                                                        \
    S("max_image_sizes." dev ".very_low", a), S("max_image_sizes." dev ".low", b),       \
        S("max_image_sizes." dev ".medium", c), S("max_image_sizes." dev ".high", d),    \
        S("max_image_sizes." dev ".very_high", e)
#define DEVICE(dev, dt, aggr, conc, pool, dyn, tile, ovl, maxt)                          \
    D("device_settings." dev ".dtype", dt), B("device_settings." dev ".aggressive_cleanup", aggr), \
        I("device_settings." dev ".max_concurrent_models", 1, 16, conc),                 \
        B("device_settings." dev ".enable_memory_pooling", pool),                        \
        B("device_settings." dev ".enable_dynamic_tiling", dyn),                         \
        I("device_settings." dev ".tile_size", 64, 4096, tile),                          \
        I("device_settings." dev ".tile_overlap", 0, 1024, ovl),                         \
        I("device_settings." dev ".max_tile_size", 64, 8192, maxt)

const hr__dc_def hr__dc_defs[] = {
    G("memory_thresholds.very_low", 6),
    G("memory_thresholds.low", 12),
    G("memory_thresholds.medium", 18),
    G("memory_thresholds.high", 24),
    G("memory_thresholds.very_high", 32),
    SIZES("mps", 768, 1024, 1536, 2048, 3072),
    SIZES("cuda", 1024, 1536, 2048, 3072, 4096),
    SIZES("cpu", 512, 768, 1024, 1536, 2048),
    B("optimizations.enable_vae_tiling", 1),
    B("optimizations.enable_attention_slicing", 1),
    B("optimizations.enable_model_cpu_offload", 1),
    B("optimizations.enable_sequential_cpu_offload", 0),
    B("optimizations.enable_memory_efficient_attention", 1),
    B("optimizations.reduce_vae_sample_size", 0),
    B("optimizations.force_cleanup_after_generation", 1),
    B("optimizations.cleanup_before_loading", 1),
    B("optimizations.enable_gradient_checkpointing", 1),
    B("optimizations.enable_xformers_memory_efficient_attention", 1),
    B("optimizations.enable_vae_slicing", 1),
    B("optimizations.enable_model_offload", 1),
    B("optimizations.enable_attention_processor", 1),
    DEVICE("mps", HR_DTYPE_FP16, 1, 1, 1, 1, 512, 64, 1024),
    DEVICE("cuda", HR_DTYPE_FP16, 0, 2, 1, 1, 512, 64, 1024),
    DEVICE("cpu", HR_DTYPE_FP32, 1, 1, 0, 1, 256, 32, 512),
    I("lora_settings.max_loras_per_generation", 0, 64, 5),
    B("lora_settings.enable_lora_memory_optimization", 1),
    B("lora_settings.unload_loras_after_generation", 1),
    R("hires_settings.max_upscale_factor.mps", 1, 16, 4),
    R("hires_settings.max_upscale_factor.cuda", 1, 16, 8),
    R("hires_settings.max_upscale_factor.cpu", 1, 16, 2),
    B("hires_settings.use_external_upscaler_for_large_images", 1),
    I("hires_settings.large_image_threshold.mps", 64, 65536, 2048),
    I("hires_settings.large_image_threshold.cuda", 64, 65536, 4096),
    I("hires_settings.large_image_threshold.cpu", 64, 65536, 1024),
};

const size_t hr__dc_ndefs = sizeof hr__dc_defs / sizeof hr__dc_defs[0];
