/* dconf_env.c: the environment layer. HEADROOM_<OPTION> and
 * HEADROOM_MAX_IMAGE_SIZE, with the seed's DIFFUSIONAPI_* names as aliases
 * (applied first, so a HEADROOM_ name wins). Seed 002 read any value other
 * than "true" as false and ignored bad sizes; here a bad value is an error
 * naming the variable. Its documented DIFFUSIONAPI_ENABLE_CPU_OFFLOAD, which
 * matched no key there, is mapped explicitly to enable_model_cpu_offload. */
#include <ctype.h>
#include <string.h>

#include "plan/dconf.h"

static const char *const prefixes[] = {"DIFFUSIONAPI_", "HEADROOM_"};
static const char *const option_prefixes[] = {"ENABLE_", "REDUCE_", "FORCE_", "CLEANUP_"};

static const char *env_value(const char *const *envp, const char *name) {
    size_t n = strlen(name);
    for (size_t i = 0; envp && envp[i]; i++)
        if (strncmp(envp[i], name, n) == 0 && envp[i][n] == '=')
            return envp[i] + n + 1;
    return NULL;
}

/* "optimizations.enable_vae_tiling" -> "ENABLE_VAE_TILING". */
static void upper_suffix(const char *path, char *out, size_t cap) {
    const char *s = strrchr(path, '.');
    s = s ? s + 1 : path;
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++)
        out[i] = (char)toupper((unsigned char)s[i]);
    out[i] = '\0';
}

static hr_status apply_one(hr_plan_dconf *c, const char *name, const char *value, const char *key,
                           hr_plan_error *err) {
    char origin[HR__DC_ORIGIN_CAP], layer[160];
    hr__snprintf(origin, sizeof origin, "env %s", name);
    hr__snprintf(layer, sizeof layer, "env %s=%s", name, value);
    if (!*value)
        return hr__plan_fail(err, HR_EINVAL, name, "unset the variable, or give a value",
                             "is set but empty");
    hr_status s = hr__dconf_set_text(c, key, value, origin, layer, err);
    if (s != HR_OK && err)
        hr__strlcpy(err->what, name, sizeof err->what);
    return s;
}

/* Applies the variables of one prefix: the size, the CPU-offload alias, then each option. */
static hr_status apply_prefix(hr_plan_dconf *c, const char *const *envp, const char *prefix,
                              hr_plan_error *err) {
    char name[96];
    const char *v;
    hr_status s = HR_OK;
    hr__snprintf(name, sizeof name, "%sMAX_IMAGE_SIZE", prefix);
    if ((v = env_value(envp, name)) && (s = apply_one(c, name, v, "max_image_size", err)) != HR_OK)
        return s;
    hr__snprintf(name, sizeof name, "%sENABLE_CPU_OFFLOAD", prefix);
    if ((v = env_value(envp, name)) &&
        (s = apply_one(c, name, v, "optimizations.enable_model_cpu_offload", err)) != HR_OK)
        return s;
    for (size_t i = 0; i < hr__dc_ndefs; i++) {
        const char *path = hr__dc_defs[i].path;
        if (strncmp(path, "optimizations.", 14) != 0)
            continue;
        char up[64];
        upper_suffix(path, up, sizeof up);
        hr__snprintf(name, sizeof name, "%s%s", prefix, up);
        if ((v = env_value(envp, name)) && (s = apply_one(c, name, v, path, err)) != HR_OK)
            return s;
    }
    return HR_OK;
}

/* 1 when NAME (after PREFIX) is one of ours. */
static int known_option(const char *rest) {
    if (strcmp(rest, "ENABLE_CPU_OFFLOAD") == 0)
        return 1;
    for (size_t i = 0; i < hr__dc_ndefs; i++) {
        char up[64];
        if (strncmp(hr__dc_defs[i].path, "optimizations.", 14) != 0)
            continue;
        upper_suffix(hr__dc_defs[i].path, up, sizeof up);
        if (strcmp(up, rest) == 0)
            return 1;
    }
    return 0;
}

/* A variable with an option prefix that names no option is a typo. */
static hr_status check_unknown(const char *const *envp, hr_plan_error *err) {
    for (size_t i = 0; envp && envp[i]; i++) {
        for (size_t p = 0; p < 2; p++) {
            size_t pl = strlen(prefixes[p]);
            if (strncmp(envp[i], prefixes[p], pl) != 0)
                continue;
            const char *rest = envp[i] + pl;
            char name[96];
            size_t n = strcspn(rest, "=");
            hr__snprintf(name, sizeof name, "%.*s", (int)(n < 80 ? n : 80), rest);
            int optionish = 0;
            for (size_t k = 0; k < 4; k++)
                optionish |= strncmp(name, option_prefixes[k], strlen(option_prefixes[k])) == 0;
            if (!optionish || known_option(name))
                continue;
            char what[128];
            hr__snprintf(what, sizeof what, "%s%s", prefixes[p], name);
            return hr__plan_fail(err, HR_EINVAL, what,
                                 "options are ENABLE_VAE_TILING, ENABLE_ATTENTION_SLICING, "
                                 "ENABLE_MODEL_CPU_OFFLOAD (or ENABLE_CPU_OFFLOAD), "
                                 "ENABLE_SEQUENTIAL_CPU_OFFLOAD, ENABLE_VAE_SLICING, "
                                 "REDUCE_VAE_SAMPLE_SIZE, ... (docs/PLANNER.md)",
                                 "no such option");
        }
    }
    return HR_OK;
}

hr_status hr_plan_dconf_apply_env(hr_plan_dconf *c, const char *const *envp, hr_plan_error *err) {
    if (!c)
        return HR_EINVAL;
    hr_status s = check_unknown(envp, err);
    if (s != HR_OK)
        return s;
    hr__dc_snap snap;
    if (hr__dconf_snap(c, &snap) != HR_OK)
        return HR_ENOMEM;
    for (size_t p = 0; s == HR_OK && p < 2; p++)
        s = apply_prefix(c, envp, prefixes[p], err);
    if (s != HR_OK)
        hr__dconf_restore(c, &snap);
    hr__dconf_snap_free(&snap);
    return s;
}
