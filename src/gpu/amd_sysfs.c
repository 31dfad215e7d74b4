/* amd_sysfs.c: AMD GPUs through the amdgpu driver's sysfs files.
 *
 * Discovery: every sys/class/drm/cardN (not renderD*, not the cardN-<connector>
 * entries) whose device/vendor is 0x1002 and whose driver is amdgpu. Files read
 * (kernel Documentation/gpu/amdgpu/{driver-misc,thermal}.rst, peers-and-sources 11):
 *
 *   device/product_name, device/uevent (PCI_ID, DRIVER, PCI_SLOT_NAME), device/unique_id
 *   device/mem_info_vram_total|used, mem_info_vis_vram_total, mem_info_gtt_total|used (bytes)
 *   device/gpu_busy_percent, mem_busy_percent (%), pp_dpm_sclk, pp_dpm_mclk ("1: 1900Mhz *")
 *   device/gpu_metrics (only its 4-byte header: structure_size, format_revision, content_revision)
 *   device/hwmon/hwmonN/temp{1,2,3}_input|_crit|_emergency (m°C: edge, junction, mem)
 *   device/hwmon/hwmonN/power1_average or power1_input, power1_cap (µW), freq1_input (sclk Hz),
 *   freq2_input (mclk Hz), fan1_input, fan1_max (RPM), pwm1, pwm1_max (0..255 duty)
 *
 * Threshold mapping. amdgpu's tempN_crit is where the SMU firmware starts to
 * throttle and tempN_emergency where the ASIC shuts down (thermal.rst). So:
 * temp_max_mc and temp_slowdown_mc = temp2_crit (junction, what RDNA/CDNA firmware
 * throttles on) or temp1_crit (edge) when the junction has none; temp_shutdown_mc =
 * temp2_emergency or temp1_emergency; temp_margin_mc = the smallest crit - input over
 * the edge, junction and memory sensors that have both.
 *
 * Unified memory rule (APUs). The driver says nothing as plain as "APU" in sysfs,
 * but gpu_metrics does: its layouts v2.x and v3.x are the APU tables and v1.x the
 * discrete ones (kernel include/linux/kgd_pp_interface.h: gpu_metrics_v2_* for Renoir,
 * Van Gogh, Yellow Carp, Phoenix; v3_0 for Strix). So a device is unified when the
 * gpu_metrics header has format_revision >= 2. Without a readable gpu_metrics it is
 * unified when the whole carve-out is CPU-visible (mem_info_vis_vram_total ==
 * mem_info_vram_total) and the carve-out is at most 2 GiB: APU firmware reserves 512 MiB
 * to 2 GiB by default, while a discrete card with a resizable BAR has more VRAM than that.
 * A unified device's memory is its carve-out plus its GTT (system RAM the GPU maps):
 * mem_total = vram_total + gtt_total and mem_used = vram_used + gtt_used.
 *
 * Throttle reasons live in gpu_metrics' ASIC- and version-specific layouts; they are
 * not decoded here, so throttle readings are HR_WHY_NOT_SUPPORTED. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util/fsroot.h"
#include "core/util/parse.h"
#include "gpu/gpu_backend.h"

#define AMD_VENDOR_ID 0x1002
#define AMD_UNIFIED_MAX_CARVEOUT (2LL << 30)

enum { T_EDGE = 0, T_JUNCTION = 1, T_MEM = 2, T_COUNT = 3 };

/* One amdgpu card: static facts read once, dynamic files kept open. */
typedef struct amd_dev {
    char dev[64];    /* "sys/class/drm/card0/device" */
    char hwmon[128]; /* dev + "/hwmon/hwmonN"; "" when the card has none */
    char name[96];
    char uuid[96];
    char pci_bus[32];
    int unified;
    hr_reading vram_total, gtt_total;
    hr_reading temp_crit[T_COUNT], temp_emergency[T_COUNT];
    hr_reading sclk_max, mclk_max;
    hr_reading pwm_max, fan_max_rpm;
    hr__attr vram_used, gtt_used, busy, mem_busy, dpm_sclk, dpm_mclk;
    hr__attr temp[T_COUNT], power_avg, power_in, power_cap, sclk, mclk, pwm, fan_rpm;
} amd_dev;

typedef struct amd_state {
    hr_ctx *ctx;
    amd_dev *devs;
    size_t ndev;
    size_t cap;
} amd_state;

/* Names by PCI device id, as the pci.ids database words them, for the boards
 * whose product_name file is absent (every consumer card and APU). */
static const struct {
    unsigned id;
    const char *name;
} amd_names[] = {
    {0x66af, "AMD Radeon VII (Vega 20)"},
    {0x731f, "AMD Radeon RX 5600/5700 XT (Navi 10)"},
    {0x73bf, "AMD Radeon RX 6800/6800 XT/6900 XT (Navi 21)"},
    {0x73df, "AMD Radeon RX 6700/6700 XT/6750 XT (Navi 22)"},
    {0x73ff, "AMD Radeon RX 6600/6600 XT (Navi 23)"},
    {0x744c, "AMD Radeon RX 7900 XT/7900 XTX/7900 GRE (Navi 31)"},
    {0x747e, "AMD Radeon RX 7700 XT/7800 XT (Navi 32)"},
    {0x7480, "AMD Radeon RX 7600/7600 XT (Navi 33)"},
    {0x7550, "AMD Radeon RX 9070/9070 XT (Navi 48)"},
    {0x738c, "AMD Instinct MI100 (Arcturus)"},
    {0x740c, "AMD Instinct MI250/MI250X (Aldebaran)"},
    {0x740f, "AMD Instinct MI210 (Aldebaran)"},
    {0x74a1, "AMD Instinct MI300X (Aqua Vanjaram)"},
    {0x1636, "AMD Radeon Graphics (Renoir)"},
    {0x1681, "AMD Radeon 680M (Rembrandt)"},
    {0x164e, "AMD Radeon Graphics (Raphael)"},
    {0x15bf, "AMD Radeon 760M/780M (Phoenix1)"},
    {0x15c8, "AMD Radeon 740M (Phoenix2)"},
    {0x150e, "AMD Radeon 880M/890M (Strix Point)"},
    {0x1586, "AMD Radeon 8060S (Strix Halo)"},
};

static void join(char *dst, size_t cap, const char *dir, const char *leaf) {
    hr__snprintf(dst, cap, "%s/%s", dir, leaf);
}

static void attr_at(hr__attr *a, const hr_ctx *ctx, const char *dir, const char *leaf) {
    char p[192];
    if (!dir[0]) {
        a->fd = -1;
        a->err = ENOENT;
        return;
    }
    join(p, sizeof p, dir, leaf);
    hr__attr_open(a, ctx, p);
}

static hr_reading reading_at(const hr_ctx *ctx, const char *dir, const char *leaf, int64_t mul,
                             int64_t div) {
    char p[192];
    if (!dir[0])
        return hr__unknown(HR_WHY_ABSENT, ENOENT);
    join(p, sizeof p, dir, leaf);
    return hr__fs_reading(ctx, p, mul, div);
}

/* The text after the last '/' of PATH. */
static const char *basename_of(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* The value of "KEY=" in a uevent file, copied into DST; "" when absent. */
static void uevent_value(const char *ev, const char *key, char *dst, size_t cap) {
    size_t klen = strlen(key);
    dst[0] = '\0';
    for (const char *l = ev; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
        if (strncmp(l, key, klen) == 0 && l[klen] == '=') {
            const char *v = l + klen + 1;
            size_t n = strcspn(v, "\n");
            hr__snprintf(dst, cap, "%.*s", (int)n, v);
            return;
        }
    }
}

/* 1 for "cardN" with N all digits; 0 for renderD*, card0-DP-1 and the rest. */
static int is_card_name(const char *n) {
    if (strncmp(n, "card", 4) != 0 || !n[4])
        return 0;
    for (const char *c = n + 4; *c; c++)
        if (*c < '0' || *c > '9')
            return 0;
    return 1;
}

/* Parses a sysfs hexadecimal id ("0x1002\n"); -1 when it is not one. */
static long hex_id(const char *buf) {
    char *end = NULL;
    if (strncmp(buf, "0x", 2) != 0)
        return -1;
    long v = strtol(buf + 2, &end, 16);
    if (end == buf + 2 || (*end && *end != '\n') || v < 0 || v > 0xffff)
        return -1;
    return v;
}

/* 1 when DEV's vendor is AMD and its driver amdgpu (driver symlink first, uevent's
 * DRIVER= when the link cannot be read). */
static int is_amdgpu(const hr_ctx *ctx, const char *dev, const char *uevent) {
    char p[192], buf[256];
    size_t n = 0;
    int err;
    join(p, sizeof p, dev, "vendor");
    if (hr__fs_read(ctx, p, buf, 16, &n, &err) != HR_OK || hex_id(buf) != AMD_VENDOR_ID)
        return 0;
    join(p, sizeof p, dev, "driver");
    if (hr__fs_readlink(ctx, p, buf, sizeof buf, &err) == HR_OK)
        return strcmp(basename_of(buf), "amdgpu") == 0;
    uevent_value(uevent, "DRIVER", buf, sizeof buf);
    return strcmp(buf, "amdgpu") == 0;
}

static const char *table_name(unsigned id) {
    for (size_t i = 0; i < sizeof amd_names / sizeof amd_names[0]; i++)
        if (amd_names[i].id == id)
            return amd_names[i].name;
    return NULL;
}

/* product_name when the board has a FRU, else the PCI id table, else the id. */
static void read_name(const hr_ctx *ctx, amd_dev *d, const char *uevent) {
    char p[192], buf[128], id[32];
    size_t n = 0;
    int err;
    join(p, sizeof p, d->dev, "product_name");
    if (hr__fs_read(ctx, p, buf, sizeof buf, &n, &err) == HR_OK) {
        hr__copy_line(d->name, sizeof d->name, buf, n);
        if (d->name[0])
            return;
    }
    uevent_value(uevent, "PCI_ID", id, sizeof id); /* "1002:73BF" */
    const char *colon = strchr(id, ':');
    char *end = NULL;
    unsigned long dev_id = colon ? strtoul(colon + 1, &end, 16) : 0;
    if (!colon || end == colon + 1 || *end || dev_id > 0xffff) {
        hr__strlcpy(d->name, "AMD GPU", sizeof d->name);
        return;
    }
    const char *known = table_name((unsigned)dev_id);
    if (known)
        hr__strlcpy(d->name, known, sizeof d->name);
    else
        hr__snprintf(d->name, sizeof d->name, "AMD GPU 0x%04lx", dev_id);
}

/* The PCI address is the last element of the device symlink's target. */
static void read_pci_bus(const hr_ctx *ctx, amd_dev *d, const char *uevent) {
    char target[256];
    int err;
    if (hr__fs_readlink(ctx, d->dev, target, sizeof target, &err) == HR_OK &&
        strchr(basename_of(target), ':'))
        hr__strlcpy(d->pci_bus, basename_of(target), sizeof d->pci_bus);
    else
        uevent_value(uevent, "PCI_SLOT_NAME", d->pci_bus, sizeof d->pci_bus);
}

/* The hwmon directory of the card: the first hwmonN whose name is amdgpu (or
 * that has no name file). */
static void find_hwmon(const hr_ctx *ctx, amd_dev *d) {
    char dir[128], p[192], name[32];
    int err = 0;
    join(dir, sizeof dir, d->dev, "hwmon");
    d->hwmon[0] = '\0';
    DIR *dp = hr__fs_opendir(ctx, dir, &err);
    if (!dp)
        return;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL) {
        if (strncmp(e->d_name, "hwmon", 5) != 0)
            continue;
        hr__snprintf(p, sizeof p, "%s/%s/name", dir, e->d_name);
        size_t n = 0;
        if (hr__fs_read(ctx, p, name, sizeof name, &n, &err) == HR_OK &&
            strncmp(name, "amdgpu", 6) != 0)
            continue;
        hr__snprintf(d->hwmon, sizeof d->hwmon, "%s/%s", dir, e->d_name);
        break;
    }
    closedir(dp);
}

/* Parses a pp_dpm_* table ("0: 500Mhz \n1: 2250Mhz *\n"): the level marked '*'
 * into *cur and the highest level into *max. Lines of another shape are
 * skipped. Each output is an unknown reading when no line gave it. */
static void dpm_parse(const char *buf, size_t n, hr_reading *cur, hr_reading *max) {
    *cur = hr__unknown(HR_WHY_UNREADABLE, 0);
    *max = hr__unknown(HR_WHY_UNREADABLE, 0);
    const char *end = buf + n;
    for (const char *l = buf; l < end;) {
        const char *nl = memchr(l, '\n', (size_t)(end - l));
        const char *le = nl ? nl : end;
        const char *colon = memchr(l, ':', (size_t)(le - l));
        if (colon) {
            const char *v = colon + 1;
            while (v < le && *v == ' ')
                v++;
            const char *u = v;
            while (u < le && *u >= '0' && *u <= '9')
                u++;
            int64_t mhz;
            if (u > v && le - u >= 3 && strncasecmp(u, "mhz", 3) == 0 &&
                hr__parse_i64(v, (size_t)(u - v), &mhz) == HR_OK) {
                const char *star = memchr(u, '*', (size_t)(le - u));
                if (star)
                    *cur = hr__known(mhz);
                if (!HR_IS_KNOWN(*max) || mhz > max->v)
                    *max = hr__known(mhz);
            }
        }
        l = le + 1;
    }
}

static void dpm_read(hr__attr *a, hr_reading *cur, hr_reading *max) {
    char buf[1024];
    long n = hr__attr_read(a, buf, sizeof buf);
    if (n < 0) {
        hr_why why = n == -ENODATA ? HR_WHY_UNREADABLE : hr__why_from_errno((int)-n);
        *cur = *max = hr__unknown(why, (int32_t)-n);
        return;
    }
    dpm_parse(buf, (size_t)n, cur, max);
}

/* format_revision of gpu_metrics' header, or -1 when it cannot be read. */
static int metrics_format(const hr_ctx *ctx, const amd_dev *d) {
    char p[192];
    unsigned char hdr[8];
    size_t n = 0;
    int err;
    join(p, sizeof p, d->dev, "gpu_metrics");
    if (hr__fs_read(ctx, p, (char *)hdr, sizeof hdr, &n, &err) != HR_OK || n < 4)
        return -1;
    return hdr[2];
}

static int decide_unified(const hr_ctx *ctx, const amd_dev *d) {
    int fmt = metrics_format(ctx, d);
    if (fmt >= 1)
        return fmt >= 2;
    hr_reading vis = reading_at(ctx, d->dev, "mem_info_vis_vram_total", 1, 1);
    return HR_IS_KNOWN(vis) && HR_IS_KNOWN(d->vram_total) && vis.v == d->vram_total.v &&
           d->vram_total.v <= AMD_UNIFIED_MAX_CARVEOUT;
}

static void read_static(const hr_ctx *ctx, amd_dev *d, const char *uevent) {
    static const char *const crit[T_COUNT] = {"temp1_crit", "temp2_crit", "temp3_crit"};
    static const char *const emerg[T_COUNT] = {"temp1_emergency", "temp2_emergency",
                                               "temp3_emergency"};
    char p[192], buf[128];
    size_t n = 0;
    int err;
    read_name(ctx, d, uevent);
    read_pci_bus(ctx, d, uevent);
    join(p, sizeof p, d->dev, "unique_id");
    if (hr__fs_read(ctx, p, buf, sizeof buf, &n, &err) == HR_OK)
        hr__copy_line(d->uuid, sizeof d->uuid, buf, n);
    find_hwmon(ctx, d);
    d->vram_total = reading_at(ctx, d->dev, "mem_info_vram_total", 1, 1);
    d->gtt_total = reading_at(ctx, d->dev, "mem_info_gtt_total", 1, 1);
    d->unified = decide_unified(ctx, d);
    for (int t = 0; t < T_COUNT; t++) {
        d->temp_crit[t] = reading_at(ctx, d->hwmon, crit[t], 1, 1);
        d->temp_emergency[t] = reading_at(ctx, d->hwmon, emerg[t], 1, 1);
    }
    d->pwm_max = reading_at(ctx, d->hwmon, "pwm1_max", 1, 1);
    d->fan_max_rpm = reading_at(ctx, d->hwmon, "fan1_max", 1, 1);
}

static void open_attrs(const hr_ctx *ctx, amd_dev *d) {
    static const char *const temp[T_COUNT] = {"temp1_input", "temp2_input", "temp3_input"};
    attr_at(&d->vram_used, ctx, d->dev, "mem_info_vram_used");
    attr_at(&d->gtt_used, ctx, d->dev, "mem_info_gtt_used");
    attr_at(&d->busy, ctx, d->dev, "gpu_busy_percent");
    attr_at(&d->mem_busy, ctx, d->dev, "mem_busy_percent");
    attr_at(&d->dpm_sclk, ctx, d->dev, "pp_dpm_sclk");
    attr_at(&d->dpm_mclk, ctx, d->dev, "pp_dpm_mclk");
    for (int t = 0; t < T_COUNT; t++)
        attr_at(&d->temp[t], ctx, d->hwmon, temp[t]);
    attr_at(&d->power_avg, ctx, d->hwmon, "power1_average");
    attr_at(&d->power_in, ctx, d->hwmon, "power1_input");
    attr_at(&d->power_cap, ctx, d->hwmon, "power1_cap");
    attr_at(&d->sclk, ctx, d->hwmon, "freq1_input");
    attr_at(&d->mclk, ctx, d->hwmon, "freq2_input");
    attr_at(&d->pwm, ctx, d->hwmon, "pwm1");
    attr_at(&d->fan_rpm, ctx, d->hwmon, "fan1_input");
    hr_reading cur;
    dpm_read(&d->dpm_sclk, &cur, &d->sclk_max);
    dpm_read(&d->dpm_mclk, &cur, &d->mclk_max);
}

static void close_attrs(amd_dev *d) {
    hr__attr *all[] = {&d->vram_used, &d->gtt_used,  &d->busy,     &d->mem_busy,
                       &d->dpm_sclk,  &d->dpm_mclk,  &d->temp[0],  &d->temp[1],
                       &d->temp[2],   &d->power_avg, &d->power_in, &d->power_cap,
                       &d->sclk,      &d->mclk,      &d->pwm,      &d->fan_rpm};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        hr__attr_close(all[i]);
}

/* Adds card NAME when it is an amdgpu device. Returns HR_OK or HR_ENOMEM. */
static hr_status add_card(amd_state *st, const char *name) {
    char dev[64], p[96], uevent[512];
    size_t n = 0;
    int err;
    hr__snprintf(dev, sizeof dev, "sys/class/drm/%s/device", name);
    join(p, sizeof p, dev, "uevent");
    if (hr__fs_read(st->ctx, p, uevent, sizeof uevent, &n, &err) != HR_OK)
        uevent[0] = '\0';
    if (!is_amdgpu(st->ctx, dev, uevent))
        return HR_OK;
    if (hr__grow((void **)&st->devs, sizeof *st->devs, st->ndev, &st->cap) != HR_OK)
        return HR_ENOMEM;
    amd_dev *d = &st->devs[st->ndev];
    memset(d, 0, sizeof *d);
    hr__strlcpy(d->dev, dev, sizeof d->dev);
    read_static(st->ctx, d, uevent);
    open_attrs(st->ctx, d);
    st->ndev++;
    return HR_OK;
}

static int card_number(const char *name) { return atoi(name + 4); }

static int by_card_number(const void *a, const void *b) {
    int x = card_number(*(const char *const *)a), y = card_number(*(const char *const *)b);
    return (x > y) - (x < y);
}

/* The cardN names under sys/class/drm, sorted by N; *n gets the count. The
 * array and its strings are one allocation. Returns NULL with *n = 0 when
 * none (or out of memory: *oom = 1). */
static char **list_cards(const hr_ctx *ctx, size_t *n, int *oom, int *err) {
    enum { MAX_CARDS = 64, NAME_CAP = 16 };
    *n = 0;
    *oom = 0;
    DIR *dp = hr__fs_opendir(ctx, "sys/class/drm", err);
    if (!dp)
        return NULL;
    char **names = malloc(MAX_CARDS * (sizeof(char *) + NAME_CAP));
    if (!names) {
        *oom = 1;
        closedir(dp);
        return NULL;
    }
    char *store = (char *)(names + MAX_CARDS);
    struct dirent *e;
    while ((e = readdir(dp)) != NULL && *n < MAX_CARDS) {
        if (!is_card_name(e->d_name) || strlen(e->d_name) >= NAME_CAP)
            continue;
        names[*n] = store + *n * NAME_CAP;
        hr__strlcpy(names[*n], e->d_name, NAME_CAP);
        (*n)++;
    }
    closedir(dp);
    qsort(names, *n, sizeof *names, by_card_number);
    return names;
}

static void amd_shutdown(void *state) {
    amd_state *st = state;
    if (!st)
        return;
    for (size_t i = 0; i < st->ndev; i++)
        close_attrs(&st->devs[i]);
    free(st->devs);
    free(st);
}

static hr_status amd_init(hr_ctx *ctx, void **state, int *ndev, char *detail, size_t cap) {
    *state = NULL;
    *ndev = 0;
    amd_state *st = calloc(1, sizeof *st);
    if (!st)
        return HR_ENOMEM;
    st->ctx = ctx;
    size_t ncards = 0;
    int oom = 0, err = 0;
    char **cards = list_cards(ctx, &ncards, &oom, &err);
    hr_status s = oom ? HR_ENOMEM : HR_OK;
    for (size_t i = 0; i < ncards && s == HR_OK; i++)
        s = add_card(st, cards[i]);
    free(cards);
    if (s != HR_OK || st->ndev == 0) {
        if (s == HR_OK)
            hr__snprintf(detail, cap, "no amdgpu card under sys/class/drm%s",
                         ncards || !err ? "" : " (directory absent)");
        amd_shutdown(st);
        return s == HR_OK ? HR_ENODEV : s;
    }
    hr__snprintf(detail, cap, "%zu amdgpu card%s: %s", st->ndev, st->ndev > 1 ? "s" : "",
                 st->devs[0].name);
    *state = st;
    *ndev = (int)st->ndev;
    return HR_OK;
}

static hr_status amd_read_static(void *state, int i, hr_gpu_info *g) {
    amd_state *st = state;
    const amd_dev *d = &st->devs[i];
    g->vendor = HR_GPU_AMD;
    g->unified_memory = d->unified;
    hr__strlcpy(g->backend, "amd-sysfs", sizeof g->backend);
    hr__strlcpy(g->name, d->name, sizeof g->name);
    hr__strlcpy(g->uuid, d->uuid, sizeof g->uuid);
    hr__strlcpy(g->pci_bus, d->pci_bus, sizeof g->pci_bus);
    char buf[64];
    size_t n = 0;
    int err;
    if (hr__fs_read(st->ctx, "sys/module/amdgpu/version", buf, sizeof buf, &n, &err) == HR_OK)
        hr__copy_line(g->driver_version, sizeof g->driver_version, buf, n);
    const hr_reading *crit =
        HR_IS_KNOWN(d->temp_crit[T_JUNCTION]) ? &d->temp_crit[T_JUNCTION] : &d->temp_crit[T_EDGE];
    const hr_reading *em = HR_IS_KNOWN(d->temp_emergency[T_JUNCTION])
                               ? &d->temp_emergency[T_JUNCTION]
                               : &d->temp_emergency[T_EDGE];
    g->temp_max_mc = *crit;
    g->temp_slowdown_mc = *crit;
    g->temp_shutdown_mc = *em;
    g->clock_sm_max_mhz = d->sclk_max;
    g->clock_mem_max_mhz = d->mclk_max;
    return HR_OK;
}

/* A percentage file as ppm; values outside 0..100 are not a valid value. */
static hr_reading percent_ppm(hr__attr *a) {
    hr_reading r = hr__attr_reading(a, 10000, 1);
    if (HR_IS_KNOWN(r) && (r.v < 0 || r.v > 1000000))
        return hr__unknown(HR_WHY_UNREADABLE, 0);
    return r;
}

static hr_reading sum_known(hr_reading a, hr_reading b) {
    if (!HR_IS_KNOWN(a))
        return a;
    return HR_IS_KNOWN(b) ? hr__known(a.v + b.v) : b;
}

static void read_memory(amd_dev *d, hr_gpu_info *g) {
    hr_reading used = hr__attr_reading(&d->vram_used, 1, 1);
    hr_reading total = d->vram_total;
    if (d->unified) {
        if (HR_IS_KNOWN(d->gtt_total))
            total = sum_known(total, d->gtt_total);
        hr_reading gtt_used = hr__attr_reading(&d->gtt_used, 1, 1);
        if (HR_IS_KNOWN(gtt_used))
            used = sum_known(used, gtt_used);
    }
    g->mem_total_bytes = total;
    g->mem_used_bytes = used;
    if (HR_IS_KNOWN(total) && HR_IS_KNOWN(used))
        g->mem_free_bytes = hr__known(total.v > used.v ? total.v - used.v : 0);
    else
        g->mem_free_bytes = HR_IS_KNOWN(total) ? used : total;
}

static void read_temps(amd_dev *d, hr_gpu_info *g) {
    hr_reading t[T_COUNT];
    hr_reading margin = hr__unknown(HR_WHY_ABSENT, 0);
    for (int i = 0; i < T_COUNT; i++) {
        t[i] = hr__attr_reading(&d->temp[i], 1, 1);
        if (!HR_IS_KNOWN(t[i]) || !HR_IS_KNOWN(d->temp_crit[i]))
            continue;
        int64_t m = d->temp_crit[i].v - t[i].v;
        if (!HR_IS_KNOWN(margin) || m < margin.v)
            margin = hr__known(m);
    }
    g->temp_mc = t[T_EDGE];
    g->temp_hotspot_mc = t[T_JUNCTION];
    g->temp_mem_mc = t[T_MEM];
    g->temp_margin_mc = margin;
}

/* Fan speed in percent: pwm1 over pwm1_max (the hwmon ABI's 0..255 range when
 * pwm1_max is absent), else fan1_input over fan1_max, rounded to nearest. */
static hr_reading fan_percent(amd_dev *d) {
    hr_reading pwm = hr__attr_reading(&d->pwm, 1, 1);
    int64_t pmax = HR_IS_KNOWN(d->pwm_max) ? d->pwm_max.v : 255;
    if (HR_IS_KNOWN(pwm) && pmax > 0 && pwm.v >= 0 && pwm.v <= pmax)
        return hr__known((pwm.v * 100 + pmax / 2) / pmax);
    hr_reading rpm = hr__attr_reading(&d->fan_rpm, 1, 1);
    if (HR_IS_KNOWN(rpm) && HR_IS_KNOWN(d->fan_max_rpm) && d->fan_max_rpm.v > 0 && rpm.v >= 0 &&
        rpm.v <= d->fan_max_rpm.v)
        return hr__known((rpm.v * 100 + d->fan_max_rpm.v / 2) / d->fan_max_rpm.v);
    if (HR_IS_KNOWN(pwm))
        return hr__unknown(HR_WHY_UNREADABLE, 0);
    return pwm;
}

static void read_clocks(amd_dev *d, hr_gpu_info *g) {
    hr_reading cur, max;
    g->clock_sm_mhz = hr__attr_reading(&d->sclk, 1, 1000000);
    if (!HR_IS_KNOWN(g->clock_sm_mhz)) {
        dpm_read(&d->dpm_sclk, &cur, &max);
        if (HR_IS_KNOWN(cur))
            g->clock_sm_mhz = cur;
    }
    g->clock_mem_mhz = hr__attr_reading(&d->mclk, 1, 1000000);
    if (!HR_IS_KNOWN(g->clock_mem_mhz)) {
        dpm_read(&d->dpm_mclk, &cur, &max);
        if (HR_IS_KNOWN(cur))
            g->clock_mem_mhz = cur;
    }
}

static void read_power(amd_dev *d, hr_gpu_info *g) {
    g->power_mw = hr__attr_reading(&d->power_avg, 1, 1000);
    if (!HR_IS_KNOWN(g->power_mw)) {
        hr_reading in = hr__attr_reading(&d->power_in, 1, 1000);
        if (HR_IS_KNOWN(in) || d->power_in.fd >= 0)
            g->power_mw = in;
    }
    g->power_limit_mw = hr__attr_reading(&d->power_cap, 1, 1000);
}

static void mark_unsupported(hr_gpu_info *g) {
    g->energy_mj = hr__unknown(HR_WHY_NOT_SUPPORTED, 0);
    g->pstate = hr__unknown(HR_WHY_NOT_SUPPORTED, 0);
    g->throttle_reasons = hr__unknown(HR_WHY_NOT_SUPPORTED, 0);
    g->throttle_supported = hr__unknown(HR_WHY_NOT_SUPPORTED, 0);
    for (int i = 0; i < HR_TCOUNT_COUNT; i++)
        g->throttle_time_ns[i] = hr__unknown(HR_WHY_NOT_SUPPORTED, 0);
}

/* Every dynamic reading of a card whose files answer ENODEV (unbound or
 * unplugged) becomes HR_WHY_DEVICE_LOST; the card never comes back under
 * the same descriptors. */
static void mark_lost(hr_gpu_info *g) {
    hr_reading lost = hr__unknown(HR_WHY_DEVICE_LOST, ENODEV);
    hr_reading *dyn[] = {&g->mem_used_bytes,  &g->mem_free_bytes, &g->util_ppm,
                         &g->mem_util_ppm,    &g->temp_mc,        &g->temp_margin_mc,
                         &g->temp_hotspot_mc, &g->temp_mem_mc,    &g->power_mw,
                         &g->power_limit_mw,  &g->clock_sm_mhz,   &g->clock_mem_mhz,
                         &g->fan_pct};
    g->lost = 1;
    for (size_t i = 0; i < sizeof dyn / sizeof dyn[0]; i++)
        *dyn[i] = lost;
}

static int vanished(hr_reading r) { return r.why == HR_WHY_VANISHED; }

static hr_status amd_refresh(void *state, int i, hr_gpu_info *g) {
    amd_state *st = state;
    amd_dev *d = &st->devs[i];
    mark_unsupported(g);
    if (g->lost) {
        mark_lost(g);
        return HR_OK;
    }
    read_memory(d, g);
    g->util_ppm = percent_ppm(&d->busy);
    if (vanished(g->util_ppm) || vanished(g->mem_used_bytes)) {
        mark_lost(g);
        return HR_OK;
    }
    g->mem_util_ppm = percent_ppm(&d->mem_busy);
    read_temps(d, g);
    read_power(d, g);
    read_clocks(d, g);
    g->fan_pct = fan_percent(d);
    return HR_OK;
}

const hr__gpu_backend hr__gpu_amd_sysfs = {
    "amd-sysfs", amd_init, amd_read_static, amd_refresh, amd_shutdown,
};
