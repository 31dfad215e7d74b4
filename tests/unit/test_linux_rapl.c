/* test_linux_rapl.c: powercap RAPL zones and power from energy deltas
 * (src/platform/linux/rapl.c): fixtures, two reads, wraparound, root-only
 * energy_uj (EACCES), vanishing counters, and live invariants. */
#include "test_linux_util.h"

#define PKG0 "sys/devices/virtual/powercap/intel-rapl/intel-rapl:0/energy_uj"
#define CORE0 "sys/devices/virtual/powercap/intel-rapl/intel-rapl:0/intel-rapl:0:0/energy_uj"
#define MMIO0 "sys/devices/virtual/powercap/intel-rapl-mmio/intel-rapl-mmio:0/energy_uj"
#define RANGE 262143328850LL

static const hr_rapl_domain *must_rapl(const hr_probe *p, const char *path) {
    const hr_rapl_domain *d = lx_rapl(p, path);
    if (!d)
        fail_msg("no RAPL zone %s", path);
    return d;
}

/* Expected power for DUJ microjoules between the probe's last two reads. */
static int64_t expect_mw(int64_t duj, int64_t t0, int64_t t1) {
    return duj * 1000000 / (t1 - t0);
}

static void write_u64(const char *dir, const char *rel, long long v) {
    char buf[32];
    snprintf(buf, sizeof buf, "%lld\n", v);
    lx_write(dir, rel, buf);
}

static void test_linux_rapl_laptop_zones(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open("laptop", &ctx);
    assert_int_equal(p->nrapl, 5);
    static const char *const order[] = {"intel-rapl:0", "intel-rapl:0:0", "intel-rapl:0:1",
                                        "intel-rapl:1", "intel-rapl-mmio:0"};
    static const char *const names[] = {"package-0", "core", "uncore", "psys", "package-0"};
    for (int i = 0; i < 5; i++) {
        assert_string_equal(p->rapl[i].path, order[i]);
        assert_string_equal(p->rapl[i].name, names[i]);
        assert_known(p->rapl[i].max_energy_range_uj, RANGE);
        assert_unknown(p->rapl[i].power_mw, HR_WHY_NEEDS_INTERVAL);
    }
    assert_known(must_rapl(p, "intel-rapl:0")->energy_uj, 27436213432LL);
    assert_known(must_rapl(p, "intel-rapl:1")->energy_uj, 45612345678LL);
    assert_unknown(p->cpu.power_mw, HR_WHY_NEEDS_INTERVAL);
    assert_int_equal(lx_source(p, "powercap")->state, HR_SOURCE_ANSWERED);
    lx_close(p, ctx);
}

/* Power is the energy delta over p->t_mono_ns's delta; the package power
 * counts intel-rapl:0 once even though intel-rapl-mmio:0 repeats it. */
static void test_linux_rapl_power_from_two_reads(void **state) {
    (void)state;
    const char *dir = lx_copy("laptop");
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(dir, &ctx);
    int64_t t0 = p->t_mono_ns;
    write_u64(dir, PKG0, 27436213432LL + 1500000); /* 1.5 J */
    write_u64(dir, CORE0, 11548700012LL + 600000);
    write_u64(dir, MMIO0, 27436213432LL + 1500000);
    lx_sleep_ms(20);
    hr_probe_refresh(p);
    int64_t t1 = p->t_mono_ns;
    assert_true(t1 > t0);
    assert_known(must_rapl(p, "intel-rapl:0")->power_mw, expect_mw(1500000, t0, t1));
    assert_known(must_rapl(p, "intel-rapl:0:0")->power_mw, expect_mw(600000, t0, t1));
    assert_known(must_rapl(p, "intel-rapl:1")->power_mw, 0); /* counter did not move */
    assert_known(p->cpu.power_mw, expect_mw(1500000, t0, t1));
    /* A second interval is measured from the second read. */
    write_u64(dir, PKG0, 27436213432LL + 1500000 + 300000);
    write_u64(dir, MMIO0, 27436213432LL + 1500000 + 300000);
    lx_sleep_ms(20);
    hr_probe_refresh(p);
    assert_known(p->cpu.power_mw, expect_mw(300000, t1, p->t_mono_ns));
    lx_close(p, ctx);
    lx_rmtree(dir);
}

/* The counter wraps at max_energy_range_uj: new + range - old. */
static void test_linux_rapl_wraparound(void **state) {
    (void)state;
    const char *dir = lx_copy("laptop");
    write_u64(dir, PKG0, RANGE - 400000);
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(dir, &ctx);
    int64_t t0 = p->t_mono_ns;
    write_u64(dir, PKG0, 100000);
    lx_sleep_ms(10);
    hr_probe_refresh(p);
    const hr_rapl_domain *d = must_rapl(p, "intel-rapl:0");
    assert_known(d->energy_uj, 100000);
    assert_known(d->power_mw, expect_mw(500000, t0, p->t_mono_ns));
    assert_true(d->power_mw.v > 0);
    lx_close(p, ctx);
    lx_rmtree(dir);
}

/* A counter that goes backwards without a known wrap point is not a power. */
static void test_linux_rapl_backwards_without_range(void **state) {
    (void)state;
    const char *dir = lx_copy("laptop");
    lx_remove(dir, "sys/devices/virtual/powercap/intel-rapl/intel-rapl:0/max_energy_range_uj");
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(dir, &ctx);
    assert_unknown(must_rapl(p, "intel-rapl:0")->max_energy_range_uj, HR_WHY_ABSENT);
    write_u64(dir, PKG0, 1000);
    hr_probe_refresh(p);
    assert_unknown(must_rapl(p, "intel-rapl:0")->power_mw, HR_WHY_NEEDS_INTERVAL);
    assert_unknown(p->cpu.power_mw, HR_WHY_NEEDS_INTERVAL);
    lx_close(p, ctx);
    lx_rmtree(dir);
}

/* energy_uj is 0400 since the CVE-2020-8694 fix. A fixture file cannot be
 * root-only for a root test runner, so the EACCES comes through hr__sys. */
static void test_linux_rapl_amd_energy_root_only(void **state) {
    (void)state;
    hr_ctx *ctx;
    lx_fault_install("/energy_uj", EACCES, LX_FAIL_OPEN);
    hr_probe *p = lx_open("amd-workstation", &ctx);
    assert_int_equal(p->nrapl, 2);
    for (size_t i = 0; i < p->nrapl; i++) {
        assert_unknown(p->rapl[i].energy_uj, HR_WHY_NO_PERMISSION);
        assert_int_equal(p->rapl[i].energy_uj.err, EACCES);
        assert_unknown(p->rapl[i].power_mw, HR_WHY_NO_PERMISSION);
        assert_known(p->rapl[i].max_energy_range_uj, 65532610987LL); /* world-readable */
    }
    assert_unknown(p->cpu.power_mw, HR_WHY_NO_PERMISSION);
    hr_probe_refresh(p);
    lx_fault_clear();
    assert_unknown(p->cpu.power_mw, HR_WHY_NO_PERMISSION); /* never 0 */
    const hr_source_report *r = lx_source(p, "powercap");
    assert_int_equal(r->state, HR_SOURCE_FAILED);
    assert_int_equal(r->why, HR_WHY_NO_PERMISSION);
    assert_non_null(strstr(r->detail, "root-only"));
    lx_close(p, ctx);
}

/* CentOS 7 server: package and dram; only the package is CPU power. */
static void test_linux_rapl_server_dram(void **state) {
    (void)state;
    const char *dir = lx_copy("cgroup-v1");
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(dir, &ctx);
    assert_int_equal(p->nrapl, 2);
    assert_string_equal(must_rapl(p, "intel-rapl:0:0")->name, "dram");
    assert_known(must_rapl(p, "intel-rapl:0:0")->max_energy_range_uj, 65712999613LL);
    int64_t t0 = p->t_mono_ns;
    write_u64(dir, "sys/devices/virtual/powercap/intel-rapl/intel-rapl:0/energy_uj",
              121212121212LL + 900000);
    write_u64(dir, "sys/devices/virtual/powercap/intel-rapl/intel-rapl:0/intel-rapl:0:0/energy_uj",
              23456789012LL + 8000000);
    lx_sleep_ms(10);
    hr_probe_refresh(p);
    assert_known(p->cpu.power_mw, expect_mw(900000, t0, p->t_mono_ns));
    lx_close(p, ctx);
    lx_rmtree(dir);
}

/* Two sockets: CPU power is the sum of both packages, known only when both are. */
static void test_linux_rapl_two_packages(void **state) {
    (void)state;
    const char *dir = lx_copy("cgroup-v1");
    const char *pkg1 = "sys/devices/virtual/powercap/intel-rapl/intel-rapl:1";
    char rel[256];
    snprintf(rel, sizeof rel, "%s/name", pkg1);
    lx_write(dir, rel, "package-1\n");
    snprintf(rel, sizeof rel, "%s/max_energy_range_uj", pkg1);
    write_u64(dir, rel, RANGE);
    snprintf(rel, sizeof rel, "%s/energy_uj", pkg1);
    write_u64(dir, rel, 5000000);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ln -s ../../devices/virtual/powercap/intel-rapl/intel-rapl:1 '%s/sys/class/powercap/intel-rapl:1'", dir);
    assert_int_equal(system(cmd), 0);
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(dir, &ctx);
    int64_t t0 = p->t_mono_ns;
    write_u64(dir, "sys/devices/virtual/powercap/intel-rapl/intel-rapl:0/energy_uj",
              121212121212LL + 700000);
    write_u64(dir, rel, 5000000 + 500000);
    lx_sleep_ms(10);
    hr_probe_refresh(p);
    int64_t t1 = p->t_mono_ns;
    assert_known(p->cpu.power_mw, expect_mw(700000, t0, t1) + expect_mw(500000, t0, t1));
    /* One package unreadable: the sum is unknown, not half of it. */
    lx_write(dir, rel, "N/A\n");
    hr_probe_refresh(p);
    assert_unknown(p->cpu.power_mw, HR_WHY_UNREADABLE);
    lx_close(p, ctx);
    lx_rmtree(dir);
}

static void test_linux_rapl_hostile(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open("hostile", &ctx);
    assert_int_equal(p->nrapl, 2);
    const hr_rapl_domain *pkg = must_rapl(p, "intel-rapl:0");
    assert_unknown(pkg->energy_uj, HR_WHY_UNREADABLE);        /* "N/A" */
    assert_unknown(pkg->max_energy_range_uj, HR_WHY_UNREADABLE); /* empty */
    assert_unknown(pkg->power_mw, HR_WHY_UNREADABLE);
    const hr_rapl_domain *core = must_rapl(p, "intel-rapl:0:0");
    assert_string_equal(core->name, "");                      /* no name file */
    assert_unknown(core->energy_uj, HR_WHY_UNREADABLE);       /* above int64 */
    assert_unknown(p->cpu.power_mw, HR_WHY_UNREADABLE);
    assert_int_equal(lx_source(p, "powercap")->state, HR_SOURCE_FAILED);
    lx_close(p, ctx);
}

static void test_linux_rapl_absent(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open("sensorless-vm", &ctx);
    assert_int_equal(p->nrapl, 0);
    assert_unknown(p->cpu.power_mw, HR_WHY_ABSENT);
    assert_int_equal(lx_source(p, "powercap")->state, HR_SOURCE_ABSENT);
    lx_close(p, ctx);
}

/* The counter breaks after discovery, then comes back: unknown meanwhile,
 * then a fresh interval (no power across the gap). */
static void test_linux_rapl_counter_vanishes(void **state) {
    (void)state;
    hr_ctx *ctx;
    lx_fault_install("intel-rapl:0/energy_uj", ENODEV, LX_FAIL_LATER);
    hr_probe *p = lx_open("cgroup-v1", &ctx);
    lx_fault_arm();
    hr_probe_refresh(p);
    assert_unknown(must_rapl(p, "intel-rapl:0")->power_mw, HR_WHY_VANISHED);
    assert_unknown(p->cpu.power_mw, HR_WHY_VANISHED);
    lx_fault.armed = 0;
    hr_probe_refresh(p);
    assert_unknown(must_rapl(p, "intel-rapl:0")->power_mw, HR_WHY_NEEDS_INTERVAL);
    hr_probe_refresh(p);
    lx_fault_clear();
    assert_known(must_rapl(p, "intel-rapl:0")->power_mw, 0);
    lx_close(p, ctx);
}

static void test_linux_rapl_live(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(NULL, &ctx);
    lx_sleep_ms(50);
    hr_probe_refresh(p);
    if (!lx_host_has("sys/class/powercap")) {
        assert_int_equal(p->nrapl, 0);
        assert_unknown(p->cpu.power_mw, HR_WHY_ABSENT);
    }
    if (HR_IS_KNOWN(p->cpu.power_mw))
        assert_in_range(p->cpu.power_mw.v, 0, 2000000); /* under 2 kW */
    else
        assert_int_not_equal(p->cpu.power_mw.why, HR_WHY_NOT_READ);
    lx_close(p, ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linux_rapl_laptop_zones),
        cmocka_unit_test(test_linux_rapl_power_from_two_reads),
        cmocka_unit_test(test_linux_rapl_wraparound),
        cmocka_unit_test(test_linux_rapl_backwards_without_range),
        cmocka_unit_test(test_linux_rapl_amd_energy_root_only),
        cmocka_unit_test(test_linux_rapl_server_dram),
        cmocka_unit_test(test_linux_rapl_two_packages),
        cmocka_unit_test(test_linux_rapl_hostile),
        cmocka_unit_test(test_linux_rapl_absent),
        cmocka_unit_test(test_linux_rapl_counter_vanishes),
        cmocka_unit_test(test_linux_rapl_live),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
