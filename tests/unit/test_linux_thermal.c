/* test_linux_thermal.c: sys/class/thermal zones and trip points
 * (src/platform/linux/thermal.c): fixtures, zones that refuse to be read,
 * the zone fallback of the derived CPU temperature, and live invariants. */
#include "test_linux_util.h"

#include <dirent.h>

static const hr_thermal_zone *must_zone(const hr_probe *p, const char *name) {
    const hr_thermal_zone *z = lx_zone(p, name);
    if (!z)
        fail_msg("no zone %s", name);
    return z;
}

static void test_linux_thermal_laptop_zones(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open("laptop", &ctx);
    assert_int_equal(p->nzones, 4);
    const hr_thermal_zone *acpi = must_zone(p, "thermal_zone0");
    assert_string_equal(acpi->type, "acpitz");
    assert_known(acpi->temp_mc, 52000);
    assert_int_equal(acpi->ntrips, 1);
    assert_string_equal(acpi->trips[0].type, "critical");
    assert_known(acpi->trips[0].temp_mc, 128000);
    const hr_thermal_zone *int3400 = must_zone(p, "thermal_zone1");
    assert_string_equal(int3400->type, "INT3400 Thermal");
    assert_int_equal(int3400->ntrips, 0);
    assert_known(must_zone(p, "thermal_zone2")->trips[0].temp_mc, 100000);
    const hr_thermal_zone *pkg = must_zone(p, "thermal_zone3");
    assert_string_equal(pkg->type, "x86_pkg_temp");
    assert_known(pkg->temp_mc, 67000);
    assert_int_equal(pkg->ntrips, 2);
    assert_string_equal(pkg->trips[1].type, "passive");
    assert_known(pkg->trips[1].temp_mc, 0); /* a disabled trip reads 0: a real value */
    assert_int_equal(lx_source(p, "thermal")->state, HR_SOURCE_ANSWERED);
    lx_close(p, ctx);
}

/* Without hwmon the core takes x86_pkg_temp before the ACPI zone. */
static void test_linux_thermal_cpu_temp_from_zone(void **state) {
    (void)state;
    const char *dir = lx_copy("laptop");
    lx_remove(dir, "sys/class/hwmon");
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(dir, &ctx);
    assert_int_equal(p->nsensors, 0);
    assert_known(p->cpu.temp_mc, 67000);
    assert_string_equal(p->cpu.temp_source, "thermal thermal_zone3 (x86_pkg_temp)");
    assert_unknown(p->cpu.temp_crit_mc, HR_WHY_ABSENT); /* only passive trips */
    lx_close(p, ctx);
    lx_rmtree(dir);
}

/* x86_pkg_temp gone too: the ACPI zone and its critical trip. */
static void test_linux_thermal_acpi_zone_last(void **state) {
    (void)state;
    const char *dir = lx_copy("laptop");
    lx_remove(dir, "sys/class/hwmon");
    lx_remove(dir, "sys/class/thermal/thermal_zone3");
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(dir, &ctx);
    assert_known(p->cpu.temp_mc, 52000);
    assert_known(p->cpu.temp_crit_mc, 128000);
    assert_string_equal(p->cpu.temp_source, "thermal thermal_zone0 (acpitz)");
    lx_close(p, ctx);
    lx_rmtree(dir);
}

static void test_linux_thermal_absent(void **state) {
    (void)state;
    const char *scen[] = {"sensorless-vm", "amd-workstation", "cgroup-v1"};
    for (int s = 0; s < 3; s++) {
        hr_ctx *ctx;
        hr_probe *p = lx_open(scen[s], &ctx);
        assert_int_equal(p->nzones, 0);
        assert_int_equal(lx_source(p, "thermal")->state, HR_SOURCE_ABSENT);
        lx_close(p, ctx);
    }
}

/* A type without temp, "N/A", an enormous trip, a dangling zone link, a
 * temperature below absolute zero. */
static void test_linux_thermal_hostile(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open("hostile", &ctx);
    assert_int_equal(p->nzones, 4); /* thermal_zone3 points nowhere */
    assert_null(lx_zone(p, "thermal_zone3"));
    const hr_thermal_zone *z0 = must_zone(p, "thermal_zone0");
    assert_string_equal(z0->type, "hostile-notemp");
    assert_unknown(z0->temp_mc, HR_WHY_ABSENT);
    assert_unknown(must_zone(p, "thermal_zone1")->temp_mc, HR_WHY_UNREADABLE);
    const hr_thermal_zone *z2 = must_zone(p, "thermal_zone2");
    assert_known(z2->temp_mc, 45000);
    assert_int_equal(z2->ntrips, 2);
    assert_unknown(z2->trips[0].temp_mc, HR_WHY_UNREADABLE);
    assert_unknown(z2->trips[1].temp_mc, HR_WHY_UNREADABLE);
    assert_unknown(must_zone(p, "thermal_zone4")->temp_mc, HR_WHY_UNREADABLE);
    assert_int_equal(lx_source(p, "thermal")->state, HR_SOURCE_PARTIAL);
    lx_close(p, ctx);
}

/* Zones that refuse to be read on real laptops: each errno keeps its reason
 * and its code, never a 0 temperature. */
static void check_zone_errno(int err, hr_why want) {
    hr_ctx *ctx;
    lx_fault_install("thermal_zone0/temp", err, LX_FAIL_READ);
    hr_probe *p = lx_open("laptop", &ctx);
    lx_fault_clear();
    const hr_thermal_zone *z = must_zone(p, "thermal_zone0");
    assert_unknown(z->temp_mc, want);
    assert_int_equal(z->temp_mc.err, err);
    assert_known(z->trips[0].temp_mc, 128000); /* trips are other files */
    assert_known(must_zone(p, "thermal_zone3")->temp_mc, 67000);
    assert_int_equal(lx_source(p, "thermal")->state, HR_SOURCE_PARTIAL);
    lx_close(p, ctx);
}

static void test_linux_thermal_zone_eagain(void **state) {
    (void)state;
    check_zone_errno(EAGAIN, HR_WHY_IO_ERROR);
}

static void test_linux_thermal_zone_enodata(void **state) {
    (void)state;
    check_zone_errno(ENODATA, HR_WHY_UNREADABLE);
}

static void test_linux_thermal_zone_einval(void **state) {
    (void)state;
    check_zone_errno(EINVAL, HR_WHY_NOT_SUPPORTED);
}

static void test_linux_thermal_refresh_and_vanish(void **state) {
    (void)state;
    const char *dir = lx_copy("laptop");
    hr_ctx *ctx;
    lx_fault_install("thermal_zone2/temp", ENODEV, LX_FAIL_LATER);
    hr_probe *p = lx_open_dir(dir, &ctx);
    lx_write(dir, "sys/devices/virtual/thermal/thermal_zone3/temp", "88000\n");
    lx_fault_arm();
    hr_probe_refresh(p);
    lx_fault_clear();
    assert_known(must_zone(p, "thermal_zone3")->temp_mc, 88000);
    assert_unknown(must_zone(p, "thermal_zone2")->temp_mc, HR_WHY_VANISHED);
    lx_close(p, ctx);
    lx_rmtree(dir);
}

static void test_linux_thermal_live(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(NULL, &ctx);
    size_t zones = 0;
    DIR *d = opendir("/sys/class/thermal");
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        zones += strncmp(e->d_name, "thermal_zone", 12) == 0;
    if (d)
        closedir(d);
    assert_true(p->nzones <= zones);
    if (zones == 0)
        assert_int_equal(lx_source(p, "thermal")->state, HR_SOURCE_ABSENT);
    for (size_t i = 0; i < p->nzones; i++) {
        if (HR_IS_KNOWN(p->zones[i].temp_mc))
            assert_in_range(p->zones[i].temp_mc.v, 0, 120000);
        else
            assert_int_not_equal(p->zones[i].temp_mc.why, HR_WHY_NOT_READ);
    }
    lx_close(p, ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linux_thermal_laptop_zones),
        cmocka_unit_test(test_linux_thermal_cpu_temp_from_zone),
        cmocka_unit_test(test_linux_thermal_acpi_zone_last),
        cmocka_unit_test(test_linux_thermal_absent),
        cmocka_unit_test(test_linux_thermal_hostile),
        cmocka_unit_test(test_linux_thermal_zone_eagain),
        cmocka_unit_test(test_linux_thermal_zone_enodata),
        cmocka_unit_test(test_linux_thermal_zone_einval),
        cmocka_unit_test(test_linux_thermal_refresh_and_vanish),
        cmocka_unit_test(test_linux_thermal_live),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
