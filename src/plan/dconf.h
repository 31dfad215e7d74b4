/* dconf.h: the diffusion configuration as a flat table of settings, each
 * with a dotted path, a type, a range, a constant default, and per handle
 * a value and the layer it came from. Pure. */
#ifndef HR_PLAN_DCONF_H
#define HR_PLAN_DCONF_H

#include "plan/plan_internal.h"

typedef enum hr__dc_type {
    HR__DC_BOOL = 0,
    HR__DC_INT = 1,
    HR__DC_GB = 2,   /* a number of GiB (the seed's "GB" was bytes / 1024^3) */
    HR__DC_WH = 3,   /* [width, height] in pixels */
    HR__DC_DTYPE = 4,
    HR__DC_REAL = 5
} hr__dc_type;

typedef struct hr__dc_def {
    const char *path;
    hr__dc_type type;
    double min, max; /* inclusive range of numbers (and of each side for WH) */
    double num;      /* default number (bool 0/1, dtype enum) */
    int32_t w, h;    /* default size for WH */
} hr__dc_def;

typedef struct hr__dc_val {
    double num;
    int32_t w, h;
} hr__dc_val;

#define HR__DC_ORIGIN_CAP 160

struct hr_plan_dconf {
    hr__dc_val *val;                   /* one per definition */
    char (*origin)[HR__DC_ORIGIN_CAP]; /* "default", "file x.json", "env NAME", "flag --x" */
    char **explain;
    size_t nexplain, explain_cap;
};

/* The definitions, in the order of the seed's schema. */
extern const hr__dc_def hr__dc_defs[];
extern const size_t hr__dc_ndefs;

/* Index of PATH in the table, or -1. */
int hr__dconf_find(const char *path);

/* Value and origin of PATH (which must exist; programmer error otherwise). */
const hr__dc_val *hr__dconf_get(const hr_plan_dconf *c, const char *path);
const char *hr__dconf_origin(const hr_plan_dconf *c, const char *path);

/* 1 when a layer above the defaults set PATH. */
int hr__dconf_user_set(const hr_plan_dconf *c, const char *path);

/* Formats a value of type T for messages. */
void hr__dconf_fmt(char *buf, size_t cap, hr__dc_type t, const hr__dc_val *v);

/* Parses TEXT as a value of definition I. Returns HR_OK or HR_EINVAL with
 * ERR's why and hint filled (what left to the caller). */
hr_status hr__dconf_parse(size_t i, const char *text, hr__dc_val *out, hr_plan_error *err);

/* Checks V against definition I's range. */
hr_status hr__dconf_check(size_t i, const hr__dc_val *v, hr_plan_error *err);

/* Stores V into setting I from ORIGIN and adds an explanation line
 * "LAYER: path = value (was old from origin)". */
hr_status hr__dconf_store(hr_plan_dconf *c, size_t i, const hr__dc_val *v, const char *origin,
                          const char *layer);

/* Adds a formatted explanation line. */
hr_status hr__dconf_explain(hr_plan_dconf *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Snapshot/restore so that a failing layer leaves the handle unchanged. */
typedef struct hr__dc_snap {
    hr__dc_val *val;
    char (*origin)[HR__DC_ORIGIN_CAP];
    size_t nexplain;
} hr__dc_snap;

hr_status hr__dconf_snap(const hr_plan_dconf *c, hr__dc_snap *s);
void hr__dconf_restore(hr_plan_dconf *c, hr__dc_snap *s);
void hr__dconf_snap_free(hr__dc_snap *s);

/* Parses VALUE for KEY (a path, or "max_image_size" for every size cap)
 * and stores it with ORIGIN; LAYER heads the explanation line. */
hr_status hr__dconf_set_text(hr_plan_dconf *c, const char *key, const char *value,
                             const char *origin, const char *layer, hr_plan_error *err);

/* The distinct keys one level below PREFIX ("" for the top), joined with
 * ", " into BUF. Returns the number found. */
size_t hr__dconf_children(const char *prefix, char *buf, size_t cap);

/* Cross-field checks: thresholds increasing, tile overlap < tile size <=
 * max tile size. */
hr_status hr__dconf_validate(const hr_plan_dconf *c, hr_plan_error *err);

#endif /* HR_PLAN_DCONF_H */
