/* plan_internal.h: helpers shared by the planner's files. Pure: nothing
 * here reads a file, the clock or the environment. */
#ifndef HR_PLAN_PLAN_INTERNAL_H
#define HR_PLAN_PLAN_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "core/internal.h"
#include "headroom/hr_plan.h"

#define HR__GIB (1024LL * 1024 * 1024)
#define HR__MIB (1024LL * 1024)

/* Runtime memory a process needs on a device before any weight is loaded:
 * CUDA/HIP context and library workspaces are ~300-500 MiB on current
 * drivers (measured free-VRAM drop after torch.cuda.init + cuBLAS), so
 * 512 MiB; the Metal context and MPS allocator pools are smaller (256 MiB);
 * a CPU job's interpreter and libtorch ~512 MiB. */
int64_t hr__plan_runtime_bytes(int kind);

/* Activation and temporary-buffer allowance: 10 % of the 16-bit weights,
 * at least 256 MiB and at most 4 GiB (doubled for fp32): at batch 1 the
 * activations follow the model's width, not its parameter count, and 4 GiB
 * covers a 4k-token prefill of a hidden-8192 (70B-class) model with SDPA
 * attention, plus the allocator's slack. When the KV cache cannot be computed another 10 % is allowed for
 * it (together the +20 % for inference that EleutherAI's figure and the
 * Hugging Face memory estimator quote). */
#define HR__PLAN_ACT_PCT 10
#define HR__PLAN_ACT_MIN_BYTES (256 * HR__MIB)
#define HR__PLAN_ACT_MAX_BYTES (4 * HR__GIB)
#define HR__PLAN_KV_ALLOW_PCT 10
#define HR__PLAN_MARGIN_PCT 10

/* Fills ERR (when not NULL) and returns STATUS. WHAT may be NULL to keep a
 * what the caller set before; HINT may be NULL. */
hr_status hr__plan_fail(hr_plan_error *err, hr_status status, const char *what, const char *hint,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Appends a formatted note to NOTES (at most MAX, each CAP bytes). */
void hr__plan_note(char (*notes)[HR_PLAN_REASON_CAP], size_t *n, size_t max, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Formats BYTES for a reason string: "10.7 GiB", "512 MiB", "900 KiB". */
void hr__plan_fmt_bytes(char *buf, size_t cap, int64_t bytes);

/* A*B into *OUT; 0 on overflow or negative inputs, 1 on success. */
int hr__plan_mul(int64_t a, int64_t b, int64_t *out);

/* A+B into *OUT; 0 on overflow. */
int hr__plan_add(int64_t a, int64_t b, int64_t *out);

/* BUDGET less PCT percent (the margin). */
int64_t hr__plan_usable(int64_t budget_bytes, int pct);

/* Bytes of COUNT elements of DTYPE (int4 is half a byte), or -1 on overflow. */
int64_t hr__plan_elems_bytes(int64_t count, int dtype);

/* Case-insensitive ASCII comparisons. */
int hr__plan_ieq(const char *a, const char *b);
int hr__plan_icontains(const char *hay, const char *needle);

/* Strict parse of a positive decimal int (no sign, no blanks) within
 * [MIN, MAX]. Returns 1 on success. */
int hr__plan_parse_int(const char *s, int64_t min, int64_t max, int64_t *out);

/* The distinct shard file names of an index's weight_map, malloc'ed
 * (free each and the array). HR_EPARSE for malformed JSON or a name with a
 * path separator. */
hr_status hr__plan_index_shards(const char *json, size_t len, const char *name, char ***out,
                                size_t *n, hr_plan_error *err);

/* I/O (model_dir.c): reads FILE under the directory fd DFD (AT_FDCWD for
 * a path) whole into a malloc'ed NUL-terminated buffer, through hr__sys.
 * More than MAX bytes is an error (EFBIG). DIR only names the file in
 * errors. */
hr_status hr__plan_read_small(int dfd, const char *dir, const char *file, size_t max, char **out,
                              size_t *len, hr_plan_error *err);

#endif /* HR_PLAN_PLAN_INTERNAL_H */
