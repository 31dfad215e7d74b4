/* cache.c: a preprocessed tensor cache (seed 001's pixel cache): its bytes
 * (N x C x H x W x bytes per element), where it lives beside the model and
 * the batch size that fits. Pure. */
#include <stdio.h>
#include <string.h>

#include "plan/plan_internal.h"

void hr_plan_cache_req_init(hr_plan_cache_req *r) {
    memset(r, 0, sizeof *r);
    r->size = sizeof *r;
    r->channels = 3;
    r->dtype = HR_DTYPE_FP32;
    r->margin_pct = HR__PLAN_MARGIN_PCT;
}

static hr_status check(const hr_plan_cache_req *r, hr_plan_error *err) {
    if (r->count < 1 || r->count > 1000000000LL)
        return hr__plan_fail(err, HR_EINVAL, "--count", "use 1 to 1000000000 samples",
                             "%lld samples is out of range", (long long)r->count);
    if (r->channels < 1 || r->channels > 4096)
        return hr__plan_fail(err, HR_EINVAL, "--channels", "use 1 to 4096", "%d is out of range",
                             r->channels);
    if (r->height_px < 1 || r->width_px < 1 || r->height_px > 65536 || r->width_px > 65536)
        return hr__plan_fail(err, HR_EINVAL, "--size", "use S or HxW, 1 to 65536 pixels",
                             "%dx%d is out of range", r->height_px, r->width_px);
    if (r->dtype != HR_DTYPE_FP32 && r->dtype != HR_DTYPE_FP16 && r->dtype != HR_DTYPE_BF16)
        return hr__plan_fail(err, HR_EINVAL, "--dtype", "use fp32, fp16 or bf16",
                             "%s is not a tensor cache dtype", hr_plan_dtype_name(r->dtype));
    if (r->model_bytes < 0 || r->per_sample_bytes < 0 || r->margin_pct < 0 || r->margin_pct > 90)
        return hr__plan_fail(err, HR_EINVAL, "plan cache", NULL, "negative memory or margin");
    return HR_OK;
}

static int sizes(const hr_plan_cache_req *q, hr_plan_cache_result *r, int64_t *per_sample_elems) {
    int64_t e = q->channels;
    if (!hr__plan_mul(e, q->height_px, &e) || !hr__plan_mul(e, q->width_px, &e))
        return 0;
    *per_sample_elems = e;
    int64_t all = 0;
    if (!hr__plan_mul(e, q->count, &all))
        return 0;
    r->cache_bytes = hr__plan_elems_bytes(all, q->dtype);
    r->half_bytes = hr__plan_elems_bytes(all, HR_DTYPE_FP16);
    if (r->cache_bytes < 0 || r->half_bytes < 0)
        return 0;
    char mib[32];
    hr__plan_fmt_bytes(mib, sizeof mib, r->cache_bytes);
    snprintf(r->size_reason, sizeof r->size_reason,
             "%lld x %d x %d x %d x %lld bytes (%s) = %lld bytes = %.0f MB = %.1f GB (%s)",
             (long long)q->count, q->channels, q->height_px, q->width_px,
             (long long)hr__plan_elems_bytes(1, q->dtype), hr_plan_dtype_name(q->dtype),
             (long long)r->cache_bytes, (double)r->cache_bytes / 1e6, (double)r->cache_bytes / 1e9,
             mib);
    return 1;
}

/* Room on the host for a streamed cache; unified memory shares it with
 * the device's model and runtime. -1 when unknown. */
static int64_t host_room(const hr_plan_device *d, const hr_plan_cache_req *q) {
    if (!HR_IS_KNOWN(d->host_available_bytes))
        return -1;
    int64_t room = hr__plan_usable(d->host_available_bytes.v, q->margin_pct);
    if (d->unified_memory)
        room -= q->model_bytes + hr__plan_runtime_bytes(d->kind);
    return room < 0 ? 0 : room;
}

static void place(const hr_plan_device *d, const hr_plan_cache_req *q, hr_plan_cache_result *r) {
    char a[32], b[32];
    hr__plan_fmt_bytes(b, sizeof b, r->usable_bytes < 0 ? 0 : r->usable_bytes);
    int half_ok = q->dtype == HR_DTYPE_FP32 && r->half_bytes <= r->usable_bytes;
    r->dtype = q->dtype;
    if (r->cache_bytes <= r->usable_bytes) {
        r->placement = HR_PLACE_DEVICE;
        hr__plan_fmt_bytes(a, sizeof a, r->cache_bytes);
        snprintf(r->placement_reason, sizeof r->placement_reason, "%s fits in the %s left on %s "
                 "beside the model: %s", a, b, d->torch_device,
                 d->kind == HR_ACCEL_CPU ? "keep it in memory and slice batches from it"
                                         : "move it once, slice batches on the device");
    } else if (half_ok) {
        r->placement = HR_PLACE_DEVICE_HALF;
        r->dtype = d->bf16 == HR_PLAN_YES && d->kind != HR_ACCEL_MPS ? HR_DTYPE_BF16 : HR_DTYPE_FP16;
        hr__plan_fmt_bytes(a, sizeof a, r->half_bytes);
        snprintf(r->placement_reason, sizeof r->placement_reason, "fp32 does not fit the %s left "
                 "on %s; a %s copy (%s) does: normalised pixels lose little, upcast per batch if "
                 "the model runs fp32", b, d->torch_device, hr_plan_dtype_name(r->dtype), a);
    } else if (d->kind != HR_ACCEL_CPU && r->host_usable_bytes >= r->half_bytes &&
               r->host_usable_bytes >= 0) {
        r->placement = HR_PLACE_HOST_STREAM;
        if (r->host_usable_bytes < r->cache_bytes)
            r->dtype = HR_DTYPE_FP16;
        hr__plan_fmt_bytes(a, sizeof a, r->host_usable_bytes);
        snprintf(r->placement_reason, sizeof r->placement_reason, "too big for %s (%s left); keep "
                 "it in host RAM (%s usable) as %s%s and copy each batch with non_blocking=True",
                 d->torch_device, b, a, hr_plan_dtype_name(r->dtype),
                 d->kind == HR_ACCEL_MPS ? "" : " in pinned memory");
    } else {
        r->placement = HR_PLACE_DISK_STREAM;
        hr__plan_fmt_bytes(a, sizeof a, r->host_usable_bytes < 0 ? 0 : r->host_usable_bytes);
        snprintf(r->placement_reason, sizeof r->placement_reason, "neither %s (%s left) nor RAM "
                 "(%s%s) holds it: write it once to a memory-mapped file (numpy memmap or "
                 "safetensors) and stream batches", d->torch_device, b, a,
                 r->host_usable_bytes < 0 ? ", unknown" : "");
    }
}

static int64_t pow2_floor(int64_t v) {
    int64_t p = 1;
    while (p <= v / 2)
        p *= 2;
    return p;
}

static void batch(const hr_plan_cache_req *q, hr_plan_cache_result *r, int64_t elems) {
    r->batch = r->batch_max = -1;
    if (q->per_sample_bytes <= 0) {
        snprintf(r->batch_reason, sizeof r->batch_reason, "give --per-sample-mem (activation "
                 "memory per sample) for a batch size");
        return;
    }
    int64_t room = r->usable_bytes, per = q->per_sample_bytes;
    if (r->placement == HR_PLACE_DEVICE)
        room -= r->cache_bytes;
    else if (r->placement == HR_PLACE_DEVICE_HALF)
        room -= r->half_bytes;
    else
        per += hr__plan_elems_bytes(elems, r->dtype); /* each batch's inputs come over */
    r->batch_max = room > 0 ? room / per : 0;
    r->batch = r->batch_max >= q->count ? q->count : r->batch_max > 0 ? pow2_floor(r->batch_max) : 0;
    char a[32], b[32];
    hr__plan_fmt_bytes(a, sizeof a, room > 0 ? room : 0);
    hr__plan_fmt_bytes(b, sizeof b, per);
    snprintf(r->batch_reason, sizeof r->batch_reason, r->batch == q->count
             ? "%s left / %s per sample = %lld: the whole set in one batch"
             : "%s left / %s per sample = %lld; largest power of two below", a, b,
             (long long)r->batch_max);
}

hr_status hr_plan_cache(const hr_plan_device *d, const hr_plan_cache_req *q,
                        hr_plan_cache_result *out, hr_plan_error *err) {
    if (!d || !q || !out)
        return hr__plan_fail(err, HR_EINVAL, "plan", NULL, "missing input");
    hr_status s = check(q, err);
    if (s != HR_OK)
        return s;
    memset(out, 0, sizeof *out);
    out->size = sizeof *out;
    out->device = *d;
    out->req = *q;
    int64_t elems = 0;
    if (!sizes(q, out, &elems))
        return hr__plan_fail(err, HR_EINVAL, "plan cache", "check --count and --size",
                             "the cache size overflows 64 bits");
    if (!HR_IS_KNOWN(d->budget_bytes) || d->budget_bytes.v <= 0) {
        out->placement = HR_PLACE_UNKNOWN;
        out->batch = out->batch_max = -1;
        snprintf(out->placement_reason, sizeof out->placement_reason, "unknown: the %s memory "
                 "budget could not be read (%s); plan for a stated machine with --assume-device "
                 "and --assume-memory", hr_plan_device_kind_name(d->kind),
                 hr_why_text(d->budget_bytes.why));
        return HR_OK;
    }
    out->budget_bytes = d->budget_bytes.v;
    out->usable_bytes = hr__plan_usable(out->budget_bytes, q->margin_pct) -
                        hr__plan_runtime_bytes(d->kind) - q->model_bytes;
    out->host_usable_bytes = host_room(d, q);
    place(d, q, out);
    batch(q, out, elems);
    if (d->kind == HR_ACCEL_MPS)
        hr__plan_note(out->notes, &out->nnotes, HR_PLAN_MAX_NOTES, "MPS: num_workers=0 "
                      "(multiprocessing can deadlock) and float64 accumulation on the CPU (seed 001)");
    if (q->model_bytes == 0)
        hr__plan_note(out->notes, &out->nnotes, HR_PLAN_MAX_NOTES, "no --model-mem given: the "
                      "model's own memory is not counted");
    return HR_OK;
}
