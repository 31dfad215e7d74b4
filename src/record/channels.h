/* channels.h: the probe flattened into session channels.
 *
 * At start, every reading of the probe that can be known on this machine
 * becomes a channel (component, metric, unit): cpu/util, cpuN/util,
 * cpuN/freq, cpu/temp, cpu/power, mem/available, psi/..., sensors by chip
 * and label, thermal zones, RAPL domains, gpuN/... The set is fixed from
 * then on. Each tick reads every channel from the probe again, finding its
 * element (core, sensor, GPU, ...) by identity, not position, so an element
 * that disappears reads as unknown (HR_WHY_VANISHED) and the others keep
 * their channels. */
#ifndef HR_RECORD_CHANNELS_H
#define HR_RECORD_CHANNELS_H

#include <stddef.h>
#include <stdint.h>

#include "core/internal.h"
#include "headroom/hr_session.h"

/* Stored units and their base units (docs/SESSION.md, "Units"). */
typedef enum hr__unit {
    HR__U_PPM = 0, /* millionths of a ratio -> ratio */
    HR__U_MC,      /* millidegrees -> celsius */
    HR__U_MW,      /* milliwatts -> watts */
    HR__U_MHZ,     /* megahertz -> hertz */
    HR__U_BYTES,
    HR__U_NS,      /* nanoseconds -> seconds */
    HR__U_US,      /* microseconds -> seconds */
    HR__U_MS,      /* milliseconds -> seconds */
    HR__U_UJ,      /* microjoules -> joules */
    HR__U_MJ,      /* millijoules -> joules */
    HR__U_MV,      /* millivolts -> volts */
    HR__U_MA,      /* milliamperes -> amperes */
    HR__U_RPM,
    HR__U_COUNT,
    HR__U_MASK,    /* a bit mask */
    HR__U_LEVEL,   /* an enumerated level */
    HR__U_PCT,     /* percent -> ratio */
    HR__U_MICRO,   /* millionths of a dimensionless index (RLE) -> index */
    HR__U_BOOL,
    HR__U_LAST
} hr__unit;

/* The stored unit's name, its base unit and the scale between them. */
void hr__unit_info(hr__unit u, const char **unit, const char **base, double *scale);

/* Where one channel's reading lives in the probe. */
typedef struct hr__chan {
    uint8_t src;          /* hr__src (channels.c) */
    uint8_t reserved[3];
    int32_t id_int;       /* identity: cpu number, sensor kind, GPU index */
    uint32_t index;       /* element index at discovery: tried first */
    uint32_t offset;      /* byte offset of the hr_reading in the probe or element */
    char id1[96];         /* identity strings: chip, zone name, RAPL path, GPU uuid */
    char id2[64];         /* sensor device */
    char id3[64];         /* sensor label */
} hr__chan;

typedef struct hr__chanset {
    hr__chan *v;
    size_t n;
    size_t cap;
} hr__chanset;

/* Adds a channel for every reading of P that can be known here (known now,
 * or unknown for a passing reason: needs a second sample, unreadable, I/O
 * error, driver error) to session S, and records where to read it in CS.
 * Channel ids follow CS's order: channel id i + 1 is CS->v[i] when S had no
 * channels before. Returns HR_OK, HR_ENOMEM, or the session's error. */
hr_status hr__chanset_build(hr__chanset *cs, const hr_probe *p, hr_session *s);

/* Reads every channel of CS from P into OUT (CS->n readings). */
void hr__chanset_read(const hr__chanset *cs, const hr_probe *p, hr_reading *out);

/* Frees CS's arrays. */
void hr__chanset_free(hr__chanset *cs);

/* Finds the GPU of index INDEX with identity UUID (may be "") in P, trying
 * position INDEX first; NULL when it is gone. */
const hr_gpu_info *hr__find_gpu(const hr_probe *p, int32_t index, const char *uuid);

#endif /* HR_RECORD_CHANNELS_H */
