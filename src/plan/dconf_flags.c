/* dconf_flags.c: the flag layer (hr_plan_dconf_set), cross-field
 * validation, the config file choice and the JSON view of the settings. */
#include <jansson.h>
#include <string.h>

#include "plan/dconf.h"

/* Sets every device x level size cap (the seed's MAX_IMAGE_SIZE meaning). */
static hr_status set_all_sizes(hr_plan_dconf *c, const hr__dc_val *v, const char *origin,
                               const char *layer) {
    hr__dc_snap snap;
    if (hr__dconf_snap(c, &snap) != HR_OK)
        return HR_ENOMEM;
    char now[32];
    hr__dconf_fmt(now, sizeof now, HR__DC_WH, v);
    hr_status s = hr__dconf_explain(c, "%s: max_image_sizes.*.* = %s (every device and level)",
                                    layer, now);
    for (size_t i = 0; s == HR_OK && i < hr__dc_ndefs; i++) {
        if (strncmp(hr__dc_defs[i].path, "max_image_sizes.", 16) != 0)
            continue;
        c->val[i] = *v;
        hr__strlcpy(c->origin[i], origin, HR__DC_ORIGIN_CAP);
    }
    if (s != HR_OK)
        hr__dconf_restore(c, &snap);
    hr__dconf_snap_free(&snap);
    return s;
}

hr_status hr__dconf_set_text(hr_plan_dconf *c, const char *key, const char *value,
                             const char *origin, const char *layer, hr_plan_error *err) {
    int all = strcmp(key, "max_image_size") == 0;
    int i = all ? hr__dconf_find("max_image_sizes.cpu.low") : hr__dconf_find(key);
    if (i < 0)
        return hr__plan_fail(err, HR_EINVAL, origin,
                             "keys are dotted paths such as optimizations.enable_vae_tiling or "
                             "max_image_sizes.cuda.low, or max_image_size (docs/PLANNER.md)",
                             "unknown setting '%s'", key);
    hr__dc_val v;
    hr_status s = hr__dconf_parse((size_t)i, value, &v, err);
    if (s == HR_OK)
        s = hr__dconf_check((size_t)i, &v, err);
    if (s != HR_OK) {
        if (err) {
            char why[256];
            hr__snprintf(why, sizeof why, "%s: %s", key, err->why);
            hr__strlcpy(err->why, why, sizeof err->why);
            hr__strlcpy(err->what, origin, sizeof err->what);
        }
        return s;
    }
    return all ? set_all_sizes(c, &v, origin, layer) : hr__dconf_store(c, (size_t)i, &v, origin, layer);
}

hr_status hr_plan_dconf_set(hr_plan_dconf *c, const char *key, const char *value,
                            const char *origin, hr_plan_error *err) {
    if (!c || !key || !value)
        return HR_EINVAL;
    char layer[96];
    hr__snprintf(layer, sizeof layer, "flag %s", origin ? origin : "--set");
    return hr__dconf_set_text(c, key, value, origin ? origin : "--set", layer, err);
}

static hr_status thresholds_ok(const hr_plan_dconf *c, hr_plan_error *err) {
    static const char *const lv[] = {"memory_thresholds.very_low", "memory_thresholds.low",
                                     "memory_thresholds.medium", "memory_thresholds.high",
                                     "memory_thresholds.very_high"};
    for (size_t i = 1; i < 5; i++) {
        double lo = hr__dconf_get(c, lv[i - 1])->num, hi = hr__dconf_get(c, lv[i])->num;
        if (hi > lo || (i == 4 && hi >= lo))
            continue;
        /* Name the layer that set one of the two; the later when both were set. */
        const char *blame = hr__dconf_user_set(c, lv[i]) || !hr__dconf_user_set(c, lv[i - 1])
                                ? lv[i] : lv[i - 1];
        return hr__plan_fail(err, HR_EINVAL, hr__dconf_origin(c, blame),
                             "thresholds must increase: very_low < low < medium < high <= very_high",
                             "%s = %g is not above %s = %g (from %s)", lv[i], hi, lv[i - 1], lo,
                             hr__dconf_origin(c, lv[i - 1]));
    }
    return HR_OK;
}

static hr_status tiles_ok(const hr_plan_dconf *c, const char *dev, hr_plan_error *err) {
    char ts[64], to[64], tm[64];
    hr__snprintf(ts, sizeof ts, "device_settings.%s.tile_size", dev);
    hr__snprintf(to, sizeof to, "device_settings.%s.tile_overlap", dev);
    hr__snprintf(tm, sizeof tm, "device_settings.%s.max_tile_size", dev);
    double size = hr__dconf_get(c, ts)->num, ovl = hr__dconf_get(c, to)->num;
    double max = hr__dconf_get(c, tm)->num;
    if (ovl * 2 >= size)
        return hr__plan_fail(err, HR_EINVAL, hr__dconf_origin(c, to),
                             "the overlap must be under half the tile size",
                             "%s = %g with %s = %g", to, ovl, ts, size);
    if (size > max)
        return hr__plan_fail(err, HR_EINVAL, hr__dconf_origin(c, ts),
                             "tile_size must not exceed max_tile_size", "%s = %g above %s = %g",
                             ts, size, tm, max);
    return HR_OK;
}

hr_status hr__dconf_validate(const hr_plan_dconf *c, hr_plan_error *err) {
    hr_status s = thresholds_ok(c, err);
    static const char *const devs[] = {"mps", "cuda", "cpu"};
    for (size_t i = 0; s == HR_OK && i < 3; i++)
        s = tiles_ok(c, devs[i], err);
    return s;
}

static const char *env_value(const char *const *envp, const char *name) {
    size_t n = strlen(name);
    for (size_t i = 0; envp && envp[i]; i++)
        if (strncmp(envp[i], name, n) == 0 && envp[i][n] == '=')
            return envp[i] + n + 1;
    return NULL;
}

void hr_plan_dconf_config_path(hr_plan_dconf *c, const char *flag_path, const char *const *envp,
                               const char **path, char *origin, size_t origin_cap) {
    const char *hr = env_value(envp, "HEADROOM_CONFIG");
    const char *alias = env_value(envp, "DIFFUSIONAPI_MEMORY_CONFIG");
    hr = hr && *hr ? hr : NULL;
    alias = alias && *alias ? alias : NULL;
    *path = flag_path ? flag_path : hr ? hr : alias;
    hr__strlcpy(origin, flag_path ? "--config" : hr ? "HEADROOM_CONFIG"
                        : alias ? "DIFFUSIONAPI_MEMORY_CONFIG" : "", origin_cap);
    if (!c)
        return;
    if (flag_path && (hr || alias))
        hr__dconf_explain(c, "file: --config %s wins over %s", flag_path,
                          hr ? "HEADROOM_CONFIG" : "DIFFUSIONAPI_MEMORY_CONFIG");
    else if (hr && alias)
        hr__dconf_explain(c, "file: HEADROOM_CONFIG wins over its alias DIFFUSIONAPI_MEMORY_CONFIG "
                             "(%s not read)", alias);
}

static json_t *value_json(hr__dc_type t, const hr__dc_val *v) {
    switch (t) {
    case HR__DC_BOOL: return json_boolean(v->num != 0);
    case HR__DC_INT: return json_integer((json_int_t)v->num);
    case HR__DC_WH: return json_pack("[ii]", v->w, v->h);
    case HR__DC_DTYPE: return json_string(hr_plan_dtype_name((int)v->num));
    default: return json_real(v->num);
    }
}

hr_status hr_plan_dconf_to_json(const hr_plan_dconf *c, int indent, char **out) {
    if (!c || !out)
        return HR_EINVAL;
    json_t *o = json_object();
    for (size_t i = 0; o && i < hr__dc_ndefs; i++) {
        json_t *e = json_pack("{s:o,s:s}", "value", value_json(hr__dc_defs[i].type, &c->val[i]),
                              "origin", c->origin[i]);
        if (!e || json_object_set_new(o, hr__dc_defs[i].path, e) != 0) {
            json_decref(o);
            return HR_ENOMEM;
        }
    }
    *out = o ? json_dumps(o, JSON_INDENT(indent < 0 ? 0 : indent)) : NULL;
    json_decref(o);
    return *out ? HR_OK : HR_ENOMEM;
}
