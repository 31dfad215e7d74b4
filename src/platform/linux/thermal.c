/* thermal.c: sys/class/thermal/thermal_zone*: type, temperature and trip
 * points.
 *
 * The temp files stay open and are pread on refresh; type and trips are read
 * once. Some zones refuse to be read (EAGAIN from an embedded controller that
 * is not ready, ENODATA from iwlwifi with the radio off, EINVAL from ACPI
 * zones without a method): those are unknown with the errno's reason, never 0. */
#include <stdlib.h>
#include <string.h>

#include "platform/linux/linux.h"
#include "platform/linux/lx_util.h"

struct hr__lx_thermal {
    hr__attr *temps; /* parallel to p->zones */
    int bad_zones;   /* zone entries that could not be opened (dangling links) */
    int bad_err;
};

/* A zone temperature at or below absolute zero is a "no reading" marker. */
static hr_reading zone_temp(hr_reading r) {
    return HR_IS_KNOWN(r) && (r.v <= HR__LX_TEMP_MIN_MC || r.v > HR__LX_TEMP_MAX_MC)
               ? hr__unknown(HR_WHY_UNREADABLE, 0)
               : r;
}

/* Reads trip_point_N_{type,temp} for N from 0 until a type is missing. */
static void read_trips(hr_ctx *ctx, const char *dir, hr_thermal_zone *z) {
    char rel[HR__LX_PATH_CAP];
    z->ntrips = 0;
    for (int t = 0; t < HR_MAX_TRIPS; t++) {
        hr_trip_point *tp = &z->trips[t];
        hr__snprintf(rel, sizeof rel, "%s/trip_point_%d_type", dir, t);
        int err = hr__lx_read_line(ctx, rel, tp->type, sizeof tp->type);
        if (err == ENOENT)
            break;
        hr__snprintf(rel, sizeof rel, "%s/trip_point_%d_temp", dir, t);
        tp->temp_mc = zone_temp(hr__fs_reading(ctx, rel, 1, 1));
        z->ntrips = t + 1;
    }
}

/* Fills zone Z from the entry NAME; returns 0 or the errno when the zone's
 * directory cannot be opened. */
static int open_zone(hr_ctx *ctx, const char *name, hr_thermal_zone *z, hr__attr *temp) {
    char dir[HR__LX_PATH_CAP], rel[HR__LX_PATH_CAP + 32];
    hr__snprintf(dir, sizeof dir, "sys/class/thermal/%s", name);
    int err = 0;
    DIR *d = hr__fs_opendir(ctx, dir, &err);
    if (!d)
        return err;
    closedir(d);
    memset(z, 0, sizeof *z);
    hr__strlcpy(z->name, name, sizeof z->name);
    hr__snprintf(rel, sizeof rel, "%s/type", dir);
    hr__lx_read_line(ctx, rel, z->type, sizeof z->type);
    hr__snprintf(rel, sizeof rel, "%s/temp", dir);
    hr__attr_open(temp, ctx, rel);
    read_trips(ctx, dir, z);
    return 0;
}

void hr__lx_thermal_refresh(struct hr__lx_thermal *st, hr_probe *p) {
    if (!st)
        return;
    hr__lx_tally t = {0};
    for (size_t i = 0; i < p->nzones; i++) {
        p->zones[i].temp_mc = zone_temp(hr__attr_reading(&st->temps[i], 1, 1));
        hr__lx_count(&t, p->zones[i].temp_mc);
    }
    if (st->bad_zones)
        hr__lx_count(&t, hr__unknown(hr__why_from_errno(st->bad_err), st->bad_err));
    if (p->nzones == 0 && st->bad_zones == 0) {
        hr__probe_report(p, "thermal", HR_SOURCE_ABSENT, HR_WHY_ABSENT,
                         "no thermal zones under sys/class/thermal");
        return;
    }
    hr__probe_report(p, "thermal", hr__lx_state(&t), hr__lx_why(&t),
                     "%zu zones, %d temperatures unknown, %d zones unreadable", p->nzones,
                     t.unknown - (st->bad_zones > 0), st->bad_zones);
}

hr_status hr__lx_thermal_open(hr_ctx *ctx, hr_probe *p, struct hr__lx_thermal **out) {
    *out = NULL;
    struct hr__lx_thermal *st = calloc(1, sizeof *st);
    hr__lx_name *names = NULL;
    size_t n = 0;
    int err = 0;
    hr_status s = st ? hr__lx_list(ctx, "sys/class/thermal", "thermal_zone", &names, &n, &err)
                     : HR_ENOMEM;
    if (s == HR_OK && n) {
        p->zones = calloc(n, sizeof *p->zones);
        st->temps = calloc(n, sizeof *st->temps);
        s = p->zones && st->temps ? HR_OK : HR_ENOMEM;
    }
    for (size_t i = 0; i < n && s == HR_OK; i++) {
        int zerr = open_zone(ctx, names[i], &p->zones[p->nzones], &st->temps[p->nzones]);
        if (!zerr)
            p->nzones++;
        else if (st->bad_zones++ == 0)
            st->bad_err = zerr;
    }
    free(names);
    if (s != HR_OK) {
        hr__lx_thermal_close(st, p);
        return s;
    }
    hr__lx_thermal_refresh(st, p);
    *out = st;
    return HR_OK;
}

void hr__lx_thermal_close(struct hr__lx_thermal *st, hr_probe *p) {
    if (st) {
        for (size_t i = 0; i < p->nzones; i++)
            hr__attr_close(&st->temps[i]);
        free(st->temps);
        free(st);
    }
    free(p->zones);
    p->zones = NULL;
    p->nzones = 0;
}
