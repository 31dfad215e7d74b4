/* model_facts.c: facts about a model from the files of a model directory,
 * given as bytes: config.json, model.safetensors.index.json and the header
 * of each .safetensors file. Pure parsers; model_dir.c does the reading. */
#include <jansson.h>
#include <string.h>

#include "plan/plan_internal.h"

#define MAX_HEADER_BYTES (100LL * 1024 * 1024)

static hr_status json_fail(hr_plan_error *err, const char *name, const json_error_t *je) {
    char what[160];
    hr__snprintf(what, sizeof what, "%s:%d:%d", name, je->line, je->column);
    return hr__plan_fail(err, HR_EPARSE, what, "fix the JSON at that position", "%s", je->text);
}

/* The sections of a config where text-model keys may live, in order. */
static int config_sections(json_t *root, json_t *out[6]) {
    int n = 0;
    out[n++] = root;
    const char *nested[] = {"text_config", "llm_config", "language_config", "thinker_config"};
    for (size_t i = 0; i < 4; i++) {
        json_t *s = json_object_get(root, nested[i]);
        if (json_is_object(s))
            out[n++] = s;
    }
    json_t *th = json_object_get(root, "thinker_config");
    json_t *tt = json_is_object(th) ? json_object_get(th, "text_config") : NULL;
    if (json_is_object(tt))
        out[n++] = tt;
    return n;
}

/* The first of KEYS (NULL-terminated) present in any section. */
static json_t *config_get(json_t *const *sec, int nsec, const char *const *keys, const char **found) {
    for (int s = 0; s < nsec; s++) {
        for (size_t k = 0; keys[k]; k++) {
            json_t *v = json_object_get(sec[s], keys[k]);
            if (v && !json_is_null(v)) {
                *found = keys[k];
                return v;
            }
        }
    }
    return NULL;
}

/* Reads a positive integer setting into *OUT (unchanged when absent). */
static hr_status config_int(json_t *const *sec, int nsec, const char *const *keys, hr_reading *out,
                            const char *name, hr_plan_error *err) {
    const char *key = keys[0];
    json_t *v = config_get(sec, nsec, keys, &key);
    if (!v)
        return HR_OK;
    if (!json_is_integer(v) || json_integer_value(v) <= 0 || json_integer_value(v) > (1LL << 40))
        return hr__plan_fail(err, HR_EPARSE, name, "fix or remove the key",
                             "'%s' is not a positive integer", key);
    *out = hr__known(json_integer_value(v));
    return HR_OK;
}

static void config_dtype(hr_plan_model_facts *f, json_t *const *sec, int nsec) {
    static const char *const keys[] = {"torch_dtype", "dtype", NULL};
    const char *key = NULL;
    json_t *v = config_get(sec, nsec, keys, &key);
    int32_t dt = HR_DTYPE_UNKNOWN;
    if (json_is_string(v) && hr_plan_parse_dtype(json_string_value(v), &dt, NULL) == HR_OK &&
        f->checkpoint_dtype == HR_DTYPE_UNKNOWN)
        f->checkpoint_dtype = dt;
}

static void config_multimodal(hr_plan_model_facts *f, json_t *root) {
    static const char *const keys[] = {"vision_config", "audio_config", "thinker_config",
                                       "vision_tower", "visual"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (json_object_get(root, keys[i])) {
            f->multimodal = 1;
            hr__snprintf(f->multimodal_reason, sizeof f->multimodal_reason,
                         "config.json has '%s'", keys[i]);
            return;
        }
    }
}

/* Embedding parameters (vocab x hidden, twice when untied) when the
 * safetensors headers did not count them exactly. */
static void config_embeddings(hr_plan_model_facts *f, json_t *const *sec, int nsec, hr_reading hidden) {
    static const char *const vk[] = {"vocab_size", NULL};
    static const char *const tk[] = {"tie_word_embeddings", NULL};
    const char *key = NULL;
    json_t *vocab = config_get(sec, nsec, vk, &key);
    json_t *tie = config_get(sec, nsec, tk, &key);
    if (f->tensors > 0 || !HR_IS_KNOWN(hidden) || !json_is_integer(vocab) ||
        json_integer_value(vocab) <= 0)
        return;
    int64_t emb = 0;
    if (!hr__plan_mul(json_integer_value(vocab), hidden.v, &emb))
        return;
    if (json_is_false(tie))
        emb *= 2;
    f->unquantized_params = hr__known(emb);
}

static hr_status config_shape(hr_plan_model_facts *f, json_t *const *sec, int nsec, const char *name,
                              hr_plan_error *err) {
    static const char *const layers[] = {"num_hidden_layers", "n_layer", "num_layers", NULL};
    static const char *const heads[] = {"num_attention_heads", "n_head", NULL};
    static const char *const kvh[] = {"num_key_value_heads", "num_kv_heads", NULL};
    static const char *const hd[] = {"head_dim", NULL};
    static const char *const hid[] = {"hidden_size", "n_embd", "d_model", NULL};
    static const char *const ctx[] = {"max_position_embeddings", "n_positions", "max_seq_len", NULL};
    static const char *const exp[] = {"num_local_experts", "num_experts", NULL};
    hr_reading nh = {0, HR_WHY_ABSENT, 0}, hidden = nh, experts = nh;
    hr_status s;
    if ((s = config_int(sec, nsec, layers, &f->layers, name, err)) != HR_OK ||
        (s = config_int(sec, nsec, heads, &nh, name, err)) != HR_OK ||
        (s = config_int(sec, nsec, kvh, &f->kv_heads, name, err)) != HR_OK ||
        (s = config_int(sec, nsec, hd, &f->head_dim, name, err)) != HR_OK ||
        (s = config_int(sec, nsec, hid, &hidden, name, err)) != HR_OK ||
        (s = config_int(sec, nsec, ctx, &f->max_context_tokens, name, err)) != HR_OK ||
        (s = config_int(sec, nsec, exp, &experts, name, err)) != HR_OK)
        return s;
    if (!HR_IS_KNOWN(f->kv_heads) && HR_IS_KNOWN(nh))
        f->kv_heads = nh;
    if (!HR_IS_KNOWN(f->head_dim) && HR_IS_KNOWN(nh) && HR_IS_KNOWN(hidden) && hidden.v % nh.v == 0)
        f->head_dim = hr__known(hidden.v / nh.v);
    if (HR_IS_KNOWN(experts) && experts.v > 1)
        f->moe_experts = (int32_t)(experts.v > 1024 ? 1024 : experts.v);
    config_embeddings(f, sec, nsec, hidden);
    return HR_OK;
}

hr_status hr_plan_model_facts_from_config(hr_plan_model_facts *f, const char *json, size_t len,
                                          const char *name, hr_plan_error *err) {
    json_error_t je;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return json_fail(err, name, &je);
    if (!json_is_object(root)) {
        json_decref(root);
        return hr__plan_fail(err, HR_EPARSE, name, "config.json must be a JSON object",
                             "not a JSON object");
    }
    json_t *sec[6];
    int nsec = config_sections(root, sec);
    hr_status s = config_shape(f, sec, nsec, name, err);
    if (s == HR_OK) {
        config_dtype(f, sec, nsec);
        config_multimodal(f, root);
    }
    json_decref(root);
    return s;
}

hr_status hr_plan_model_facts_from_index(hr_plan_model_facts *f, const char *json, size_t len,
                                         const char *name, hr_plan_error *err) {
    json_error_t je;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return json_fail(err, name, &je);
    json_t *meta = json_object_get(root, "metadata");
    json_t *ts = json_is_object(meta) ? json_object_get(meta, "total_size") : NULL;
    /* total_size is an integer, but some writers emit it as a float. */
    double total = json_is_integer(ts) ? (double)json_integer_value(ts)
                                       : json_is_real(ts) ? json_real_value(ts) : -1.0;
    json_decref(root);
    if (!(total > 0.0 && total < 1e15))
        return hr__plan_fail(err, HR_EPARSE, name, "the index needs metadata.total_size in bytes",
                             "metadata.total_size is missing or not a positive size");
    f->checkpoint_bytes = hr__known((int64_t)total);
    int64_t per = hr__plan_elems_bytes(1, f->checkpoint_dtype == HR_DTYPE_MIXED
                                              ? HR_DTYPE_UNKNOWN : f->checkpoint_dtype);
    if (per > 0 && f->checkpoint_dtype != HR_DTYPE_INT4) {
        f->params = hr__known((int64_t)total / per);
        hr__snprintf(f->params_source, sizeof f->params_source,
                     "%s: total_size %lld bytes / %lld bytes per %s parameter", name,
                     (long long)total, (long long)per, hr_plan_dtype_name(f->checkpoint_dtype));
    }
    return HR_OK;
}

int64_t hr_plan_safetensors_header_len(const uint8_t first8[8]) {
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = (n << 8) | first8[i];
    return n > (uint64_t)MAX_HEADER_BYTES ? -1 : (int64_t)n;
}

hr_status hr__plan_index_shards(const char *json, size_t len, const char *name, char ***out,
                                size_t *n, hr_plan_error *err) {
    *out = NULL;
    *n = 0;
    json_error_t je;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return json_fail(err, name, &je);
    json_t *map = json_object_get(root, "weight_map");
    const char *key;
    json_t *v;
    hr_status s = HR_OK;
    size_t cap = 0;
    json_object_foreach(map, key, v) {
        const char *file = json_string_value(v);
        if (!file || strchr(file, '/') || strcmp(file, "..") == 0) {
            s = hr__plan_fail(err, HR_EPARSE, name, "weight_map values must be file names",
                              "weight_map entry '%.60s' is not a file in the directory", key);
            break;
        }
        size_t i = 0;
        while (i < *n && strcmp((*out)[i], file) != 0)
            i++;
        if (i < *n)
            continue;
        if ((s = hr__grow((void **)out, sizeof **out, *n, &cap)) != HR_OK)
            break;
        if (!((*out)[*n] = strdup(file))) {
            s = HR_ENOMEM;
            break;
        }
        (*n)++;
    }
    json_decref(root);
    return s;
}
