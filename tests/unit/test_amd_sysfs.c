/* test_amd_sysfs.c: the amdgpu sysfs backend on the amd-workstation (RX 6800 XT)
 * and amd-apu (Radeon 780M) fixtures, refreshes, hostile file contents, a card
 * that vanishes, and the accelerator the core derives from what it read. */
#include "harness/hr_test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/sys.h"

#define WS_GPU "sys/devices/pci0000:00/0000:00:03.1/0000:0b:00.0/0000:0c:00.0/0000:0d:00.0"
#define WS_HWMON WS_GPU "/hwmon/hwmon2"

/* ---- helpers ------------------------------------------------------------- */

static hr_ctx *ctx_at(const char *dir) {
    hr_ctx *ctx = NULL;
    assert_int_equal(hr_ctx_new(&ctx), HR_OK);
    assert_int_equal(hr_ctx_set_root(ctx, dir), HR_OK);
    hr_ctx_set_nvml_library(ctx, HR_BUILD_DIR "/no-such-libnvidia-ml.so.1");
    return ctx;
}

static hr_probe *probe_of(hr_ctx *ctx) {
    hr_probe *p = NULL;
    assert_int_equal(hr_probe_open(ctx, &p), HR_OK);
    assert_non_null(p);
    return p;
}

/* The only amd-sysfs GPU of P (fails when there is not exactly one). */
static hr_gpu_info *amd_gpu(hr_probe *p) {
    hr_gpu_info *found = NULL;
    for (size_t i = 0; i < p->ngpus; i++) {
        if (strcmp(p->gpus[i].backend, "amd-sysfs") != 0)
            continue;
        if (found)
            fail_msg("more than one amd-sysfs GPU");
        found = &p->gpus[i];
    }
    if (!found)
        fail_msg("no amd-sysfs GPU");
    return found;
}

static const hr_source_report *source(const hr_probe *p, const char *name) {
    for (size_t i = 0; i < p->nsources; i++)
        if (strcmp(p->sources[i].name, name) == 0)
            return &p->sources[i];
    return NULL;
}

/* A private copy of a fixture scenario, so a test may rewrite its files. */
static char *copy_fixture(const char *scenario) {
    static char dir[256];
    char cmd[1024];
    snprintf(dir, sizeof dir, "/tmp/hr-amd-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof cmd, "cp -a '%s/.' '%s'", hr_test_fixture(scenario), dir);
    assert_int_equal(system(cmd), 0);
    return dir;
}

static void remove_tree(const char *dir) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* Rewrites DIR/REL in place (same inode, so descriptors kept open see it). */
static void put(const char *dir, const char *rel, const char *content) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "w");
    if (!f)
        fail_msg("cannot write %s", path);
    fputs(content, f);
    fclose(f);
}

static void drop(const char *dir, const char *rel) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    assert_int_equal(unlink(path), 0);
}

/* ---- the RX 6800 XT workstation ------------------------------------------ */

static void test_amd_sysfs_workstation_static(void **state) {
    (void)state;
    hr_ctx *ctx = hr_test_ctx("linux/amd-workstation");
    hr_probe *p = probe_of(ctx);
    hr_gpu_info *g = amd_gpu(p);
    assert_int_equal(g->vendor, HR_GPU_AMD);
    assert_int_equal(g->unified_memory, 0);
    assert_int_equal(g->lost, 0);
    assert_string_equal(g->name, "AMD Radeon RX 6800/6800 XT/6900 XT (Navi 21)");
    assert_string_equal(g->pci_bus, "0000:0d:00.0");
    assert_string_equal(g->uuid, "2b8c1a43f0e1d2a7");
    assert_known(g->mem_total_bytes, 17163091968LL);
    /* crit is where the SMU throttles: the junction's, since it has one. */
    assert_known(g->temp_max_mc, 110000);
    assert_known(g->temp_slowdown_mc, 110000);
    assert_known(g->temp_shutdown_mc, 115000);
    assert_known(g->clock_sm_max_mhz, 2575);
    assert_known(g->clock_mem_max_mhz, 1000);
    const hr_source_report *r = source(p, "amd-sysfs");
    assert_non_null(r);
    assert_int_equal(r->state, HR_SOURCE_ANSWERED);
    hr_probe_free(p);
    hr_ctx_free(ctx);
}

static void test_amd_sysfs_workstation_dynamic(void **state) {
    (void)state;
    hr_ctx *ctx = hr_test_ctx("linux/amd-workstation");
    hr_probe *p = probe_of(ctx);
    hr_gpu_info *g = amd_gpu(p);
    assert_known(g->mem_used_bytes, 1517232128LL);
    assert_known(g->mem_free_bytes, 17163091968LL - 1517232128LL);
    assert_known(g->util_ppm, 370000);
    assert_known(g->mem_util_ppm, 120000);
    assert_known(g->temp_mc, 61000);
    assert_known(g->temp_hotspot_mc, 74000);
    assert_known(g->temp_mem_mc, 68000);
    /* Nearest threshold: memory 100 - 68 = 32 (junction 110 - 74 = 36, edge 39). */
    assert_known(g->temp_margin_mc, 32000);
    assert_known(g->power_mw, 187000);
    assert_known(g->power_limit_mw, 255000);
    assert_known(g->clock_sm_mhz, 2250);
    assert_known(g->clock_mem_mhz, 1000);
    /* pwm1 89 of pwm1_max 255 = 34.9 % -> 35. */
    assert_known(g->fan_pct, 35);
    assert_unknown(g->throttle_reasons, HR_WHY_NOT_SUPPORTED);
    assert_unknown(g->throttle_supported, HR_WHY_NOT_SUPPORTED);
    assert_unknown(g->throttle_time_ns[HR_TCOUNT_HW_THERMAL], HR_WHY_NOT_SUPPORTED);
    assert_unknown(g->energy_mj, HR_WHY_NOT_SUPPORTED);
    hr_probe_free(p);
    hr_ctx_free(ctx);
}

static void test_amd_sysfs_workstation_accel_is_rocm(void **state) {
    (void)state;
    hr_ctx *ctx = hr_test_ctx("linux/amd-workstation");
    hr_probe *p = probe_of(ctx);
    hr_gpu_info *g = amd_gpu(p);
    assert_int_equal(p->accel.kind, HR_ACCEL_ROCM);
    assert_int_equal(p->accel.gpu_index, g->index);
    assert_int_equal(p->accel.unified_memory, 0);
    assert_string_equal(p->accel.torch_device, "cuda:0");
    assert_known(p->accel.budget_bytes, 17163091968LL - 1517232128LL);
    assert_known(p->accel.ceiling_bytes, 17163091968LL);
    assert_non_null(strstr(p->accel.budget_source, "free VRAM"));
    hr_probe_free(p);
    hr_ctx_free(ctx);
}

/* ---- the Radeon 780M laptop (APU) ---------------------------------------- */

#define APU_VRAM 536870912LL
#define APU_GTT 16466610176LL
#define APU_USED (241434624LL + 183500800LL)

static void test_amd_sysfs_apu_is_unified(void **state) {
    (void)state;
    hr_ctx *ctx = hr_test_ctx("linux/amd-apu");
    hr_probe *p = probe_of(ctx);
    hr_gpu_info *g = amd_gpu(p);
    assert_string_equal(g->name, "AMD Radeon 760M/780M (Phoenix1)");
    assert_string_equal(g->pci_bus, "0000:c1:00.0");
    assert_string_equal(g->uuid, "");
    assert_int_equal(g->unified_memory, 1);
    assert_known(g->mem_total_bytes, APU_VRAM + APU_GTT);
    assert_known(g->mem_used_bytes, APU_USED);
    assert_known(g->mem_free_bytes, APU_VRAM + APU_GTT - APU_USED);
    assert_known(g->util_ppm, 90000);
    assert_unknown(g->mem_util_ppm, HR_WHY_ABSENT);
    assert_known(g->temp_mc, 47000);
    assert_unknown(g->temp_hotspot_mc, HR_WHY_ABSENT);
    assert_unknown(g->temp_max_mc, HR_WHY_ABSENT);
    assert_unknown(g->temp_margin_mc, HR_WHY_ABSENT);
    /* No power1_average on this APU: power1_input answers. */
    assert_known(g->power_mw, 7042);
    assert_unknown(g->power_limit_mw, HR_WHY_ABSENT);
    assert_known(g->clock_sm_mhz, 1500);
    assert_known(g->clock_sm_max_mhz, 2700);
    /* No freq2_input: the level marked '*' in pp_dpm_mclk. */
    assert_known(g->clock_mem_mhz, 400);
    assert_known(g->clock_mem_max_mhz, 2800);
    assert_unknown(g->fan_pct, HR_WHY_ABSENT);
    hr_probe_free(p);
    hr_ctx_free(ctx);
}

static void test_amd_sysfs_apu_accel_is_unified_rocm(void **state) {
    (void)state;
    hr_ctx *ctx = hr_test_ctx("linux/amd-apu");
    hr_probe *p = probe_of(ctx);
    hr_gpu_info *g = amd_gpu(p);
    assert_int_equal(p->accel.kind, HR_ACCEL_ROCM);
    assert_int_equal(p->accel.gpu_index, g->index);
    assert_int_equal(p->accel.unified_memory, 1);
    assert_string_equal(p->accel.torch_device, "cuda:0");
    assert_known(p->accel.ceiling_bytes, APU_VRAM + APU_GTT);
    if (HR_IS_KNOWN(p->mem.available_bytes)) {
        int64_t room = APU_VRAM + APU_GTT - APU_USED;
        if (room > p->mem.available_bytes.v)
            room = p->mem.available_bytes.v;
        if (HR_IS_KNOWN(p->mem.pressure_level) && p->mem.pressure_level.v == HR_PRESSURE_NORMAL)
            assert_known(p->accel.budget_bytes, room);
        assert_true(HR_IS_KNOWN(p->accel.budget_bytes));
        assert_true(p->accel.budget_bytes.v <= room);
    } else {
        assert_false(HR_IS_KNOWN(p->accel.budget_bytes));
    }
    hr_probe_free(p);
    hr_ctx_free(ctx);
}

/* ---- refresh, hostile content, vanishing ---------------------------------- */

static void test_amd_sysfs_refresh_reads_new_values(void **state) {
    (void)state;
    char *dir = copy_fixture("linux/amd-workstation");
    hr_ctx *ctx = ctx_at(dir);
    hr_probe *p = probe_of(ctx);
    assert_known(amd_gpu(p)->util_ppm, 370000);
    put(dir, WS_GPU "/gpu_busy_percent", "100\n");
    put(dir, WS_GPU "/mem_info_vram_used", "16000000000\n");
    put(dir, WS_GPU "/pp_dpm_sclk", "0: 500Mhz \n1: 2250Mhz \n2: 2575Mhz *\n");
    put(dir, WS_HWMON "/temp2_input", "95000\n");
    put(dir, WS_HWMON "/power1_average", "254000000\n");
    put(dir, WS_HWMON "/freq1_input", "2575000000\n");
    put(dir, WS_HWMON "/pwm1", "255\n");
    assert_int_equal(hr_probe_refresh(p), HR_OK);
    hr_gpu_info *g = amd_gpu(p);
    assert_known(g->util_ppm, 1000000);
    assert_known(g->mem_used_bytes, 16000000000LL);
    assert_known(g->mem_free_bytes, 17163091968LL - 16000000000LL);
    assert_known(g->temp_hotspot_mc, 95000);
    assert_known(g->temp_margin_mc, 15000);
    assert_known(g->power_mw, 254000);
    assert_known(g->clock_sm_mhz, 2575);
    assert_known(g->fan_pct, 100);
    assert_known(p->accel.budget_bytes, 17163091968LL - 16000000000LL);
    hr_probe_free(p);
    hr_ctx_free(ctx);
    remove_tree(dir);
}

static void test_amd_sysfs_hostile_content(void **state) {
    (void)state;
    char *dir = copy_fixture("linux/amd-workstation");
    hr_ctx *ctx = ctx_at(dir);
    hr_probe *p = probe_of(ctx);
    put(dir, WS_HWMON "/pwm1", "N/A\n");
    put(dir, WS_GPU "/gpu_busy_percent", "250\n");
    put(dir, WS_GPU "/mem_busy_percent", "");
    put(dir, WS_GPU "/mem_info_vram_used", "99999999999999999999999\n");
    put(dir, WS_HWMON "/temp1_input", "-\n");
    put(dir, WS_HWMON "/temp3_input", "68000 C\n");
    put(dir, WS_HWMON "/power1_average", "187000000"); /* no newline: still a value */
    put(dir, WS_HWMON "/freq1_input", "\n");
    put(dir, WS_GPU "/pp_dpm_sclk", "S: Mhz *\nOD_SCLK:\nnonsense\n");
    assert_int_equal(hr_probe_refresh(p), HR_OK);
    hr_gpu_info *g = amd_gpu(p);
    assert_int_equal(g->lost, 0);
    /* pwm1 unreadable: the RPM ratio answers, 1480 of 3300 RPM = 44.8 % -> 45. */
    assert_known(g->fan_pct, 45);
    assert_unknown(g->util_ppm, HR_WHY_UNREADABLE);
    assert_unknown(g->mem_util_ppm, HR_WHY_UNREADABLE);
    assert_unknown(g->mem_used_bytes, HR_WHY_UNREADABLE);
    assert_unknown(g->mem_free_bytes, HR_WHY_UNREADABLE);
    assert_unknown(g->temp_mc, HR_WHY_UNREADABLE);
    assert_unknown(g->temp_mem_mc, HR_WHY_UNREADABLE);
    assert_known(g->temp_hotspot_mc, 74000);
    assert_known(g->temp_margin_mc, 36000);
    assert_known(g->power_mw, 187000);
    assert_unknown(g->clock_sm_mhz, HR_WHY_UNREADABLE);
    assert_unknown(p->accel.budget_bytes, HR_WHY_UNREADABLE);
    /* Neither pwm1 nor the RPM ratio: unknown, not 0. */
    drop(dir, WS_HWMON "/fan1_input");
    hr_probe_free(p);
    p = probe_of(ctx);
    assert_unknown(amd_gpu(p)->fan_pct, HR_WHY_UNREADABLE);
    hr_probe_free(p);
    hr_ctx_free(ctx);
    remove_tree(dir);
}

static int fake_openat_eacces(int dirfd, const char *path, int flags, ...) {
    size_t n = strlen(path);
    if (n >= 11 && strcmp(path + n - 11, "temp2_input") == 0) {
        errno = EACCES;
        return -1;
    }
    return openat(dirfd, path, flags);
}

static void test_amd_sysfs_permission_denied(void **state) {
    (void)state;
    hr__sys.openat = fake_openat_eacces;
    hr_ctx *ctx = hr_test_ctx("linux/amd-workstation");
    hr_probe *p = probe_of(ctx);
    hr_gpu_info *g = amd_gpu(p);
    hr_reading r = g->temp_hotspot_mc;
    assert_unknown(r, HR_WHY_NO_PERMISSION);
    assert_int_equal(r.err, EACCES);
    assert_known(g->temp_mc, 61000);
    assert_int_equal(hr_probe_refresh(p), HR_OK);
    assert_unknown(amd_gpu(p)->temp_hotspot_mc, HR_WHY_NO_PERMISSION);
    hr_probe_free(p);
    hr_ctx_free(ctx);
    hr__sys_reset();
}

static ssize_t fake_pread_enodev(int fd, void *buf, size_t n, off_t off) {
    (void)fd;
    (void)buf;
    (void)n;
    (void)off;
    errno = ENODEV;
    return -1;
}

static void test_amd_sysfs_card_vanishes(void **state) {
    (void)state;
    hr_ctx *ctx = hr_test_ctx("linux/amd-workstation");
    hr_probe *p = probe_of(ctx);
    assert_int_equal(p->accel.kind, HR_ACCEL_ROCM);
    /* Unbound or unplugged: kernfs answers ENODEV on every kept descriptor. */
    hr__sys.pread = fake_pread_enodev;
    assert_int_equal(hr_probe_refresh(p), HR_OK);
    hr__sys_reset();
    hr_gpu_info *g = amd_gpu(p);
    assert_int_equal(g->lost, 1);
    assert_unknown(g->util_ppm, HR_WHY_DEVICE_LOST);
    assert_unknown(g->mem_used_bytes, HR_WHY_DEVICE_LOST);
    assert_unknown(g->temp_mc, HR_WHY_DEVICE_LOST);
    assert_unknown(g->fan_pct, HR_WHY_DEVICE_LOST);
    assert_string_equal(g->name, "AMD Radeon RX 6800/6800 XT/6900 XT (Navi 21)");
    /* Lost stays lost, and the core no longer plans for it. */
    assert_int_equal(hr_probe_refresh(p), HR_OK);
    g = amd_gpu(p);
    assert_int_equal(g->lost, 1);
    assert_unknown(g->temp_mc, HR_WHY_DEVICE_LOST);
    assert_int_not_equal(p->accel.kind, HR_ACCEL_ROCM);
    hr_probe_free(p);
    hr_ctx_free(ctx);
}

static void mkdirs(const char *dir, const char *rel) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/%s'", dir, rel);
    assert_int_equal(system(cmd), 0);
}

static void link_at(const char *dir, const char *rel, const char *target) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    assert_int_equal(symlink(target, path), 0);
}

/* A card whose device vanished before discovery, an NVIDIA card, an AMD card
 * on the legacy radeon driver, and a hostile vendor file: none is added. */
static void test_amd_sysfs_skips_what_is_not_amdgpu(void **state) {
    (void)state;
    char dir[] = "/tmp/hr-amd-XXXXXX";
    assert_non_null(mkdtemp(dir));
    mkdirs(dir, "sys/class/drm");
    mkdirs(dir, "sys/devices/nv/drm/card1");
    mkdirs(dir, "sys/devices/radeon/drm/card2");
    mkdirs(dir, "sys/devices/junk/drm/card3");
    link_at(dir, "sys/class/drm/card0", "../../devices/gone/drm/card0");
    link_at(dir, "sys/class/drm/card1", "../../devices/nv/drm/card1");
    link_at(dir, "sys/class/drm/card2", "../../devices/radeon/drm/card2");
    link_at(dir, "sys/class/drm/card3", "../../devices/junk/drm/card3");
    link_at(dir, "sys/devices/nv/drm/card1/device", "../..");
    link_at(dir, "sys/devices/radeon/drm/card2/device", "../..");
    link_at(dir, "sys/devices/junk/drm/card3/device", "../..");
    put(dir, "sys/devices/nv/vendor", "0x10de\n");
    put(dir, "sys/devices/nv/uevent", "DRIVER=nvidia\n");
    put(dir, "sys/devices/radeon/vendor", "0x1002\n");
    put(dir, "sys/devices/radeon/uevent", "DRIVER=radeon\n");
    put(dir, "sys/devices/junk/vendor", "0x1002garbage\n");
    put(dir, "sys/devices/junk/uevent", "DRIVER=amdgpu\n");
    hr_ctx *ctx = ctx_at(dir);
    hr_probe *p = probe_of(ctx);
    for (size_t i = 0; i < p->ngpus; i++)
        assert_string_not_equal(p->gpus[i].backend, "amd-sysfs");
    const hr_source_report *r = source(p, "amd-sysfs");
    assert_non_null(r);
    assert_int_equal(r->state, HR_SOURCE_ABSENT);
    hr_probe_free(p);
    hr_ctx_free(ctx);
    remove_tree(dir);
}

/* No product_name, no name in the table: the PCI id; the uevent's DRIVER and
 * PCI_SLOT_NAME stand in when the symlinks cannot be read. */
static void test_amd_sysfs_unknown_board_and_uevent_fallbacks(void **state) {
    (void)state;
    char dir[] = "/tmp/hr-amd-XXXXXX";
    assert_non_null(mkdtemp(dir));
    mkdirs(dir, "sys/class/drm/card0/device");
    put(dir, "sys/class/drm/card0/device/vendor", "0x1002\n");
    put(dir, "sys/class/drm/card0/device/uevent",
        "DRIVER=amdgpu\nPCI_ID=1002:ABCD\nPCI_SLOT_NAME=0000:03:00.0\n");
    put(dir, "sys/class/drm/card0/device/mem_info_vram_total", "8573157376\n");
    put(dir, "sys/class/drm/card0/device/mem_info_vis_vram_total", "268435456\n");
    put(dir, "sys/class/drm/card0/device/mem_info_vram_used", "0\n");
    hr_ctx *ctx = ctx_at(dir);
    hr_probe *p = probe_of(ctx);
    hr_gpu_info *g = amd_gpu(p);
    assert_string_equal(g->name, "AMD GPU 0xabcd");
    assert_string_equal(g->pci_bus, "0000:03:00.0");
    assert_int_equal(g->unified_memory, 0);
    assert_known(g->mem_free_bytes, 8573157376LL);
    assert_unknown(g->temp_mc, HR_WHY_ABSENT);
    assert_unknown(g->clock_sm_max_mhz, HR_WHY_ABSENT);
    hr_probe_free(p);
    /* Without gpu_metrics, a small carve-out that is all CPU-visible is an APU. */
    put(dir, "sys/class/drm/card0/device/mem_info_vram_total", "536870912\n");
    put(dir, "sys/class/drm/card0/device/mem_info_vis_vram_total", "536870912\n");
    p = probe_of(ctx);
    assert_int_equal(amd_gpu(p)->unified_memory, 1);
    hr_probe_free(p);
    hr_ctx_free(ctx);
    remove_tree(dir);
}

int main(void) {
#ifndef __linux__
    return 77; /* the amdgpu backend is built on Linux only */
#endif
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_amd_sysfs_workstation_static),
        cmocka_unit_test(test_amd_sysfs_workstation_dynamic),
        cmocka_unit_test(test_amd_sysfs_workstation_accel_is_rocm),
        cmocka_unit_test(test_amd_sysfs_apu_is_unified),
        cmocka_unit_test(test_amd_sysfs_apu_accel_is_unified_rocm),
        cmocka_unit_test(test_amd_sysfs_refresh_reads_new_values),
        cmocka_unit_test(test_amd_sysfs_hostile_content),
        cmocka_unit_test(test_amd_sysfs_permission_denied),
        cmocka_unit_test(test_amd_sysfs_card_vanishes),
        cmocka_unit_test(test_amd_sysfs_skips_what_is_not_amdgpu),
        cmocka_unit_test(test_amd_sysfs_unknown_board_and_uevent_fallbacks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
