/* hwmon.c: every input of every sys/class/hwmon/hwmon* chip: temperatures
 * (with _max/_crit), fans, power, energy, voltages and currents.
 *
 * One hr_sensor per input, in natural chip order and, within a chip, by kind
 * then index. The _input files stay open and are pread on refresh; labels and
 * limits are read once. Older kernels keep the name and the attributes in
 * the hwmon directory's device/ (pre-3.13 coretemp, for example). */
#include <stdlib.h>
#include <string.h>

#include "platform/linux/linux.h"
#include "platform/linux/lx_util.h"

typedef struct kind_info {
    const char *prefix;
    hr_sensor_kind kind;
    int64_t div; /* sysfs unit to ours: power is in microwatts, we keep mW */
} kind_info;

/* Units per Documentation/hwmon/sysfs-interface.rst: temp m°C, fan RPM,
 * power µW, energy µJ, in mV, curr mA. */
static const kind_info kinds[] = {
    {"temp", HR_SENSOR_TEMP, 1},     {"fan", HR_SENSOR_FAN, 1},
    {"power", HR_SENSOR_POWER, 1000}, {"energy", HR_SENSOR_ENERGY, 1},
    {"in", HR_SENSOR_VOLTAGE, 1},    {"curr", HR_SENSOR_CURRENT, 1},
};

#define NKINDS (sizeof kinds / sizeof kinds[0])

typedef struct input_id {
    int kind;  /* index into kinds[] */
    int index; /* N in tempN_input */
} input_id;

struct hr__lx_hwmon {
    hr__attr *inputs;   /* parallel to p->sensors */
    size_t inputs_cap;  /* capacity of inputs */
    size_t sensors_cap; /* capacity of p->sensors */
    int chips;        /* hwmon directories with a readable name */
    int bad_chips;    /* hwmon entries that could not be opened */
    int bad_err;      /* errno of the first of them */
};

/* ---- attribute names ----------------------------------------------------- */

/* Parses "<kind><N>_{input,label,average}" into ID. Returns 1 on a match. */
static int parse_attr(const char *name, input_id *id) {
    static const char *const suffixes[] = {"_input", "_label", "_average"};
    for (size_t k = 0; k < NKINDS; k++) {
        size_t plen = strlen(kinds[k].prefix);
        if (strncmp(name, kinds[k].prefix, plen) != 0)
            continue;
        const char *d = name + plen, *e = d;
        while (*e >= '0' && *e <= '9' && e - d < 4)
            e++;
        if (e == d || (*e >= '0' && *e <= '9'))
            continue;
        for (size_t s = 0; s < sizeof suffixes / sizeof suffixes[0]; s++) {
            if (strcmp(e, suffixes[s]) != 0)
                continue;
            id->kind = (int)k;
            id->index = atoi(d);
            return 1;
        }
    }
    return 0;
}

static int id_cmp(const void *x, const void *y) {
    const input_id *a = x, *b = y;
    if (a->kind != b->kind)
        return a->kind - b->kind;
    return a->index - b->index;
}

/* The distinct inputs named by the entries of DIR, sorted. */
static hr_status list_inputs(hr_ctx *ctx, const char *dir, input_id **ids, size_t *n) {
    hr__lx_name *names = NULL;
    size_t nn = 0, cap = 0;
    int err = 0;
    *ids = NULL;
    *n = 0;
    if (hr__lx_list(ctx, dir, "", &names, &nn, &err) != HR_OK)
        return HR_ENOMEM;
    hr_status s = HR_OK;
    for (size_t i = 0; i < nn && s == HR_OK; i++) {
        input_id id;
        if (!parse_attr(names[i], &id))
            continue;
        s = hr__grow((void **)ids, sizeof **ids, *n, &cap);
        if (s == HR_OK)
            (*ids)[(*n)++] = id;
    }
    free(names);
    if (*n > 1)
        qsort(*ids, *n, sizeof **ids, id_cmp);
    size_t u = 0;
    for (size_t i = 0; i < *n; i++)
        if (u == 0 || id_cmp(&(*ids)[u - 1], &(*ids)[i]) != 0)
            (*ids)[u++] = (*ids)[i];
    *n = u;
    return s;
}

/* ---- values -------------------------------------------------------------- */

/* Rejects values no sensor of the kind can have: temperatures at or below
 * absolute zero or above 1000 C (drivers' "no reading" markers), negative
 * fan speeds, power or energy. Voltages and currents may be negative. */
static hr_reading sane(int kind, hr_reading r) {
    if (!HR_IS_KNOWN(r))
        return r;
    hr_sensor_kind k = kinds[kind].kind;
    if ((k == HR_SENSOR_TEMP && (r.v <= HR__LX_TEMP_MIN_MC || r.v > HR__LX_TEMP_MAX_MC)) ||
        ((k == HR_SENSOR_FAN || k == HR_SENSOR_POWER || k == HR_SENSOR_ENERGY) && r.v < 0))
        return hr__unknown(HR_WHY_UNREADABLE, 0);
    return r;
}

static hr_reading limit(hr_ctx *ctx, const char *dir, input_id id, const char *what) {
    char rel[HR__LX_PATH_CAP];
    hr__snprintf(rel, sizeof rel, "%s/%s%d_%s", dir, kinds[id.kind].prefix, id.index, what);
    return sane(id.kind, hr__fs_reading(ctx, rel, 1, kinds[id.kind].div));
}

/* Fills sensor S (and its kept input A) for input ID of the chip in DIR. */
static void open_input(hr_ctx *ctx, const char *dir, input_id id, hr_sensor *s, hr__attr *a) {
    char rel[HR__LX_PATH_CAP];
    const char *pre = kinds[id.kind].prefix;
    s->kind = (int32_t)kinds[id.kind].kind;
    hr__snprintf(rel, sizeof rel, "%s/%s%d_label", dir, pre, id.index);
    if (hr__lx_read_line(ctx, rel, s->label, sizeof s->label) != 0)
        hr__snprintf(s->label, sizeof s->label, "%s%d", pre, id.index);
    hr__snprintf(rel, sizeof rel, "%s/%s%d_input", dir, pre, id.index);
    hr__attr_open(a, ctx, rel);
    /* Some power meters (amdgpu before 6.x, ACPI power meters) only average. */
    if (!hr__attr_ok(a) && kinds[id.kind].kind == HR_SENSOR_POWER) {
        hr__snprintf(rel, sizeof rel, "%s/%s%d_average", dir, pre, id.index);
        hr__attr_open(a, ctx, rel);
    }
    s->max = limit(ctx, dir, id, "max");
    s->crit = limit(ctx, dir, id, "crit");
}

static hr_reading input_reading(hr__attr *a, int32_t kind) {
    for (size_t k = 0; k < NKINDS; k++)
        if ((int32_t)kinds[k].kind == kind)
            return sane((int)k, hr__attr_reading(a, 1, kinds[k].div));
    return hr__unknown(HR_WHY_UNREADABLE, 0);
}

/* ---- discovery ----------------------------------------------------------- */

/* Finds the chip's name and the directory holding its attributes. Returns 0,
 * or the errno when the hwmon entry itself cannot be read. */
static int chip_dir(hr_ctx *ctx, const char *entry, char *chip, size_t cap, char *dir,
                    size_t dcap) {
    char rel[HR__LX_PATH_CAP];
    hr__snprintf(dir, dcap, "sys/class/hwmon/%s", entry);
    int err = 0;
    DIR *d = hr__fs_opendir(ctx, dir, &err);
    if (!d)
        return err;
    closedir(d);
    hr__snprintf(rel, sizeof rel, "%s/name", dir);
    if (hr__lx_read_line(ctx, rel, chip, cap) == 0)
        return 0;
    hr__snprintf(rel, sizeof rel, "%s/device/name", dir);
    if (hr__lx_read_line(ctx, rel, chip, cap) == 0) {
        hr__snprintf(dir + strlen(dir), dcap - strlen(dir), "/device");
        return 0;
    }
    hr__strlcpy(chip, entry, cap);
    return 0;
}

static hr_status add_chip(hr_ctx *ctx, struct hr__lx_hwmon *st, hr_probe *p,
                          const char *entry) {
    char chip[32], dir[HR__LX_PATH_CAP];
    int err = chip_dir(ctx, entry, chip, sizeof chip, dir, sizeof dir);
    if (err) {
        if (st->bad_chips++ == 0)
            st->bad_err = err;
        return HR_OK;
    }
    st->chips++;
    input_id *ids = NULL;
    size_t n = 0;
    hr_status s = list_inputs(ctx, dir, &ids, &n);
    for (size_t i = 0; i < n && s == HR_OK; i++) {
        s = hr__grow((void **)&p->sensors, sizeof *p->sensors, p->nsensors, &st->sensors_cap);
        if (s == HR_OK)
            s = hr__grow((void **)&st->inputs, sizeof *st->inputs, p->nsensors, &st->inputs_cap);
        if (s != HR_OK)
            break;
        hr_sensor *sen = &p->sensors[p->nsensors];
        memset(sen, 0, sizeof *sen);
        hr__strlcpy(sen->chip, chip, sizeof sen->chip);
        hr__strlcpy(sen->device, entry, sizeof sen->device);
        open_input(ctx, dir, ids[i], sen, &st->inputs[p->nsensors]);
        p->nsensors++;
    }
    free(ids);
    return s;
}

void hr__lx_hwmon_refresh(struct hr__lx_hwmon *st, hr_probe *p) {
    if (!st)
        return;
    hr__lx_tally t = {0};
    for (size_t i = 0; i < p->nsensors; i++) {
        p->sensors[i].value = input_reading(&st->inputs[i], p->sensors[i].kind);
        hr__lx_count(&t, p->sensors[i].value);
    }
    if (st->bad_chips)
        hr__lx_count(&t, hr__unknown(hr__why_from_errno(st->bad_err), st->bad_err));
    if (st->chips == 0 && st->bad_chips == 0) {
        hr__probe_report(p, "hwmon", HR_SOURCE_ABSENT, HR_WHY_ABSENT,
                         "no chips under sys/class/hwmon");
        return;
    }
    hr__probe_report(p, "hwmon", hr__lx_state(&t), hr__lx_why(&t),
                     "%d chips, %zu inputs, %d inputs unknown, %d chips unreadable",
                     st->chips, p->nsensors, t.unknown - (st->bad_chips > 0), st->bad_chips);
}

hr_status hr__lx_hwmon_open(hr_ctx *ctx, hr_probe *p, struct hr__lx_hwmon **out) {
    *out = NULL;
    struct hr__lx_hwmon *st = calloc(1, sizeof *st);
    if (!st)
        return HR_ENOMEM;
    hr__lx_name *names = NULL;
    size_t n = 0;
    int err = 0;
    hr_status s = hr__lx_list(ctx, "sys/class/hwmon", "hwmon", &names, &n, &err);
    for (size_t i = 0; i < n && s == HR_OK; i++)
        s = add_chip(ctx, st, p, names[i]);
    free(names);
    if (s != HR_OK) {
        hr__lx_hwmon_close(st, p);
        return s;
    }
    hr__lx_hwmon_refresh(st, p);
    *out = st;
    return HR_OK;
}

void hr__lx_hwmon_close(struct hr__lx_hwmon *st, hr_probe *p) {
    if (st) {
        for (size_t i = 0; i < p->nsensors; i++)
            hr__attr_close(&st->inputs[i]);
        free(st->inputs);
        free(st);
    }
    free(p->sensors);
    p->sensors = NULL;
    p->nsensors = 0;
}
