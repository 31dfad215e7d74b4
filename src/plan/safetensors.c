/* safetensors.c: parameters and bytes from a safetensors header: 8 bytes of
 * little-endian header length, then a JSON object mapping tensor names to
 * {"dtype", "shape", "data_offsets"} (plus an optional "__metadata__"). */
#include <jansson.h>
#include <string.h>

#include "plan/plan_internal.h"

typedef struct st_dtype {
    const char *name;
    int bits;
    int32_t dtype; /* hr_plan_dtype it counts as */
} st_dtype;

static const st_dtype st_dtypes[] = {
    {"F64", 64, HR_DTYPE_MIXED},   {"F32", 32, HR_DTYPE_FP32},    {"F16", 16, HR_DTYPE_FP16},
    {"BF16", 16, HR_DTYPE_BF16},   {"I64", 64, HR_DTYPE_MIXED},   {"I32", 32, HR_DTYPE_MIXED},
    {"I16", 16, HR_DTYPE_MIXED},   {"I8", 8, HR_DTYPE_INT8},      {"U8", 8, HR_DTYPE_INT8},
    {"BOOL", 8, HR_DTYPE_MIXED},   {"U16", 16, HR_DTYPE_MIXED},   {"U32", 32, HR_DTYPE_MIXED},
    {"U64", 64, HR_DTYPE_MIXED},   {"F8_E4M3", 8, HR_DTYPE_MIXED}, {"F8_E5M2", 8, HR_DTYPE_MIXED},
    {"F8_E8M0", 8, HR_DTYPE_MIXED}, {"F6_E2M3", 6, HR_DTYPE_MIXED}, {"F6_E3M2", 6, HR_DTYPE_MIXED},
    {"F4", 4, HR_DTYPE_MIXED},
};

static const st_dtype *st_find(const char *name) {
    for (size_t i = 0; i < sizeof st_dtypes / sizeof st_dtypes[0]; i++)
        if (strcmp(st_dtypes[i].name, name) == 0)
            return &st_dtypes[i];
    return NULL;
}

/* Totals of one file, merged into the facts only when the whole header is valid. */
typedef struct st_sum {
    int64_t params, bytes, unquantized, bytes_by[8];
    int tensors;
} st_sum;

static int unquantized_name(const char *name) {
    return strstr(name, "embed") || strstr(name, "lm_head") || strstr(name, "wte.") ||
           strstr(name, "wpe.") || strcmp(name, "shared.weight") == 0;
}

/* Elements of SHAPE (array of non-negative integers) into *OUT. */
static int shape_elems(json_t *shape, int64_t *out) {
    if (!json_is_array(shape) || json_array_size(shape) > 8)
        return 0;
    int64_t n = 1;
    size_t i;
    json_t *d;
    json_array_foreach(shape, i, d) {
        if (!json_is_integer(d) || !hr__plan_mul(n, json_integer_value(d), &n))
            return 0;
    }
    *out = n;
    return 1;
}

static hr_status st_tensor(st_sum *sum, const char *tname, json_t *t, const char *name,
                           hr_plan_error *err) {
    json_t *dt = json_object_get(t, "dtype");
    json_t *off = json_object_get(t, "data_offsets");
    const st_dtype *d = json_is_string(dt) ? st_find(json_string_value(dt)) : NULL;
    int64_t elems = 0, bits = 0, bytes = 0;
    if (!d || !shape_elems(json_object_get(t, "shape"), &elems) || !hr__plan_mul(elems, d->bits, &bits))
        return hr__plan_fail(err, HR_EPARSE, name, "the file is not a safetensors file we can read",
                             "tensor '%.60s': bad or unknown dtype/shape", tname);
    bytes = bits / 8 + (bits % 8 != 0);
    if (!json_is_array(off) || json_array_size(off) != 2 ||
        !json_is_integer(json_array_get(off, 0)) || !json_is_integer(json_array_get(off, 1)) ||
        json_integer_value(json_array_get(off, 1)) - json_integer_value(json_array_get(off, 0)) != bytes)
        return hr__plan_fail(err, HR_EPARSE, name, "the file may be truncated or corrupt",
                             "tensor '%.60s': data_offsets do not span shape x dtype (%lld bytes)",
                             tname, (long long)bytes);
    if (!hr__plan_add(sum->params, elems, &sum->params) || !hr__plan_add(sum->bytes, bytes, &sum->bytes))
        return hr__plan_fail(err, HR_EPARSE, name, NULL, "tensor sizes overflow");
    if (json_array_size(json_object_get(t, "shape")) <= 1 || unquantized_name(tname))
        sum->unquantized += elems;
    sum->bytes_by[d->dtype] += bytes;
    sum->tensors++;
    return HR_OK;
}

static hr_status st_walk(st_sum *sum, json_t *root, const char *name, hr_plan_error *err) {
    const char *key;
    json_t *t;
    json_object_foreach(root, key, t) {
        if (strcmp(key, "__metadata__") == 0)
            continue;
        if (!json_is_object(t))
            return hr__plan_fail(err, HR_EPARSE, name, NULL, "entry '%.60s' is not an object", key);
        hr_status s = st_tensor(sum, key, t, name, err);
        if (s != HR_OK)
            return s;
    }
    return HR_OK;
}

/* The dtype holding at least 95 % of the bytes, else mixed. */
static int32_t st_dominant(const st_sum *sum) {
    for (int32_t d = HR_DTYPE_FP32; d <= HR_DTYPE_INT8; d++)
        if (sum->bytes_by[d] > 0 && sum->bytes_by[d] >= sum->bytes - sum->bytes / 20)
            return d;
    return HR_DTYPE_MIXED;
}

static void st_merge(hr_plan_model_facts *f, const st_sum *sum) {
    if (f->tensors == 0) {
        f->params = hr__known(0);
        f->checkpoint_bytes = hr__known(0);
        f->unquantized_params = hr__known(0);
        f->checkpoint_dtype = st_dominant(sum);
    } else if (f->checkpoint_dtype != st_dominant(sum)) {
        f->checkpoint_dtype = HR_DTYPE_MIXED;
    }
    f->params.v += sum->params;
    f->checkpoint_bytes.v += sum->bytes;
    f->unquantized_params.v += sum->unquantized;
    f->tensors += sum->tensors;
    hr__snprintf(f->params_source, sizeof f->params_source,
                 "safetensors headers: %d tensors, shapes summed exactly", f->tensors);
}

hr_status hr_plan_model_facts_add_safetensors(hr_plan_model_facts *f, const uint8_t *buf, size_t len,
                                              const char *name, hr_plan_error *err) {
    if (!f || !buf || len < 8)
        return hr__plan_fail(err, HR_EINVAL, name, "the file is too short for a safetensors file",
                             "fewer than 8 bytes");
    int64_t n = hr_plan_safetensors_header_len(buf);
    if (n < 2)
        return hr__plan_fail(err, HR_EPARSE, name, "the file is not a safetensors file",
                             "header length %lld is absurd", (long long)n);
    if ((uint64_t)n > len - 8)
        return hr__plan_fail(err, HR_EINVAL, name, "the file is truncated",
                             "header needs %lld bytes, %zu present", (long long)n, len - 8);
    json_error_t je;
    json_t *root = json_loadb((const char *)buf + 8, (size_t)n, JSON_REJECT_DUPLICATES, &je);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        return hr__plan_fail(err, HR_EPARSE, name, "the file is not a safetensors file",
                             "header is not a JSON object%s%s", root ? "" : ": ",
                             root ? "" : je.text);
    }
    st_sum sum;
    memset(&sum, 0, sizeof sum);
    hr_status s = st_walk(&sum, root, name, err);
    json_decref(root);
    if (s == HR_OK && sum.tensors > 0) {
        int64_t tp = 0;
        if (f->tensors > 0 && (!hr__plan_add(f->params.v, sum.params, &tp) ||
                               !hr__plan_add(f->checkpoint_bytes.v, sum.bytes, &tp)))
            return hr__plan_fail(err, HR_EPARSE, name, NULL, "tensor sizes overflow");
        st_merge(f, &sum);
    }
    return s;
}
