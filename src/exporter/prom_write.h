/* prom_write.h: the pieces of the Prometheus text format 0.0.4: a growing
 * buffer, exact decimal numbers, escaped label values, and families whose
 * HELP and TYPE lines are written just before their first sample, so that
 * a family with no known value leaves nothing behind and every family's
 * lines stay together. */
#ifndef HR_EXPORTER_PROM_WRITE_H
#define HR_EXPORTER_PROM_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "core/util/strbuf.h"

/* The core's growing text buffer (core/util/strbuf.h). */
typedef hr__strbuf hr__pbuf;

#define hr__pbuf_put hr__strbuf_put
#define hr__pbuf_puts hr__strbuf_puts

/* V * 10^EXP10 as an exact decimal ("0.99", "1980000000", "-3.5"), without
 * trailing zeros. EXP10 is within [-18, 18]; a product beyond int64 is
 * written in floating point ("1.2e+25"). */
void hr__pbuf_scaled(hr__pbuf *b, int64_t v, int exp10);

/* S as a label value: backslash, double quote and newline escaped; bytes
 * that are not valid UTF-8 and other control characters become '?'. */
void hr__pbuf_label_value(hr__pbuf *b, const char *s);

/* One label. */
typedef struct hr__plabel {
    const char *name;
    const char *value;
} hr__plabel;

#define HR__PLABELS_MAX 8

/* A label set: up to HR__PLABELS_MAX labels, in order. */
typedef struct hr__plabels {
    hr__plabel l[HR__PLABELS_MAX];
    int n;
} hr__plabels;

/* Appends NAME="VALUE" to LS (ignored when full). */
void hr__plabels_add(hr__plabels *ls, const char *name, const char *value);

/* The metric types used here. */
#define HR__GAUGE "gauge"
#define HR__COUNTER "counter"

/* An exposition being written: the buffer and the current family. */
typedef struct hr__pw {
    hr__pbuf b;
    const char *name; /* the current family */
    const char *type;
    const char *help;
    int header_written; /* its HELP and TYPE are out */
} hr__pw;

/* Starts family NAME (TYPE, HELP). Its HELP and TYPE are written with its
 * first sample; a family with no sample writes nothing. */
void hr__pw_family(hr__pw *w, const char *name, const char *type, const char *help);

/* One sample of the current family: NAME{LABELS} V*10^EXP10. LABELS may be
 * NULL. */
void hr__pw_sample(hr__pw *w, const hr__plabels *labels, int64_t v, int exp10);

#endif /* HR_EXPORTER_PROM_WRITE_H */
