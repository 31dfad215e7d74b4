/* prom_text.h: the probe as Prometheus families (prom_text.c, public entry
 * hr_prom_format in hr_exporter.h). docs/METRICS.md lists every family. */
#ifndef HR_EXPORTER_PROM_TEXT_H
#define HR_EXPORTER_PROM_TEXT_H

#include "exporter/prom_write.h"
#include "headroom/hr_exporter.h"

/* Writes every family of IN into W (the caller owns W's buffer): those of
 * the sample (hr__prom_write_sample), then its age. */
void hr__prom_write(hr__pw *w, const hr_prom_input *in);

/* Every family except the sample's age: what stays the same from one
 * scrape to the next until a new sample comes. */
void hr__prom_write_sample(hr__pw *w, const hr_prom_input *in);

/* headroom_sample_age_seconds at NOW_MONO_NS (nothing when it is 0). */
void hr__prom_write_age(hr__pw *w, const hr_probe *p, int64_t now_mono_ns);

/* The families of the sample itself (hosts, CPU, memory, sensors, GPUs). */
void hr__prom_write_system(hr__pw *w, const hr_probe *p);

/* The families of the GPUs and the accelerator. */
void hr__prom_write_gpus(hr__pw *w, const hr_probe *p);

/* The families of RLE and the job. */
void hr__prom_write_rle(hr__pw *w, const hr_prom_rle *rle, size_t n);
void hr__prom_write_job(hr__pw *w, const hr_job_status *job);

/* One family read from an element of an array: NAME, TYPE, HELP, the
 * byte offset of its hr_reading in the element, and the power of ten that
 * turns the stored unit into the base unit. */
typedef struct hr__pfam {
    const char *name;
    const char *type;
    const char *help;
    size_t off;
    int exp10;
} hr__pfam;

/* Fills LS with element I's labels. */
typedef void (*hr__plabeler)(const void *elem, size_t i, hr__plabels *ls, void *user);

/* For each of the NF families, one sample per element of BASE (N elements
 * of STRIDE bytes) whose reading is known, labelled by LAB (may be NULL).
 * Elements with SKIP[i] set (SKIP may be NULL) are left out. */
void hr__prom_table(hr__pw *w, const hr__pfam *f, size_t nf, const void *base, size_t n,
                    size_t stride, hr__plabeler lab, void *user, const unsigned char *skip);

#endif /* HR_EXPORTER_PROM_TEXT_H */
