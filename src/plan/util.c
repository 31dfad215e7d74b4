/* util.c: small pure helpers for the planner: errors, notes, byte text,
 * overflow-checked arithmetic. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "plan/plan_internal.h"

hr_status hr__plan_fail(hr_plan_error *err, hr_status status, const char *what, const char *hint,
                        const char *fmt, ...) {
    if (!err)
        return status;
    if (what)
        hr__strlcpy_tail(err->what, what, sizeof err->what);
    else if (!err->what[0])
        hr__strlcpy(err->what, "plan", sizeof err->what);
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(err->why, sizeof err->why, fmt, ap) < 0)
        err->why[0] = '\0';
    va_end(ap);
    hr__strlcpy(err->hint, hint ? hint : "", sizeof err->hint);
    return status;
}

void hr__plan_note(char (*notes)[HR_PLAN_REASON_CAP], size_t *n, size_t max, const char *fmt, ...) {
    if (*n >= max)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(notes[*n], HR_PLAN_REASON_CAP, fmt, ap) < 0)
        notes[*n][0] = '\0';
    va_end(ap);
    (*n)++;
}

void hr__plan_fmt_bytes(char *buf, size_t cap, int64_t bytes) {
    static const char *units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = (double)bytes;
    size_t u = 0;
    while ((v >= 1024.0 || v <= -1024.0) && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1024.0;
        u++;
    }
    if (u == 0)
        hr__snprintf(buf, cap, "%lld bytes", (long long)bytes);
    else if (v >= 100.0 || v <= -100.0)
        hr__snprintf(buf, cap, "%.0f %s", v, units[u]);
    else
        hr__snprintf(buf, cap, "%.1f %s", v, units[u]);
}

int hr__plan_mul(int64_t a, int64_t b, int64_t *out) {
    if (a < 0 || b < 0)
        return 0;
    if (a != 0 && b > INT64_MAX / a)
        return 0;
    *out = a * b;
    return 1;
}

int hr__plan_add(int64_t a, int64_t b, int64_t *out) {
    if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b))
        return 0;
    *out = a + b;
    return 1;
}

int64_t hr__plan_usable(int64_t budget_bytes, int pct) {
    if (budget_bytes <= 0)
        return 0;
    return budget_bytes - budget_bytes / 100 * pct - budget_bytes % 100 * pct / 100;
}

int64_t hr__plan_elems_bytes(int64_t count, int dtype) {
    int64_t out = 0;
    switch (dtype) {
    case HR_DTYPE_FP32:
        return hr__plan_mul(count, 4, &out) ? out : -1;
    case HR_DTYPE_FP16:
    case HR_DTYPE_BF16:
        return hr__plan_mul(count, 2, &out) ? out : -1;
    case HR_DTYPE_INT8:
        return count;
    case HR_DTYPE_INT4:
        return count / 2 + count % 2;
    default:
        return -1;
    }
}

int64_t hr__plan_runtime_bytes(int kind) {
    return kind == HR_ACCEL_MPS ? 256 * HR__MIB : 512 * HR__MIB;
}

int hr__plan_ieq(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
    return *a == *b;
}

int hr__plan_icontains(const char *hay, const char *needle) {
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return 1;
    }
    return n == 0;
}

int hr__plan_parse_int(const char *s, int64_t min, int64_t max, int64_t *out) {
    if (!s || !*s)
        return 0;
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        if (v > (INT64_MAX - (*p - '0')) / 10)
            return 0;
        v = v * 10 + (*p - '0');
    }
    if (v < min || v > max)
        return 0;
    *out = v;
    return 1;
}

const char *hr_plan_dtype_name(int dtype) {
    switch (dtype) {
    case HR_DTYPE_FP32: return "fp32";
    case HR_DTYPE_FP16: return "fp16";
    case HR_DTYPE_BF16: return "bf16";
    case HR_DTYPE_INT8: return "int8";
    case HR_DTYPE_INT4: return "int4";
    case HR_DTYPE_MIXED: return "mixed";
    default: return "unknown";
    }
}

const char *hr_plan_verdict_name(int verdict) {
    switch (verdict) {
    case HR_VERDICT_FITS: return "fits";
    case HR_VERDICT_SPLIT: return "split";
    case HR_VERDICT_OFFLOAD: return "offload";
    case HR_VERDICT_NO_FIT: return "no_fit";
    case HR_VERDICT_UNKNOWN_BUDGET: return "unknown_budget";
    default: return "unknown";
    }
}

const char *hr_plan_placement_name(int placement) {
    switch (placement) {
    case HR_PLACE_DEVICE: return "device";
    case HR_PLACE_DEVICE_HALF: return "device_half";
    case HR_PLACE_HOST_STREAM: return "host_stream";
    case HR_PLACE_DISK_STREAM: return "disk_stream";
    default: return "unknown";
    }
}
