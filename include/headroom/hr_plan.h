/* hr_plan.h: how a model, a diffusion pipeline or a tensor cache fits here.
 *
 * The planner is pure: a device description, the facts about the workload
 * and options go in; a decision with a reason for every choice comes out.
 * It reads no file, no clock and no environment of its own. The only
 * functions here that touch the outside world are the two input readers
 * named *_read / *_load_file (a model directory, a config file); they read
 * exactly the paths they are given.
 *
 * Units are in the names: _bytes bytes, _px pixels, _tokens tokens,
 * _pct percent. Memory sizes in text use IEC units (GiB = 2^30 bytes)
 * unless a name says otherwise. A plain struct starts with `size` (set by
 * its _init function) so it can grow; hr_reading fields follow hr_probe.h:
 * unknown is never 0. Every decision carries a reason string.
 *
 * Errors: fallible calls return hr_status and fill an hr_plan_error whose
 * `what` names the input at fault (a flag, a variable, file:line:column),
 * `why` says what is wrong and `hint` how to fix it. */
#ifndef HR_PLAN_H
#define HR_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "hr_export.h"
#include "hr_probe.h"
#include "hr_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HR_PLAN_MAX_GPUS 16
#define HR_PLAN_REASON_CAP 256

/* Why an input was refused. All three strings are NUL-terminated. */
typedef struct hr_plan_error {
    char what[160]; /* "--params", "HEADROOM_MAX_IMAGE_SIZE", "cfg.json:3:15" */
    char why[256];
    char hint[256]; /* "" when there is nothing to add */
} hr_plan_error;

/* Tri-state for capabilities that may not be known. */
enum { HR_PLAN_NO = 0, HR_PLAN_YES = 1, HR_PLAN_UNKNOWN = -1 };

/* Element types of weights and tensors. Numbers are forever. */
typedef enum hr_plan_dtype {
    HR_DTYPE_UNKNOWN = 0,
    HR_DTYPE_FP32 = 1,
    HR_DTYPE_FP16 = 2,
    HR_DTYPE_BF16 = 3,
    HR_DTYPE_INT8 = 4, /* bitsandbytes LLM.int8 */
    HR_DTYPE_INT4 = 5, /* bitsandbytes NF4 */
    HR_DTYPE_MIXED = 6 /* a checkpoint whose tensors differ in type */
} hr_plan_dtype;

/* "fp32", "fp16", "bf16", "int8", "int4", "mixed" or "unknown". Never NULL. */
HR_EXTERN const char *hr_plan_dtype_name(int dtype);

/* ------------------------------------------------------------------ parsing */

/* Parses a memory size: a number with an optional fraction and a unit.
 * Units (case-insensitive): none or B = bytes (whole numbers only);
 * K, M, G, T and KiB, MiB, GiB, TiB = powers of 1024; KB, MB, GB, TB =
 * powers of 1000. "16G" = 17179869184. Zero, negative, above 1 PiB,
 * unknown units and trailing junk are HR_EINVAL with ERR filled (WHAT is
 * kept when the caller set it, e.g. to the flag's name, else "plan"). */
HR_EXTERN hr_status hr_plan_parse_bytes(const char *text, int64_t *out_bytes, hr_plan_error *err);

/* Parses a parameter count: "7B", "1.5B", "0.5b", "270M", "1T", "8x7B"
 * (experts x size, the MoE total) or a plain count "7000000000". Accepts
 * 1000 .. 10^14 parameters. HR_EINVAL otherwise. */
HR_EXTERN hr_status hr_plan_parse_params(const char *text, int64_t *out_params, hr_plan_error *err);

/* Parses "WxH" (or "W" for a square) into pixels, each 1 .. 65536. */
HR_EXTERN hr_status hr_plan_parse_image_size(const char *text, int32_t *w_px, int32_t *h_px,
                                             hr_plan_error *err);

/* Parses "fp32|float32|fp16|float16|half|bf16|bfloat16|int8|int4|nf4". */
HR_EXTERN hr_status hr_plan_parse_dtype(const char *text, int32_t *out_dtype, hr_plan_error *err);

/* ------------------------------------------------------------------ device */

/* The device a plan is for. Built from a probe (hr_plan_device_from_probe)
 * or assumed (hr_plan_device_assume); tests fill it directly. */
typedef struct hr_plan_device {
    size_t size;
    int32_t kind;           /* hr_accel_kind */
    int32_t unified_memory; /* 1 when the device shares system RAM */
    int32_t bf16;           /* HR_PLAN_YES/NO/UNKNOWN */
    int32_t ngpus;          /* GPUs of this kind usable together (0 for mps/cpu) */
    int32_t assumed;        /* 1 when described by --assume-* rather than measured */
    int32_t reserved;
    char torch_device[16];  /* "cuda:0", "mps", "cpu" */
    char name[96];          /* "NVIDIA H100 80GB HBM3", "assumed cuda" */
    hr_reading total_bytes;   /* device memory: VRAM, or RAM for mps/cpu */
    hr_reading ceiling_bytes; /* most it can ever use: VRAM, Metal working set, RAM limit */
    hr_reading budget_bytes;  /* what a new job can use now */
    hr_reading gpu_budget_bytes[HR_PLAN_MAX_GPUS]; /* per GPU, for splits (cuda/rocm) */
    hr_reading host_available_bytes; /* system RAM a job can still use (CPU offload) */
    hr_reading pressure_level;       /* hr_pressure */
    char budget_source[160]; /* how budget_bytes was found, in words */
    char bf16_reason[160];   /* why bf16 is or is not usable */
} hr_plan_device;

/* Zeroes D, sets its size and marks every reading unknown (HR_WHY_ABSENT). */
HR_EXTERN void hr_plan_device_init(hr_plan_device *d);

/* Describes the probe's accelerator (p->accel) with its budget, every GPU
 * of the same vendor for splits, the RAM budget for offload and the memory
 * pressure. bf16: CUDA/ROCm from the GPU name (compute capability 8.0+ /
 * CDNA2+ / RDNA3), MPS from macOS 14+, always on CPU; otherwise unknown.
 * Unknown probe readings stay unknown. Returns HR_OK or HR_EINVAL. */
HR_EXTERN hr_status hr_plan_device_from_probe(const hr_probe *p, hr_plan_device *out);

/* Describes a machine that is not this one. KIND is an hr_accel_kind,
 * TOTAL_BYTES its memory (VRAM per GPU for cuda/rocm, RAM for mps/cpu),
 * FREE_BYTES what is free now (-1: all of it), GPUS the GPU count (cuda/
 * rocm; 0 or 1 means one). On mps the budget is the Metal working-set
 * ceiling (hr_plan_apple_working_set_bytes) within FREE_BYTES.
 * HR_EINVAL for a bad kind, sizes or count. */
HR_EXTERN hr_status hr_plan_device_assume(int kind, int64_t total_bytes, int64_t free_bytes, int gpus,
                                          hr_plan_device *out, hr_plan_error *err);

/* The default Metal working-set ceiling (recommendedMaxWorkingSetSize) of
 * an Apple Silicon Mac with RAM_BYTES of memory: 2/3 of RAM up to 32 GiB,
 * 3/4 above (docs/PLANNER.md; iogpu.wired_limit_mb overrides it on a real
 * machine, which the probe reads). Returns 0 for RAM_BYTES <= 0. */
HR_EXTERN int64_t hr_plan_apple_working_set_bytes(int64_t ram_bytes);

/* "cpu", "cuda", "rocm", "mps" or "unknown". Never NULL. */
HR_EXTERN const char *hr_plan_device_kind_name(int kind);

/* Parses "cpu|cuda|rocm|mps" into an hr_accel_kind. */
HR_EXTERN hr_status hr_plan_parse_device_kind(const char *text, int32_t *out_kind, hr_plan_error *err);

/* One line of a memory breakdown. */
typedef struct hr_plan_item {
    char name[32];     /* "weights", "kv_cache", "activations", "runtime", "margin" */
    int64_t bytes;
    char reason[HR_PLAN_REASON_CAP];
} hr_plan_item;

/* ------------------------------------------------------------------ model */

/* What is known about a model. Fill with hr_plan_model_facts_init and the
 * from_* / add_* functions below, or by hand. */
typedef struct hr_plan_model_facts {
    size_t size;
    char name[128];                /* model id or directory */
    hr_reading params;             /* total parameter count */
    hr_reading unquantized_params; /* embeddings, lm_head, norms, biases: stay 16-bit under bitsandbytes */
    hr_reading checkpoint_bytes;   /* exact size of the stored weights */
    int32_t checkpoint_dtype;      /* hr_plan_dtype of the stored weights */
    int32_t multimodal;            /* 1 when vision/audio parts are present */
    int32_t moe_experts;           /* experts of an NxM id; 0 for dense */
    int32_t tensors;               /* tensors counted from safetensors headers */
    hr_reading layers;             /* num_hidden_layers */
    hr_reading kv_heads;           /* num_key_value_heads */
    hr_reading head_dim;           /* per-head dimension */
    hr_reading max_context_tokens; /* max_position_embeddings */
    char params_source[192];       /* where params came from, in words */
    char multimodal_reason[128];
} hr_plan_model_facts;

HR_EXTERN void hr_plan_model_facts_init(hr_plan_model_facts *f);

/* Reads the size and the modality from a model id such as
 * "Qwen/Qwen2.5-Omni-3B": a size token is a whole token (start or one of
 * "/-_. " before it; end or a non-alphanumeric after) of the form N[.N]B|M
 * or ExN[.N]B, so "13B" never reads as "3B" and "A2.7B" (active) is not a
 * size. Two different sizes in one id are ambiguous. Multimodal: "Omni",
 * "VL", "Vision", "LLaVA", "Pixtral", "Idefics", "PaliGemma", "VLM".
 * On a multimodal id the encoders the name does not count are added (see
 * docs/PLANNER.md). Returns HR_OK (params unknown when the id has no
 * size), HR_EINVAL for an ambiguous id. */
HR_EXTERN hr_status hr_plan_model_facts_from_id(hr_plan_model_facts *f, const char *id,
                                                hr_plan_error *err);

/* Reads config.json text: num_hidden_layers, num_key_value_heads (default
 * num_attention_heads), head_dim (default hidden_size/num_attention_heads),
 * max_position_embeddings, torch_dtype, vocab_size, tie_word_embeddings,
 * multimodal sections (vision_config, audio_config, thinker_config), looked
 * up at the top level, then in text_config, thinker_config.text_config,
 * llm_config and language_config. NAME is used in error messages.
 * HR_EPARSE with file:line:column for malformed JSON. */
HR_EXTERN hr_status hr_plan_model_facts_from_config(hr_plan_model_facts *f, const char *json,
                                                    size_t len, const char *name,
                                                    hr_plan_error *err);

/* Adds one safetensors file's header: BUF holds the file's first bytes (the
 * 8-byte little-endian header length, then the JSON header), LEN how many.
 * Sums parameters (product of shapes) and bytes (from dtype) per tensor;
 * tensors named *embed*, *lm_head*, *wte*, *wpe* and 1-D tensors count as
 * unquantized. HR_EPARSE for a malformed header (NAME in the message),
 * HR_EINVAL when LEN does not cover the header. */
HR_EXTERN hr_status hr_plan_model_facts_add_safetensors(hr_plan_model_facts *f, const uint8_t *buf,
                                                        size_t len, const char *name,
                                                        hr_plan_error *err);

/* The header length a safetensors file declares in its first 8 bytes, or
 * -1 when it is above 100 MiB (refused as absurd). */
HR_EXTERN int64_t hr_plan_safetensors_header_len(const uint8_t first8[8]);

/* Reads model.safetensors.index.json text: metadata.total_size becomes
 * checkpoint_bytes (params from it when the dtype is known). */
HR_EXTERN hr_status hr_plan_model_facts_from_index(hr_plan_model_facts *f, const char *json, size_t len,
                                                   const char *name, hr_plan_error *err);

/* Reads a local model directory (I/O): config.json when present, then the
 * header of every *.safetensors file (exact), or, when no shard is present,
 * model.safetensors.index.json's total_size. HR_ENOENT when DIR has none
 * of these, HR_EIO/HR_EPERM when a file cannot be read, HR_EPARSE for bad
 * content; ERR names the file. */
HR_EXTERN hr_status hr_plan_model_dir_read(const char *dir, hr_plan_model_facts *f, hr_plan_error *err);

typedef enum hr_plan_quant {
    HR_QUANT_NONE = 0,
    HR_QUANT_BNB_INT8 = 1, /* bitsandbytes LLM.int8, load_in_8bit */
    HR_QUANT_BNB_NF4 = 2   /* bitsandbytes 4-bit NF4, load_in_4bit */
} hr_plan_quant;

typedef struct hr_plan_model_opts {
    size_t size;
    int64_t context_tokens;   /* tokens of KV cache per sequence; default 4096 */
    int32_t batch;            /* sequences generated at once; default 1 */
    int32_t dtype;            /* HR_DTYPE_UNKNOWN: the planner chooses */
    int32_t allow_quantization; /* default 1 */
    int32_t margin_pct;       /* share of the budget kept free; default 10 */
} hr_plan_model_opts;

HR_EXTERN void hr_plan_model_opts_init(hr_plan_model_opts *o);

typedef enum hr_plan_verdict {
    HR_VERDICT_FITS = 0,         /* fits on the device as chosen */
    HR_VERDICT_SPLIT = 1,        /* fits across several GPUs */
    HR_VERDICT_OFFLOAD = 2,      /* fits with part of it in CPU RAM */
    HR_VERDICT_NO_FIT = 3,       /* no plan fits this machine */
    HR_VERDICT_UNKNOWN_BUDGET = 4 /* the device budget could not be read */
} hr_plan_verdict;

/* "fits", "split", "offload", "no_fit", "unknown_budget". Never NULL. */
HR_EXTERN const char *hr_plan_verdict_name(int verdict);

/* One (dtype, quantization) way to load the model and what it needs. */
typedef struct hr_plan_option {
    int32_t dtype;          /* hr_plan_dtype */
    int32_t quant;          /* hr_plan_quant */
    int32_t available;      /* 0 when this device cannot use it (e.g. bitsandbytes off CUDA) */
    int32_t fits;           /* 1 when it fits the device budget whole */
    int64_t weights_bytes;
    int64_t total_bytes;    /* weights + kv + activations + runtime */
    char note[128];         /* why unavailable, or a remark */
} hr_plan_option;

/* A step to take, in order, when loading or generation runs out of memory. */
typedef struct hr_plan_fallback {
    char when[16];          /* "load" or "generate" */
    char action[128];
    int64_t need_bytes;     /* memory needed after the step; -1 when not a memory figure */
    char reason[HR_PLAN_REASON_CAP];
} hr_plan_fallback;

#define HR_PLAN_MAX_OPTIONS 6
#define HR_PLAN_MAX_FALLBACKS 8
#define HR_PLAN_MAX_NOTES 6

typedef struct hr_plan_model_result {
    size_t size;
    int32_t verdict;        /* hr_plan_verdict */
    int32_t device_kind;    /* hr_accel_kind of the device that runs it */
    int32_t dtype;          /* compute/load dtype */
    int32_t quant;          /* hr_plan_quant */
    int32_t gpus_used;      /* > 1 for a split */
    int32_t reserved;
    char torch_device[16];
    char device_map[16];    /* "none" or "auto" (accelerate) */
    char verdict_reason[HR_PLAN_REASON_CAP];
    char device_reason[HR_PLAN_REASON_CAP];
    char dtype_reason[HR_PLAN_REASON_CAP];
    char quant_reason[HR_PLAN_REASON_CAP];
    int64_t params;
    int64_t need_bytes;     /* total of the chosen option */
    int64_t budget_bytes;   /* device budget (0 with verdict unknown_budget) */
    int64_t usable_bytes;   /* budget less the margin */
    int64_t offload_bytes;  /* weights kept in CPU RAM (verdict offload) */
    int64_t per_gpu_bytes[HR_PLAN_MAX_GPUS]; /* planned use per GPU (split) */
    hr_plan_item items[5];  /* weights, kv_cache, activations, runtime, margin */
    size_t nitems;
    hr_plan_option options[HR_PLAN_MAX_OPTIONS];
    size_t noptions;
    hr_plan_fallback fallbacks[HR_PLAN_MAX_FALLBACKS];
    size_t nfallbacks;
    char notes[HR_PLAN_MAX_NOTES][HR_PLAN_REASON_CAP];
    size_t nnotes;
    hr_plan_device device;      /* copy of the input */
    hr_plan_model_facts model;  /* copy of the input */
    hr_plan_model_opts opts;    /* copy of the input */
} hr_plan_model_result;

/* Plans a model on D: memory per dtype, then the first of this ladder that
 * fits the budget less the margin: preferred 16-bit dtype on the device
 * (bf16 where supported, else fp16; fp32 then bf16 on CPU), split across
 * GPUs, bitsandbytes int8 then int4 (CUDA only), CPU offload of part of
 * the weights; else no fit. A device with an unknown budget gives verdict
 * unknown_budget. HR_EINVAL (ERR filled) when the parameter count is
 * unknown or an option is impossible (int4 off CUDA, bf16 where known
 * unsupported). */
HR_EXTERN hr_status hr_plan_model(const hr_plan_model_facts *f, const hr_plan_device *d,
                                  const hr_plan_model_opts *o, hr_plan_model_result *out,
                                  hr_plan_error *err);

/* ------------------------------------------------------------------ diffusion */

/* Diffusion configuration in layers: defaults (seed 002's code tables) ->
 * JSON file -> environment -> flags. Each handle holds its own copy; the
 * defaults are constant and never change. */
typedef struct hr_plan_dconf hr_plan_dconf;

HR_EXTERN hr_status hr_plan_dconf_new(hr_plan_dconf **out);
HR_EXTERN void hr_plan_dconf_free(hr_plan_dconf *c);

/* Which config file applies: FLAG_PATH (--config) when not NULL, else
 * HEADROOM_CONFIG, else DIFFUSIONAPI_MEMORY_CONFIG from ENVP (a
 * NULL-terminated "NAME=VALUE" array such as environ; NULL = none).
 * *PATH is NULL when none applies (it points into FLAG_PATH or ENVP);
 * ORIGIN gets "--config", "HEADROOM_CONFIG" or "DIFFUSIONAPI_MEMORY_CONFIG".
 * When both variables are set the alias is noted in the explanation. */
HR_EXTERN void hr_plan_dconf_config_path(hr_plan_dconf *c, const char *flag_path,
                                         const char *const *envp, const char **path,
                                         char *origin, size_t origin_cap);

/* Applies a JSON config (the seed's schema: memory_thresholds,
 * max_image_sizes, optimizations, device_settings, lora_settings,
 * hires_settings) on top of C. NAME (a file name) prefixes positions in
 * errors: syntax errors and bad values give NAME:line:column; unknown keys
 * are named with the valid ones. On error C is unchanged. */
HR_EXTERN hr_status hr_plan_dconf_apply_json(hr_plan_dconf *c, const char *text, size_t len,
                                             const char *name, hr_plan_error *err);

/* Reads PATH (I/O, at most 1 MiB) and applies it as above. */
HR_EXTERN hr_status hr_plan_dconf_load_file(hr_plan_dconf *c, const char *path, hr_plan_error *err);

/* Applies HEADROOM_MAX_IMAGE_SIZE=WxH and HEADROOM_<OPTION>=true|false|1|0
 * from ENVP, with the seed's DIFFUSIONAPI_* names as aliases (and
 * DIFFUSIONAPI_ENABLE_CPU_OFFLOAD for enable_model_cpu_offload). A
 * HEADROOM_ name wins over its alias. An invalid value, or an unknown name
 * with an option prefix (ENABLE_, REDUCE_, FORCE_, CLEANUP_), is HR_EINVAL
 * naming the variable. On error C is unchanged. */
HR_EXTERN hr_status hr_plan_dconf_apply_env(hr_plan_dconf *c, const char *const *envp,
                                            hr_plan_error *err);

/* Sets one setting from a flag: KEY is a dotted path
 * ("optimizations.enable_vae_tiling", "max_image_sizes.cuda.low") or
 * "max_image_size" (every device and level), VALUE its text form
 * ("true", "12", "1024x1024", "fp16"). ORIGIN names the flag. */
HR_EXTERN hr_status hr_plan_dconf_set(hr_plan_dconf *c, const char *key, const char *value,
                                      const char *origin, hr_plan_error *err);

/* The explanation: one line per layer and per value a layer changed, in
 * the order they were applied. Lines stay valid until C changes. */
HR_EXTERN size_t hr_plan_dconf_explain_count(const hr_plan_dconf *c);
HR_EXTERN const char *hr_plan_dconf_explain_line(const hr_plan_dconf *c, size_t i);

/* Every setting with its value and origin as a JSON object; *out is freed
 * with hr_free. */
HR_EXTERN hr_status hr_plan_dconf_to_json(const hr_plan_dconf *c, int indent, char **out);

/* Diffusion pipelines the planner knows the weights of. */
typedef enum hr_plan_pipeline {
    HR_PIPE_UNKNOWN = 0,
    HR_PIPE_SD15 = 1,
    HR_PIPE_SD2 = 2,
    HR_PIPE_SDXL = 3,
    HR_PIPE_SD3 = 4,
    HR_PIPE_FLUX = 5
} hr_plan_pipeline;

HR_EXTERN hr_status hr_plan_parse_pipeline(const char *text, int32_t *out, hr_plan_error *err);
HR_EXTERN const char *hr_plan_pipeline_name(int pipeline);

typedef enum hr_plan_level {
    HR_LEVEL_VERY_LOW = 0,
    HR_LEVEL_LOW = 1,
    HR_LEVEL_MEDIUM = 2,
    HR_LEVEL_HIGH = 3,
    HR_LEVEL_VERY_HIGH = 4,
    HR_LEVEL_UNKNOWN = 5
} hr_plan_level;

HR_EXTERN const char *hr_plan_level_name(int level);

typedef enum hr_plan_size_action {
    HR_SIZE_KEPT = 0,   /* within the cap */
    HR_SIZE_TILED = 1,  /* above the cap, at most twice its area: kept, VAE tiling on */
    HR_SIZE_SCALED = 2  /* above twice the cap's area: scaled down keeping aspect */
} hr_plan_size_action;

typedef struct hr_plan_diffusion_req {
    size_t size;
    int32_t width_px;
    int32_t height_px;
    int32_t pipeline;  /* hr_plan_pipeline; HR_PIPE_UNKNOWN skips the weights check */
    int32_t margin_pct; /* default 10 */
} hr_plan_diffusion_req;

HR_EXTERN void hr_plan_diffusion_req_init(hr_plan_diffusion_req *r);

/* One memory saver and whether the plan turns it on. */
typedef struct hr_plan_saver {
    char name[48];      /* the config key, e.g. "enable_vae_tiling" */
    int32_t on;         /* 1 when the plan enables it */
    int32_t effective;  /* 0 when it has no effect for this run (a no-op knob) */
    char origin[64];    /* which layer decided: "default", "env HEADROOM_...", "rule" */
    char reason[HR_PLAN_REASON_CAP];
} hr_plan_saver;

#define HR_PLAN_MAX_SAVERS 16

typedef struct hr_plan_diffusion_result {
    size_t size;
    int32_t verdict;          /* fits / offload / no_fit / unknown_budget */
    int32_t level;            /* hr_plan_level */
    int32_t config_device;    /* hr_accel_kind whose tables apply (rocm uses cuda's) */
    int32_t dtype;
    int32_t req_w_px, req_h_px;
    int32_t max_w_px, max_h_px;
    int32_t out_w_px, out_h_px;
    int32_t size_action;      /* hr_plan_size_action */
    int32_t tile_px;          /* VAE tile edge */
    int32_t tile_overlap_px;
    int32_t reserved;
    int64_t budget_bytes;
    int64_t usable_bytes;
    int64_t weights_bytes;    /* pipeline weights at dtype; 0 when the pipeline is unknown */
    int64_t peak_bytes;       /* estimated peak with the chosen savers; 0 when unknown */
    char level_reason[HR_PLAN_REASON_CAP];
    char size_reason[HR_PLAN_REASON_CAP];
    char dtype_reason[HR_PLAN_REASON_CAP];
    char tile_reason[HR_PLAN_REASON_CAP];
    char verdict_reason[HR_PLAN_REASON_CAP];
    hr_plan_saver savers[HR_PLAN_MAX_SAVERS];
    size_t nsavers;
    char cleanup[3][HR_PLAN_REASON_CAP]; /* before load, after each job, allocator */
    size_t ncleanup;
    char notes[HR_PLAN_MAX_NOTES][HR_PLAN_REASON_CAP];
    size_t nnotes;
    hr_plan_device device;
    hr_plan_diffusion_req req;
} hr_plan_diffusion_result;

/* Plans a diffusion run: memory level from D's budget (VRAM on CUDA/ROCm,
 * the unified budget on MPS, RAM on CPU) against C's thresholds (GiB,
 * strict <), the size cap for the device and level, the area rule, the
 * savers and tiles. C must have passed validation (HR_EINVAL otherwise,
 * e.g. thresholds not increasing). */
HR_EXTERN hr_status hr_plan_diffusion(const hr_plan_dconf *c, const hr_plan_device *d,
                                      const hr_plan_diffusion_req *r, hr_plan_diffusion_result *out,
                                      hr_plan_error *err);

/* ------------------------------------------------------------------ cache */

typedef struct hr_plan_cache_req {
    size_t size;
    int64_t count;            /* N samples */
    int32_t channels;         /* C; default 3 */
    int32_t height_px;        /* H */
    int32_t width_px;         /* W */
    int32_t dtype;            /* fp32 (default), fp16, bf16 */
    int64_t model_bytes;      /* memory the model holds beside the cache; 0 = none given */
    int64_t per_sample_bytes; /* activation memory per sample in a batch; 0 = not given */
    int32_t margin_pct;       /* default 10 */
    int32_t reserved;
} hr_plan_cache_req;

HR_EXTERN void hr_plan_cache_req_init(hr_plan_cache_req *r);

typedef enum hr_plan_placement {
    HR_PLACE_DEVICE = 0,      /* whole cache on the device at the requested dtype */
    HR_PLACE_DEVICE_HALF = 1, /* on the device in fp16/bf16 */
    HR_PLACE_HOST_STREAM = 2, /* in host RAM, batches streamed to the device */
    HR_PLACE_DISK_STREAM = 3, /* does not fit in RAM: stream from disk */
    HR_PLACE_UNKNOWN = 4      /* budget unknown */
} hr_plan_placement;

HR_EXTERN const char *hr_plan_placement_name(int placement);

typedef struct hr_plan_cache_result {
    size_t size;
    int32_t placement;        /* hr_plan_placement */
    int32_t dtype;            /* dtype the cache is stored in */
    int64_t cache_bytes;      /* N x C x H x W x bytes at the requested dtype */
    int64_t half_bytes;       /* the same at 2 bytes per element */
    int64_t budget_bytes;
    int64_t usable_bytes;     /* budget less margin, runtime and model */
    int64_t host_usable_bytes;
    int64_t batch_max;        /* largest batch that fits; -1 when per-sample memory was not given */
    int64_t batch;            /* recommended batch; -1 likewise */
    char size_reason[HR_PLAN_REASON_CAP];
    char placement_reason[HR_PLAN_REASON_CAP];
    char batch_reason[HR_PLAN_REASON_CAP];
    char notes[HR_PLAN_MAX_NOTES][HR_PLAN_REASON_CAP];
    size_t nnotes;
    hr_plan_device device;
    hr_plan_cache_req req;
} hr_plan_cache_result;

/* Sizes a preprocessed tensor cache and decides where it lives: on the
 * device beside the model, on the device at half precision, on the host
 * with streamed batches, or streamed from disk; and a batch size when
 * per-sample memory is given. HR_EINVAL for impossible requests (zero or
 * overflowing sizes). */
HR_EXTERN hr_status hr_plan_cache(const hr_plan_device *d, const hr_plan_cache_req *r,
                                  hr_plan_cache_result *out, hr_plan_error *err);

/* ------------------------------------------------------------------ output */

/* The documented JSON of a plan (docs/PLANNER.md), in bytes and pixels.
 * CONF may be NULL (no config section); with EXPLAIN the settings and
 * their origins are included. *out is freed with hr_free. */
HR_EXTERN hr_status hr_plan_model_to_json(const hr_plan_model_result *r, int indent, char **out);
HR_EXTERN hr_status hr_plan_diffusion_to_json(const hr_plan_diffusion_result *r,
                                              const hr_plan_dconf *conf, int explain, int indent,
                                              char **out);
HR_EXTERN hr_status hr_plan_cache_to_json(const hr_plan_cache_result *r, int indent, char **out);

/* The same as readable text; COLOR adds ANSI colours to the verdict. */
HR_EXTERN hr_status hr_plan_model_to_text(const hr_plan_model_result *r, int color, char **out);
HR_EXTERN hr_status hr_plan_diffusion_to_text(const hr_plan_diffusion_result *r,
                                              const hr_plan_dconf *conf, int explain, int color,
                                              char **out);
HR_EXTERN hr_status hr_plan_cache_to_text(const hr_plan_cache_result *r, int color, char **out);

#ifdef __cplusplus
}
#endif

#endif /* HR_PLAN_H */
