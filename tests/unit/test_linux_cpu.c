/* test_linux_cpu.c: proc/stat utilisation, cpufreq and thermal_throttle
 * (src/platform/linux/cpu.c) on fixtures, across refreshes, under injected
 * failures, the proc/stat line parser, and the live host. */
#include "test_linux_util.h"

#include "platform/linux/lx_parse.h"

/* ---- writing proc/stat ---------------------------------------------------- */

#define NCPU 8

/* Counters of the aggregate line and the 8 laptop CPUs, in proc/stat order:
 * user nice system idle iowait irq softirq steal guest guest_nice. */
typedef struct stat_read {
    uint64_t all[10];
    uint64_t cpu[NCPU][10];
    int skip; /* a CPU number whose line is left out, or -1 */
} stat_read;

static void put_line(char *buf, size_t cap, const char *name, const uint64_t *f) {
    size_t len = strlen(buf);
    snprintf(buf + len, cap - len, "%s %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu\n", name,
             (unsigned long long)f[0], (unsigned long long)f[1], (unsigned long long)f[2],
             (unsigned long long)f[3], (unsigned long long)f[4], (unsigned long long)f[5],
             (unsigned long long)f[6], (unsigned long long)f[7], (unsigned long long)f[8],
             (unsigned long long)f[9]);
}

static void write_stat(const char *dir, const stat_read *r) {
    char buf[4096] = "";
    put_line(buf, sizeof buf, "cpu ", r->all);
    for (int c = 0; c < NCPU; c++) {
        char name[16];
        snprintf(name, sizeof name, "cpu%d", c);
        if (c != r->skip)
            put_line(buf, sizeof buf, name, r->cpu[c]);
    }
    strncat(buf, "intr 12345 0 0\nctxt 999\nbtime 1700000000\n", sizeof buf - strlen(buf) - 1);
    lx_write(dir, "proc/stat", buf);
}

/* A first read: every CPU 1000 user, 1000 system, 8000 idle. */
static stat_read base_read(void) {
    stat_read r;
    memset(&r, 0, sizeof r);
    r.skip = -1;
    for (int c = 0; c < NCPU; c++) {
        r.cpu[c][0] = 1000;
        r.cpu[c][2] = 1000;
        r.cpu[c][3] = 8000;
    }
    r.all[0] = 8000;
    r.all[2] = 8000;
    r.all[3] = 64000;
    return r;
}

/* ---- fixtures --------------------------------------------------------------- */

static void test_linux_cpu_laptop_first_read(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open("laptop", &ctx);
    static const int64_t mhz[NCPU] = {1300, 2803, 4700, 800, 1200, 3100, 999, 2400};
    static const int64_t thr[NCPU] = {12, 3, 0, 7, 12, 3, 0, 7};
    assert_int_equal(p->ncores, NCPU);
    for (int c = 0; c < NCPU; c++) {
        assert_int_equal(p->cores[c].cpu, c);
        assert_unknown(p->cores[c].util_ppm, HR_WHY_NEEDS_INTERVAL);
        assert_unknown(p->cores[c].iowait_ppm, HR_WHY_NEEDS_INTERVAL);
        assert_known(p->cores[c].clock_mhz, mhz[c]);
        assert_known(p->cores[c].clock_max_mhz, 4700);
        assert_known(p->cores[c].throttle_count, thr[c]);
    }
    assert_unknown(p->cpu.util_ppm, HR_WHY_NEEDS_INTERVAL);
    assert_unknown(p->cpu.iowait_ppm, HR_WHY_NEEDS_INTERVAL);
    /* One package: its count once, not once per CPU. */
    assert_known(p->cpu.package_throttle_count, 41);
    assert_int_equal(lx_source(p, "proc/stat")->state, HR_SOURCE_ANSWERED);
    assert_int_equal(lx_source(p, "cpufreq")->state, HR_SOURCE_ANSWERED);
    assert_int_equal(lx_source(p, "thermal_throttle")->state, HR_SOURCE_ANSWERED);
    lx_close(p, ctx);
}

/* AMD: acpi-cpufreq boosts above cpuinfo_max_freq; no thermal_throttle. */
static void test_linux_cpu_amd_workstation(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open("amd-workstation", &ctx);
    assert_int_equal(p->ncores, 16);
    assert_known(p->cores[0].clock_mhz, 3593);
    assert_known(p->cores[5].clock_mhz, 4650);
    assert_known(p->cores[5].clock_max_mhz, 3800);
    assert_known(p->cores[15].clock_mhz, 2200);
    for (size_t c = 0; c < p->ncores; c++)
        assert_unknown(p->cores[c].throttle_count, HR_WHY_ABSENT);
    assert_unknown(p->cpu.package_throttle_count, HR_WHY_ABSENT);
    assert_int_equal(lx_source(p, "thermal_throttle")->state, HR_SOURCE_ABSENT);
    lx_close(p, ctx);
}

/* Cloud VM in a container, and this kind of VM: no cpufreq at all. */
static void test_linux_cpu_no_cpufreq(void **state) {
    (void)state;
    const char *scen[] = {"container-cgroupv2", "sensorless-vm"};
    const size_t ncpu[] = {8, 2};
    for (int s = 0; s < 2; s++) {
        hr_ctx *ctx;
        hr_probe *p = lx_open(scen[s], &ctx);
        assert_int_equal(p->ncores, ncpu[s]);
        for (size_t c = 0; c < p->ncores; c++) {
            assert_unknown(p->cores[c].clock_mhz, HR_WHY_ABSENT);
            assert_unknown(p->cores[c].clock_max_mhz, HR_WHY_ABSENT);
        }
        const hr_source_report *r = lx_source(p, "cpufreq");
        assert_int_equal(r->state, HR_SOURCE_ABSENT);
        assert_int_equal(r->why, HR_WHY_ABSENT);
        lx_close(p, ctx);
    }
}

/* "N/A", 23-digit, 3-field and unterminated lines; "<unknown>", empty,
 * negative and enormous cpufreq values. */
static void test_linux_cpu_hostile(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open("hostile", &ctx);
    assert_int_equal(p->ncores, 4); /* the CPU list is broken: proc/stat's lines */
    assert_unknown(p->cores[0].util_ppm, HR_WHY_UNREADABLE);
    assert_unknown(p->cores[1].util_ppm, HR_WHY_UNREADABLE);
    assert_unknown(p->cores[2].util_ppm, HR_WHY_UNREADABLE);
    assert_unknown(p->cores[3].util_ppm, HR_WHY_NEEDS_INTERVAL); /* fine, no newline */
    for (int c = 0; c < 4; c++) {
        assert_unknown(p->cores[c].clock_mhz, HR_WHY_UNREADABLE);
        assert_unknown(p->cores[c].clock_max_mhz, HR_WHY_ABSENT);
    }
    assert_unknown(p->cores[0].throttle_count, HR_WHY_UNREADABLE);
    assert_unknown(p->cores[1].throttle_count, HR_WHY_UNREADABLE); /* negative */
    assert_unknown(p->cores[2].throttle_count, HR_WHY_UNREADABLE); /* empty */
    assert_known(p->cores[3].throttle_count, 7);
    assert_unknown(p->cpu.package_throttle_count, HR_WHY_UNREADABLE); /* > uint64 */
    assert_int_equal(lx_source(p, "cpufreq")->state, HR_SOURCE_FAILED);
    assert_int_equal(lx_source(p, "proc/stat")->state, HR_SOURCE_PARTIAL);
    lx_close(p, ctx);
}

/* ---- rates ------------------------------------------------------------------ */

static void test_linux_cpu_util_from_two_reads(void **state) {
    (void)state;
    const char *dir = lx_copy("laptop");
    stat_read r = base_read();
    write_stat(dir, &r);
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(dir, &ctx);
    assert_unknown(p->cores[0].util_ppm, HR_WHY_NEEDS_INTERVAL);
    /* cpu0: 300 user + 100 system busy, 500 idle, 100 iowait of 1000 ticks. */
    r.cpu[0][0] += 300, r.cpu[0][2] += 100, r.cpu[0][3] += 500, r.cpu[0][4] += 100;
    /* cpu2: 600 user of which 600 guest (already in user), 400 idle. */
    r.cpu[2][0] += 600, r.cpu[2][8] += 600, r.cpu[2][3] += 400;
    /* aggregate: 10000 ticks: 1750 busy (irq, softirq, nice count), 250 iowait. */
    r.all[0] += 1000, r.all[1] += 10, r.all[2] += 490, r.all[3] += 8000, r.all[4] += 250;
    r.all[5] += 100, r.all[6] += 150, r.all[8] += 200;
    write_stat(dir, &r);
    assert_int_equal(hr_probe_refresh(p), HR_OK);
    assert_known(p->cores[0].util_ppm, 400000);
    assert_known(p->cores[0].iowait_ppm, 100000);
    assert_known(p->cores[2].util_ppm, 600000);
    assert_known(p->cores[2].iowait_ppm, 0);
    assert_known(p->cpu.util_ppm, 175000);
    assert_known(p->cpu.iowait_ppm, 25000);
    /* cpu1 did not tick at all: no interval to speak of. */
    assert_unknown(p->cores[1].util_ppm, HR_WHY_NEEDS_INTERVAL);
    lx_close(p, ctx);
    lx_rmtree(dir);
}

/* A counter that went backwards (iowait does on NO_HZ kernels; hotplug resets
 * all) gives "needs interval" for that CPU, never a negative or huge share;
 * the next interval is measured from the new values. */
static void test_linux_cpu_counter_backwards(void **state) {
    (void)state;
    const char *dir = lx_copy("laptop");
    stat_read r = base_read();
    r.cpu[1][4] = 500;
    write_stat(dir, &r);
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(dir, &ctx);
    r.cpu[1][4] = 400; /* iowait -100 */
    r.cpu[1][3] += 1000;
    r.cpu[3][3] -= 10; /* idle -10, busy +100 */
    r.cpu[3][0] += 100;
    r.cpu[4][0] += 250, r.cpu[4][3] += 750;
    write_stat(dir, &r);
    hr_probe_refresh(p);
    assert_unknown(p->cores[1].util_ppm, HR_WHY_NEEDS_INTERVAL);
    assert_unknown(p->cores[1].iowait_ppm, HR_WHY_NEEDS_INTERVAL);
    assert_unknown(p->cores[3].util_ppm, HR_WHY_NEEDS_INTERVAL);
    assert_known(p->cores[4].util_ppm, 250000);
    r.cpu[1][0] += 100, r.cpu[1][3] += 900;
    write_stat(dir, &r);
    hr_probe_refresh(p);
    assert_known(p->cores[1].util_ppm, 100000);
    assert_known(p->cores[1].iowait_ppm, 0);
    lx_close(p, ctx);
    lx_rmtree(dir);
}

static void test_linux_cpu_zero_delta_needs_interval(void **state) {
    (void)state;
    const char *dir = lx_copy("laptop");
    stat_read r = base_read();
    write_stat(dir, &r);
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(dir, &ctx);
    hr_probe_refresh(p); /* same content */
    for (int c = 0; c < NCPU; c++)
        assert_unknown(p->cores[c].util_ppm, HR_WHY_NEEDS_INTERVAL);
    assert_unknown(p->cpu.util_ppm, HR_WHY_NEEDS_INTERVAL);
    lx_close(p, ctx);
    lx_rmtree(dir);
}

/* CPU 3 goes offline after discovery: its line leaves proc/stat. */
static void test_linux_cpu_offline_cpu_vanishes(void **state) {
    (void)state;
    const char *dir = lx_copy("laptop");
    stat_read r = base_read();
    write_stat(dir, &r);
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(dir, &ctx);
    r.skip = 3;
    for (int c = 0; c < NCPU; c++)
        r.cpu[c][0] += 100, r.cpu[c][3] += 900;
    write_stat(dir, &r);
    hr_probe_refresh(p);
    assert_unknown(p->cores[3].util_ppm, HR_WHY_VANISHED);
    assert_unknown(p->cores[3].iowait_ppm, HR_WHY_VANISHED);
    assert_known(p->cores[2].util_ppm, 100000);
    assert_int_equal(lx_source(p, "proc/stat")->state, HR_SOURCE_PARTIAL);
    assert_int_equal(lx_source(p, "proc/stat")->why, HR_WHY_VANISHED);
    /* Back online: counters restart from here. */
    r.skip = -1;
    write_stat(dir, &r);
    hr_probe_refresh(p);
    assert_unknown(p->cores[3].util_ppm, HR_WHY_NEEDS_INTERVAL);
    lx_close(p, ctx);
    lx_rmtree(dir);
}

/* A 2.4-era line with four counters gives utilisation but no iowait. */
static void test_linux_cpu_four_counter_lines(void **state) {
    (void)state;
    const char *dir = lx_copy("sensorless-vm");
    lx_write(dir, "proc/stat", "cpu  10 0 10 80\ncpu0 5 0 5 40\ncpu1 5 0 5 40\n");
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(dir, &ctx);
    lx_write(dir, "proc/stat", "cpu  40 0 10 150\ncpu0 35 0 5 60\ncpu1 5 0 5 90\n");
    hr_probe_refresh(p);
    assert_known(p->cores[0].util_ppm, 600000);
    assert_unknown(p->cores[0].iowait_ppm, HR_WHY_NOT_SUPPORTED);
    assert_known(p->cores[1].util_ppm, 0);
    assert_known(p->cpu.util_ppm, 300000);
    lx_close(p, ctx);
    lx_rmtree(dir);
}

/* Without sys/devices/system/cpu/online the CPUs are proc/stat's lines. */
static void test_linux_cpu_discovery_without_online_list(void **state) {
    (void)state;
    const char *dir = lx_copy("laptop");
    lx_remove(dir, "sys/devices/system/cpu/online");
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(dir, &ctx);
    assert_int_equal(p->ncores, NCPU);
    assert_int_equal(p->cores[7].cpu, 7);
    assert_known(p->cores[7].clock_mhz, 2400);
    lx_close(p, ctx);
    lx_rmtree(dir);
}

/* Two packages: package_throttle_count is summed, each package once. */
static void test_linux_cpu_package_throttle_summed(void **state) {
    (void)state;
    const char *dir = lx_copy("laptop");
    for (int c = 4; c < NCPU; c++) {
        char rel[160];
        snprintf(rel, sizeof rel, "sys/devices/system/cpu/cpu%d/topology/physical_package_id", c);
        lx_write(dir, rel, "1\n");
        snprintf(rel, sizeof rel,
                 "sys/devices/system/cpu/cpu%d/thermal_throttle/package_throttle_count", c);
        lx_write(dir, rel, "9\n");
    }
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(dir, &ctx);
    assert_known(p->cpu.package_throttle_count, 50);
    /* The counter moves: the kept fds see it. */
    lx_write(dir, "sys/devices/system/cpu/cpu4/thermal_throttle/package_throttle_count", "19\n");
    lx_write(dir, "sys/devices/system/cpu/cpu2/cpufreq/scaling_cur_freq", "1000000\n");
    hr_probe_refresh(p);
    assert_known(p->cpu.package_throttle_count, 60);
    assert_known(p->cores[2].clock_mhz, 1000);
    lx_close(p, ctx);
    lx_rmtree(dir);
}

/* ---- injected failures -------------------------------------------------------- */

/* cpufreq of CPU 2 disappears after discovery (CPU hot-unplugged). */
static void test_linux_cpu_cpufreq_vanishes(void **state) {
    (void)state;
    hr_ctx *ctx;
    lx_fault_install("cpu2/cpufreq/scaling_cur_freq", ENODEV, LX_FAIL_LATER);
    hr_probe *p = lx_open("laptop", &ctx);
    assert_known(p->cores[2].clock_mhz, 4700);
    lx_fault_arm();
    hr_probe_refresh(p);
    lx_fault_clear();
    assert_unknown(p->cores[2].clock_mhz, HR_WHY_VANISHED);
    assert_int_equal(p->cores[2].clock_mhz.err, ENODEV);
    assert_known(p->cores[3].clock_mhz, 800);
    assert_int_equal(lx_source(p, "cpufreq")->state, HR_SOURCE_PARTIAL);
    lx_close(p, ctx);
}

static void test_linux_cpu_stat_read_error(void **state) {
    (void)state;
    hr_ctx *ctx;
    lx_fault_install("proc/stat", EIO, LX_FAIL_LATER);
    hr_probe *p = lx_open("laptop", &ctx);
    lx_fault_arm();
    hr_probe_refresh(p);
    lx_fault_clear();
    assert_unknown(p->cpu.util_ppm, HR_WHY_IO_ERROR);
    assert_int_equal(p->cpu.util_ppm.err, EIO);
    for (int c = 0; c < NCPU; c++)
        assert_unknown(p->cores[c].util_ppm, HR_WHY_IO_ERROR);
    const hr_source_report *r = lx_source(p, "proc/stat");
    assert_int_equal(r->state, HR_SOURCE_FAILED);
    assert_int_equal(r->why, HR_WHY_IO_ERROR);
    lx_close(p, ctx);
}

static void test_linux_cpu_throttle_no_permission(void **state) {
    (void)state;
    hr_ctx *ctx;
    lx_fault_install("thermal_throttle/", EACCES, LX_FAIL_OPEN);
    hr_probe *p = lx_open("laptop", &ctx);
    lx_fault_clear();
    for (int c = 0; c < NCPU; c++)
        assert_unknown(p->cores[c].throttle_count, HR_WHY_NO_PERMISSION);
    assert_unknown(p->cpu.package_throttle_count, HR_WHY_NO_PERMISSION);
    const hr_source_report *r = lx_source(p, "thermal_throttle");
    assert_int_equal(r->state, HR_SOURCE_FAILED);
    assert_int_equal(r->why, HR_WHY_NO_PERMISSION);
    assert_known(p->cores[0].clock_mhz, 1300); /* cpufreq unaffected */
    lx_close(p, ctx);
}

/* ---- parser -------------------------------------------------------------------- */

static void test_linux_cpu_stat_line_parser(void **state) {
    (void)state;
    hr__lx_cpu_times t;
    const char *agg = "cpu  8788 0 5285 171381 532 0 71 10 0 0";
    assert_int_equal(hr__lx_parse_stat_line(agg, strlen(agg), &t), HR_OK);
    assert_int_equal(t.cpu, -1);
    assert_int_equal(t.nfields, 10);
    assert_int_equal(t.total, 8788 + 5285 + 171381 + 532 + 71 + 10);
    assert_int_equal(t.idle, 171381);
    assert_int_equal(t.iowait, 532);
    const char *guest = "cpu17 100 5 10 1000 3 1 1 0 60 5\n";
    assert_int_equal(hr__lx_parse_stat_line(guest, strlen(guest), &t), HR_OK);
    assert_int_equal(t.cpu, 17);
    assert_int_equal(t.total, 100 + 5 + 10 + 1000 + 3 + 1 + 1);
    const char *old = "cpu0 1 2 3 4";
    assert_int_equal(hr__lx_parse_stat_line(old, strlen(old), &t), HR_OK);
    assert_int_equal(t.nfields, 4);
    assert_int_equal(t.iowait, 0);
    const char *other[] = {"intr 1 2 3", "ctxt 5", "cpufoo 1 2 3 4", "", "cp", "cpu"};
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        assert_int_equal(hr__lx_parse_stat_line(other[i], strlen(other[i]), &t), HR_ENOENT);
    const char *bad[] = {"cpu0 N/A 0 0 0", "cpu0 1 2 3", "cpu1 -1 0 0 0", "cpu2 1 2 3 4 5 6 7 8 9 10 11",
                         "cpu3 99999999999999999999999 0 0 0",
                         "cpu4 18446744073709551615 18446744073709551615 0 0", "cpu5 1 2 3 4x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (hr__lx_parse_stat_line(bad[i], strlen(bad[i]), &t) != HR_EPARSE)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_true(t.cpu >= 0); /* the line's owner is known even when it is bad */
    }
}

/* ---- live host ------------------------------------------------------------------ */

static void test_linux_cpu_live(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(NULL, &ctx);
    assert_int_equal(p->ncores, (size_t)sysconf(_SC_NPROCESSORS_ONLN));
    lx_sleep_ms(120);
    assert_int_equal(hr_probe_refresh(p), HR_OK);
    assert_true(HR_IS_KNOWN(p->cpu.util_ppm));
    assert_in_range(p->cpu.util_ppm.v, 0, 1000000);
    assert_in_range(p->cpu.util_ppm.v + p->cpu.iowait_ppm.v, 0, 1000000);
    for (size_t c = 0; c < p->ncores; c++) {
        const hr_cpu_core *k = &p->cores[c];
        if (HR_IS_KNOWN(k->util_ppm))
            assert_in_range(k->util_ppm.v, 0, 1000000);
        else
            assert_int_equal(k->util_ppm.why, HR_WHY_NEEDS_INTERVAL);
        if (HR_IS_KNOWN(k->clock_mhz))
            assert_in_range(k->clock_mhz.v, 1, 10000);
        else
            assert_int_not_equal(k->clock_mhz.why, HR_WHY_NOT_READ);
    }
    lx_close(p, ctx);
}

/* At 100 Hz a core gains about one jiffy between reads. Each reading spans
 * at least 10 jiffies (the older reference while the latest is closer), so
 * a core busy every other jiffy reads 50 %, not 0 % and 100 % in turn, and
 * a read with no new tick still has a value. */
static void test_linux_cpu_high_rate_spans_ten_jiffies(void **state) {
    (void)state;
    const char *dir = lx_copy("laptop");
    stat_read r = base_read();
    write_stat(dir, &r);
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(dir, &ctx);
    int known = 0;
    for (int i = 0; i < 60; i++) {
        if (i % 2)
            r.cpu[0][0] += 1;
        else
            r.cpu[0][3] += 1;
        if (i % 7 == 3) { /* a read with no tick since the previous one */
            write_stat(dir, &r);
            assert_int_equal(hr_probe_refresh(p), HR_OK);
        }
        write_stat(dir, &r);
        assert_int_equal(hr_probe_refresh(p), HR_OK);
        if (i >= 20) {
            assert_int_equal(p->cores[0].util_ppm.why, HR_WHY_KNOWN);
            /* 10 to 20 jiffies of alternating work: between 40 % and 60 %. */
            assert_in_range(p->cores[0].util_ppm.v, 400000, 600000);
            known++;
        }
    }
    assert_int_equal(known, 40);
    lx_close(p, ctx);
    lx_rmtree(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linux_cpu_laptop_first_read),
        cmocka_unit_test(test_linux_cpu_amd_workstation),
        cmocka_unit_test(test_linux_cpu_no_cpufreq),
        cmocka_unit_test(test_linux_cpu_hostile),
        cmocka_unit_test(test_linux_cpu_util_from_two_reads),
        cmocka_unit_test(test_linux_cpu_counter_backwards),
        cmocka_unit_test(test_linux_cpu_zero_delta_needs_interval),
        cmocka_unit_test(test_linux_cpu_high_rate_spans_ten_jiffies),
        cmocka_unit_test(test_linux_cpu_offline_cpu_vanishes),
        cmocka_unit_test(test_linux_cpu_four_counter_lines),
        cmocka_unit_test(test_linux_cpu_discovery_without_online_list),
        cmocka_unit_test(test_linux_cpu_package_throttle_summed),
        cmocka_unit_test(test_linux_cpu_cpufreq_vanishes),
        cmocka_unit_test(test_linux_cpu_stat_read_error),
        cmocka_unit_test(test_linux_cpu_throttle_no_permission),
        cmocka_unit_test(test_linux_cpu_stat_line_parser),
        cmocka_unit_test(test_linux_cpu_live),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
