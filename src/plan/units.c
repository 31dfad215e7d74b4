/* units.c: strict parsers for the sizes people type: memory ("16G",
 * "1.5GiB", "500MB"), parameter counts ("7B", "8x7B", "270M"), image sizes
 * ("1024x768"), dtypes and device kinds. Each accepts exactly the
 * documented forms and says what is wrong with anything else. */
#include <ctype.h>
#include <string.h>

#include "plan/plan_internal.h"

#define MAX_FRAC_DIGITS 9
#define PIB (1024LL * 1024 * 1024 * 1024 * 1024)

/* A decimal number "123" or "1.25" at *P: integer part, fraction digits
 * (as an integer) and their count. Advances *P. Returns 1 on success. */
static int parse_decimal(const char **p, int64_t *ip, int64_t *frac, int *fdigits) {
    const char *s = *p;
    int64_t v = 0;
    if (!isdigit((unsigned char)*s))
        return 0;
    for (; isdigit((unsigned char)*s); s++) {
        if (v > (INT64_MAX - (*s - '0')) / 10)
            return 0;
        v = v * 10 + (*s - '0');
    }
    *ip = v;
    *frac = 0;
    *fdigits = 0;
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s))
            return 0;
        for (; isdigit((unsigned char)*s); s++) {
            if (*fdigits >= MAX_FRAC_DIGITS)
                return 0;
            *frac = *frac * 10 + (*s - '0');
            (*fdigits)++;
        }
    }
    *p = s;
    return 1;
}

/* IP.FRAC x MULT into *OUT, truncating below one unit. 0 on overflow. */
static int scale_decimal(int64_t ip, int64_t frac, int fdigits, int64_t mult, int64_t *out) {
    int64_t whole = 0;
    if (!hr__plan_mul(ip, mult, &whole))
        return 0;
    int64_t den = 1;
    for (int i = 0; i < fdigits; i++)
        den *= 10;
    /* frac < den <= 1e9 and mult <= 2^50: split mult to avoid overflow. */
    int64_t part = (mult / den) * frac + (mult % den) * frac / den;
    return hr__plan_add(whole, part, out);
}

typedef struct unit_def {
    const char *name;
    int64_t mult;
} unit_def;

static const unit_def byte_units[] = {
    {"", 1}, {"b", 1},
    {"k", 1024LL}, {"kib", 1024LL}, {"kb", 1000LL},
    {"m", 1024LL * 1024}, {"mib", 1024LL * 1024}, {"mb", 1000LL * 1000},
    {"g", 1024LL * 1024 * 1024}, {"gib", 1024LL * 1024 * 1024}, {"gb", 1000LL * 1000 * 1000},
    {"t", 1024LL * 1024 * 1024 * 1024}, {"tib", 1024LL * 1024 * 1024 * 1024},
    {"tb", 1000LL * 1000 * 1000 * 1000},
};

static const char *const bytes_hint =
    "write a size such as 16G, 16GiB (2^30 bytes each), 16GB (10^9 bytes each), 512M or 1073741824";

hr_status hr_plan_parse_bytes(const char *text, int64_t *out_bytes, hr_plan_error *err) {
    if (!text || !*text)
        return hr__plan_fail(err, HR_EINVAL, NULL, bytes_hint, "empty size");
    const char *p = text;
    if (*p == '-')
        return hr__plan_fail(err, HR_EINVAL, NULL, bytes_hint, "'%s' is negative", text);
    int64_t ip, frac;
    int fd;
    if (!parse_decimal(&p, &ip, &frac, &fd))
        return hr__plan_fail(err, HR_EINVAL, NULL, bytes_hint, "'%s' is not a number with a unit",
                             text);
    if (*p == ' ')
        p++;
    for (size_t i = 0; i < sizeof byte_units / sizeof byte_units[0]; i++) {
        if (!hr__plan_ieq(p, byte_units[i].name))
            continue;
        if (byte_units[i].mult == 1 && fd > 0)
            return hr__plan_fail(err, HR_EINVAL, NULL, bytes_hint,
                                 "'%s': a byte count must be a whole number", text);
        int64_t v = 0;
        if (!scale_decimal(ip, frac, fd, byte_units[i].mult, &v) || v > PIB)
            return hr__plan_fail(err, HR_EINVAL, NULL, bytes_hint,
                                 "'%s' is absurd (more than 1 PiB)", text);
        if (v <= 0)
            return hr__plan_fail(err, HR_EINVAL, NULL, bytes_hint, "'%s' is zero", text);
        *out_bytes = v;
        return HR_OK;
    }
    return hr__plan_fail(err, HR_EINVAL, NULL, bytes_hint, "'%s': unknown unit '%s'", text, p);
}

static const char *const params_hint =
    "write a parameter count such as 7B, 1.5B, 270M, 8x7B (experts x size) or 7000000000";

/* "7B" / "270M" / "1T" / "7000000000" at P (whole string). */
static int parse_count(const char *p, int64_t *out) {
    int64_t ip, frac;
    int fd;
    if (!parse_decimal(&p, &ip, &frac, &fd))
        return 0;
    int64_t mult = 0;
    if (*p == '\0')
        mult = 1;
    else if ((*p == 'B' || *p == 'b') && p[1] == '\0')
        mult = 1000000000LL;
    else if ((*p == 'M' || *p == 'm') && p[1] == '\0')
        mult = 1000000LL;
    else if ((*p == 'T' || *p == 't') && p[1] == '\0')
        mult = 1000000000000LL;
    else
        return -1;
    if (mult == 1 && fd > 0)
        return 0;
    return scale_decimal(ip, frac, fd, mult, out) ? 1 : -2;
}

hr_status hr_plan_parse_params(const char *text, int64_t *out_params, hr_plan_error *err) {
    if (!text || !*text)
        return hr__plan_fail(err, HR_EINVAL, NULL, params_hint, "empty parameter count");
    if (*text == '-')
        return hr__plan_fail(err, HR_EINVAL, NULL, params_hint, "'%s' is negative", text);
    const char *p = text;
    int64_t experts = 1;
    const char *x = strpbrk(text, "xX");
    if (x) {
        int64_t e = 0;
        char head[24];
        size_t n = (size_t)(x - text);
        if (n == 0 || n >= sizeof head)
            return hr__plan_fail(err, HR_EINVAL, NULL, params_hint, "'%s' is malformed", text);
        memcpy(head, text, n);
        head[n] = '\0';
        if (!hr__plan_parse_int(head, 1, 1024, &e))
            return hr__plan_fail(err, HR_EINVAL, NULL, params_hint,
                                 "'%s': the expert count must be 1 to 1024", text);
        experts = e;
        p = x + 1;
    }
    int64_t v = 0;
    int rc = parse_count(p, &v);
    if (rc == -1)
        return hr__plan_fail(err, HR_EINVAL, NULL, params_hint,
                             "'%s': unknown unit (use B, M or T)", text);
    if (rc == 0)
        return hr__plan_fail(err, HR_EINVAL, NULL, params_hint, "'%s' is not a parameter count",
                             text);
    if (rc != 1 || !hr__plan_mul(v, experts, &v) || v > 100000000000000LL)
        return hr__plan_fail(err, HR_EINVAL, NULL, params_hint,
                             "'%s' is absurd (more than 100T parameters)", text);
    if (v < 1000)
        return hr__plan_fail(err, HR_EINVAL, NULL, params_hint,
                             "'%s' is too small (at least 1000 parameters)", text);
    *out_params = v;
    return HR_OK;
}

hr_status hr_plan_parse_image_size(const char *text, int32_t *w_px, int32_t *h_px,
                                   hr_plan_error *err) {
    static const char *hint = "write WxH in pixels, such as 1024x1024 or 1536x1024";
    if (!text || !*text)
        return hr__plan_fail(err, HR_EINVAL, NULL, hint, "empty image size");
    char buf[32];
    if (strlen(text) >= sizeof buf)
        return hr__plan_fail(err, HR_EINVAL, NULL, hint, "'%.40s...' is not WxH", text);
    hr__strlcpy(buf, text, sizeof buf);
    char *x = strpbrk(buf, "xX");
    if (x)
        *x = '\0';
    int64_t w = 0, h = 0;
    if (!hr__plan_parse_int(buf, 1, 65536, &w) || (x && !hr__plan_parse_int(x + 1, 1, 65536, &h)))
        return hr__plan_fail(err, HR_EINVAL, NULL, hint,
                             "'%s' is not WxH with sides from 1 to 65536 pixels", text);
    *w_px = (int32_t)w;
    *h_px = (int32_t)(x ? h : w);
    return HR_OK;
}

typedef struct name_value {
    const char *name;
    int32_t value;
} name_value;

static const name_value dtype_names[] = {
    {"fp32", HR_DTYPE_FP32}, {"float32", HR_DTYPE_FP32}, {"float", HR_DTYPE_FP32},
    {"fp16", HR_DTYPE_FP16}, {"float16", HR_DTYPE_FP16}, {"half", HR_DTYPE_FP16},
    {"bf16", HR_DTYPE_BF16}, {"bfloat16", HR_DTYPE_BF16},
    {"int8", HR_DTYPE_INT8}, {"8bit", HR_DTYPE_INT8},
    {"int4", HR_DTYPE_INT4}, {"nf4", HR_DTYPE_INT4}, {"4bit", HR_DTYPE_INT4},
};

hr_status hr_plan_parse_dtype(const char *text, int32_t *out_dtype, hr_plan_error *err) {
    const char *t = text ? text : "";
    if (strncmp(t, "torch.", 6) == 0)
        t += 6;
    for (size_t i = 0; i < sizeof dtype_names / sizeof dtype_names[0]; i++) {
        if (hr__plan_ieq(t, dtype_names[i].name)) {
            *out_dtype = dtype_names[i].value;
            return HR_OK;
        }
    }
    return hr__plan_fail(err, HR_EINVAL, NULL, "use one of fp32, fp16, bf16, int8, int4",
                         "'%s' is not a dtype", text ? text : "");
}

static const name_value kind_names[] = {
    {"cpu", HR_ACCEL_CPU}, {"cuda", HR_ACCEL_CUDA}, {"rocm", HR_ACCEL_ROCM}, {"mps", HR_ACCEL_MPS},
};

hr_status hr_plan_parse_device_kind(const char *text, int32_t *out_kind, hr_plan_error *err) {
    for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++) {
        if (text && hr__plan_ieq(text, kind_names[i].name)) {
            *out_kind = kind_names[i].value;
            return HR_OK;
        }
    }
    return hr__plan_fail(err, HR_EINVAL, NULL, "use one of cuda, rocm, mps, cpu",
                         "'%s' is not a device kind", text ? text : "");
}

const char *hr_plan_device_kind_name(int kind) {
    for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
        if (kind_names[i].value == kind)
            return kind_names[i].name;
    return "unknown";
}
