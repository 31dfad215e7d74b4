/* dconf_json.c: the file layer: a JSON config in the seed's schema merged
 * over the handle (objects into objects, values replace values). Unknown
 * keys and wrong types are errors at file:line:column, not warnings. */
#include <jansson.h>
#include <string.h>

#include "plan/dconf.h"

typedef struct jctx {
    const char *text;
    size_t len;
    const char *name;
    char origin[HR__DC_ORIGIN_CAP];
    int changed;
} jctx;

size_t hr__dconf_children(const char *prefix, char *buf, size_t cap) {
    size_t plen = strlen(prefix), n = 0, used = 0;
    const char *seen[64];
    buf[0] = '\0';
    for (size_t i = 0; i < hr__dc_ndefs; i++) {
        const char *p = hr__dc_defs[i].path;
        if (plen && (strncmp(p, prefix, plen) != 0 || p[plen] != '.'))
            continue;
        const char *child = plen ? p + plen + 1 : p;
        size_t clen = strcspn(child, ".");
        size_t k = 0;
        while (k < n && !(strncmp(seen[k], child, clen) == 0 && seen[k][clen] == '.') &&
               !(strncmp(seen[k], child, clen) == 0 && seen[k][clen] == '\0'))
            k++;
        if (k < n || n >= 64)
            continue;
        seen[n++] = child;
        if (used + clen + 3 < cap) {
            used += (size_t)snprintf(buf + used, cap - used, "%s%.*s", n > 1 ? ", " : "",
                                     (int)clen, child);
        }
    }
    return n;
}

/* Line and column (1-based) of the key at PATH: each component's quoted
 * name searched after the previous one's position. */
static void locate(const jctx *j, const char *path, int *line, int *col) {
    size_t pos = 0;
    const char *comp = path;
    while (*comp) {
        size_t clen = strcspn(comp, ".");
        for (size_t i = pos; i + clen + 2 <= j->len; i++) {
            if (j->text[i] == '"' && memcmp(j->text + i + 1, comp, clen) == 0 &&
                j->text[i + 1 + clen] == '"') {
                pos = i;
                break;
            }
        }
        comp += clen + (comp[clen] == '.');
    }
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < pos && i < j->len; i++) {
        if (j->text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static hr_status jfail(const jctx *j, const char *path, hr_plan_error *err, const char *hint,
                       const char *why) {
    int line, col;
    locate(j, path, &line, &col);
    char what[160];
    hr__snprintf(what, sizeof what, "%s:%d:%d", j->name, line, col);
    return hr__plan_fail(err, HR_EINVAL, what, hint, "%s: %s", path, why);
}

static const char *json_kind(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

/* Converts V to setting I's type; 0 with WANT set when the type is wrong. */
static int to_val(size_t i, json_t *v, hr__dc_val *out, const char **want) {
    memset(out, 0, sizeof *out);
    int32_t dt = 0;
    switch (hr__dc_defs[i].type) {
    case HR__DC_BOOL:
        *want = "true or false";
        out->num = json_is_true(v);
        return json_is_boolean(v);
    case HR__DC_INT:
        *want = "a whole number";
        out->num = (double)json_integer_value(v);
        return json_is_integer(v);
    case HR__DC_GB:
    case HR__DC_REAL:
        *want = "a number";
        out->num = json_number_value(v);
        return json_is_number(v);
    case HR__DC_WH:
        *want = "[width, height] in pixels";
        out->w = (int32_t)json_integer_value(json_array_get(v, 0));
        out->h = (int32_t)json_integer_value(json_array_get(v, 1));
        return json_is_array(v) && json_array_size(v) == 2 &&
               json_is_integer(json_array_get(v, 0)) && json_is_integer(json_array_get(v, 1)) &&
               json_integer_value(json_array_get(v, 0)) <= 65536 &&
               json_integer_value(json_array_get(v, 1)) <= 65536;
    case HR__DC_DTYPE:
        *want = "\"float16\", \"bfloat16\" or \"float32\"";
        if (!json_is_string(v) || hr_plan_parse_dtype(json_string_value(v), &dt, NULL) != HR_OK ||
            dt == HR_DTYPE_INT8 || dt == HR_DTYPE_INT4)
            return 0;
        out->num = dt;
        return 1;
    }
    return 0;
}

static hr_status leaf(hr_plan_dconf *c, jctx *j, size_t i, json_t *v, hr_plan_error *err) {
    hr__dc_val val;
    const char *want = "";
    char why[256];
    if (!to_val(i, v, &val, &want)) {
        hr__snprintf(why, sizeof why, "expected %s, got %s", want, json_kind(v));
        return jfail(j, hr__dc_defs[i].path, err, "fix the value's type", why);
    }
    hr_plan_error e2;
    memset(&e2, 0, sizeof e2);
    if (hr__dconf_check(i, &val, &e2) != HR_OK)
        return jfail(j, hr__dc_defs[i].path, err, e2.hint, e2.why);
    j->changed++;
    char layer[160];
    hr__snprintf(layer, sizeof layer, "file %s", j->name);
    return hr__dconf_store(c, i, &val, j->origin, layer) == HR_OK ? HR_OK : HR_ENOMEM;
}

static hr_status walk(hr_plan_dconf *c, jctx *j, json_t *obj, const char *prefix,
                      hr_plan_error *err) {
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        char path[160], why[256], hint[256];
        hr__snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", key);
        int i = hr__dconf_find(path);
        hr_status s;
        if (i >= 0) {
            s = leaf(c, j, (size_t)i, v, err);
        } else if (hr__dconf_children(path, hint, sizeof hint) > 0) {
            hr__snprintf(why, sizeof why, "expected an object, got %s", json_kind(v));
            s = json_is_object(v) ? walk(c, j, v, path, err)
                                  : jfail(j, path, err, "give an object of settings", why);
        } else {
            char valid[200];
            hr__dconf_children(prefix, valid, sizeof valid);
            hr__snprintf(hint, sizeof hint, "valid keys %s%s: %s", *prefix ? "in " : "here",
                         prefix, valid);
            s = jfail(j, path, err, hint, "unknown key");
        }
        if (s != HR_OK)
            return s;
    }
    return HR_OK;
}

hr_status hr_plan_dconf_apply_json(hr_plan_dconf *c, const char *text, size_t len,
                                   const char *name, hr_plan_error *err) {
    if (!c || !text)
        return HR_EINVAL;
    /* Long paths keep their end, so every message built from the name
     * still names the file. */
    char shown[HR__DC_ORIGIN_CAP - 40];
    hr__strlcpy_tail(shown, name ? name : "config", sizeof shown);
    jctx j = {text, len, shown, "", 0};
    hr__snprintf(j.origin, sizeof j.origin, "file %s", j.name);
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        char what[160];
        hr__snprintf(what, sizeof what, "%s:%d:%d", j.name, je.line, je.column);
        return hr__plan_fail(err, HR_EINVAL, what, "fix the JSON syntax there", "%s", je.text);
    }
    hr__dc_snap snap;
    hr_status s = json_is_object(root) ? hr__dconf_snap(c, &snap) : HR_EINVAL;
    if (s == HR_EINVAL) {
        json_decref(root);
        return hr__plan_fail(err, HR_EINVAL, j.name, "the file must hold one JSON object",
                             "not a JSON object");
    }
    if (s == HR_OK)
        s = walk(c, &j, root, "", err);
    if (s == HR_OK && j.changed == 0)
        s = hr__dconf_explain(c, "file %s: no settings in it", j.name);
    if (s != HR_OK && snap.val)
        hr__dconf_restore(c, &snap);
    hr__dconf_snap_free(&snap);
    json_decref(root);
    return s;
}
