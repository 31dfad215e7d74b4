/* test_linux_mem.c: proc/meminfo, cgroup v1/v2 limits and PSI
 * (src/platform/linux/mem.c), and the budget the core derives from them, on
 * every scenario, across refreshes, under injected failures, and live. */
#include "test_linux_util.h"

#include "platform/linux/lx_parse.h"

#define KIB 1024LL
#define GIB (1024LL * 1024 * 1024)

static void assert_not_applicable_on_linux(const hr_mem_info *m) {
    assert_unknown(m->vm_pressure_level, HR_WHY_NOT_APPLICABLE);
    assert_unknown(m->memorystatus_level, HR_WHY_NOT_APPLICABLE);
    assert_unknown(m->thermal_pressure, HR_WHY_NOT_APPLICABLE);
}

/* Laptop: no limit anywhere on a six-level systemd path; the budget is
 * MemAvailable. */
static void test_linux_mem_laptop(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open("laptop", &ctx);
    const hr_mem_info *m = &p->mem;
    assert_known(m->total_bytes, 16089244 * KIB);
    assert_known(m->available_bytes, 9876544 * KIB);
    assert_known(m->swap_total_bytes, 8388604 * KIB);
    assert_known(m->swap_free_bytes, 8123456 * KIB);
    assert_int_equal(m->cgroup_version, 2);
    assert_unknown(m->cgroup_limit_bytes, HR_WHY_UNLIMITED);
    assert_known(m->cgroup_usage_bytes, 734003200); /* the process's own cgroup */
    assert_known(m->budget_bytes, 9876544 * KIB);
    assert_known(m->psi_memory.some_avg10_ppm, 12500); /* "1.25" % */
    assert_known(m->psi_memory.some_avg60_ppm, 4800);
    assert_known(m->psi_memory.full_avg10_ppm, 3100);
    assert_known(m->psi_memory.some_total_us, 8123456);
    assert_known(m->psi_cpu.some_avg10_ppm, 35000);
    assert_known(m->psi_cpu.full_avg10_ppm, 0);
    assert_known(m->psi_io.some_avg60_ppm, 1500);
    assert_known(m->pressure_level, HR_PRESSURE_NORMAL);
    assert_not_applicable_on_linux(m);
    assert_int_equal(lx_source(p, "meminfo")->state, HR_SOURCE_ANSWERED);
    assert_int_equal(lx_source(p, "cgroup")->state, HR_SOURCE_ANSWERED);
    assert_int_equal(lx_source(p, "psi")->state, HR_SOURCE_ANSWERED);
    lx_close(p, ctx);
}

/* The session scope has no limit but its parent user-1000.slice has 48 GiB:
 * the walk up finds it, and the budget is what is left under it. */
static void test_linux_mem_amd_workstation_ancestor_limit(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open("amd-workstation", &ctx);
    const hr_mem_info *m = &p->mem;
    assert_int_equal(m->cgroup_version, 2);
    assert_known(m->cgroup_limit_bytes, 48 * GIB);
    assert_known(m->cgroup_usage_bytes, 10 * GIB);
    assert_known(m->available_bytes, 60817408 * KIB);
    assert_known(m->budget_bytes, 38 * GIB);
    assert_known(m->psi_cpu.some_avg10_ppm, 127500);
    lx_close(p, ctx);
}

/* Docker on a 64 GB host: MemAvailable is the host's; the 8 GiB memory.max
 * of the container's own cgroup (namespace root) sets the budget. */
static void test_linux_mem_container_budget_from_cgroup(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open("container-cgroupv2", &ctx);
    const hr_mem_info *m = &p->mem;
    assert_known(m->total_bytes, 65049812 * KIB);
    assert_known(m->available_bytes, 58912344 * KIB);
    assert_known(m->swap_total_bytes, 0); /* no swap is a real 0 */
    assert_int_equal(m->cgroup_version, 2);
    assert_known(m->cgroup_limit_bytes, 8 * GIB);
    assert_known(m->cgroup_usage_bytes, 2 * GIB);
    assert_known(m->budget_bytes, 6 * GIB);
    assert_int_equal(p->accel.kind, HR_ACCEL_CPU);
    assert_known(p->accel.budget_bytes, 6 * GIB);
    assert_known(p->accel.ceiling_bytes, 8 * GIB);
    assert_known(m->pressure_level, HR_PRESSURE_NORMAL); /* cpu stalls are not memory stalls */
    lx_close(p, ctx);
}

static void test_linux_mem_sensorless_vm(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open("sensorless-vm", &ctx);
    const hr_mem_info *m = &p->mem;
    assert_known(m->total_bytes, 24684084 * KIB);
    assert_known(m->available_bytes, 24303124 * KIB);
    assert_int_equal(m->cgroup_version, 2);
    assert_unknown(m->cgroup_limit_bytes, HR_WHY_UNLIMITED);
    assert_known(m->cgroup_usage_bytes, 398458880);
    assert_known(m->budget_bytes, 24303124 * KIB);
    assert_known(m->psi_cpu.some_avg10_ppm, 12000);
    assert_known(m->psi_io.full_avg10_ppm, 2900);
    lx_close(p, ctx);
}

/* CentOS 7: v1 memory controller with the limit on the service; the root's
 * 9223372036854771712 means unlimited; no PSI on 3.10. */
static void test_linux_mem_cgroup_v1(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open("cgroup-v1", &ctx);
    const hr_mem_info *m = &p->mem;
    assert_int_equal(m->cgroup_version, 1);
    assert_known(m->cgroup_limit_bytes, 24 * GIB);
    assert_known(m->cgroup_usage_bytes, 4 * GIB);
    assert_known(m->budget_bytes, 20 * GIB);
    assert_unknown(m->psi_memory.some_avg10_ppm, HR_WHY_ABSENT);
    assert_unknown(m->psi_cpu.full_avg10_ppm, HR_WHY_ABSENT);
    assert_unknown(m->psi_io.some_total_us, HR_WHY_ABSENT);
    assert_unknown(m->pressure_level, HR_WHY_ABSENT);
    assert_int_equal(lx_source(p, "psi")->state, HR_SOURCE_ABSENT);
    lx_close(p, ctx);
}

static void test_linux_mem_hostile(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open("hostile", &ctx);
    const hr_mem_info *m = &p->mem;
    assert_unknown(m->total_bytes, HR_WHY_UNREADABLE);          /* > int64 */
    assert_unknown(m->available_bytes, HR_WHY_NOT_SUPPORTED);   /* absent: not guessed */
    assert_unknown(m->swap_total_bytes, HR_WHY_UNREADABLE);     /* "N/A kB" */
    assert_unknown(m->swap_free_bytes, HR_WHY_UNREADABLE);      /* negative */
    assert_unknown(m->budget_bytes, HR_WHY_NOT_SUPPORTED);
    assert_int_equal(m->cgroup_version, 2);
    assert_unknown(m->cgroup_limit_bytes, HR_WHY_UNREADABLE);   /* "N/A" */
    assert_unknown(m->cgroup_usage_bytes, HR_WHY_UNREADABLE);   /* empty */
    assert_unknown(m->psi_memory.some_avg10_ppm, HR_WHY_UNREADABLE);
    assert_known(m->psi_memory.some_avg60_ppm, 0);
    assert_known(m->psi_memory.some_total_us, 12);
    assert_unknown(m->psi_cpu.some_avg10_ppm, HR_WHY_UNREADABLE); /* empty file */
    assert_unknown(m->psi_io.some_avg10_ppm, HR_WHY_ABSENT);
    assert_unknown(m->pressure_level, HR_WHY_UNREADABLE);
    assert_int_equal(lx_source(p, "meminfo")->state, HR_SOURCE_FAILED);
    assert_int_equal(lx_source(p, "cgroup")->state, HR_SOURCE_FAILED);
    assert_int_equal(lx_source(p, "psi")->state, HR_SOURCE_PARTIAL);
    lx_close(p, ctx);
}

/* A v1 container without a cgroup namespace: proc/self/cgroup names the
 * host's path, which is not under the container's mount; the mount's root
 * is the container's own cgroup. */
static void test_linux_mem_v1_container_path_not_mounted(void **state) {
    (void)state;
    const char *dir = lx_copy("cgroup-v1");
    lx_write(dir, "proc/31337/cgroup", "4:memory:/docker/3f4e5d6c7b8a\n1:name=systemd:/docker/x\n");
    lx_write(dir, "sys/fs/cgroup/memory/memory.limit_in_bytes", "2147483648\n");
    lx_write(dir, "sys/fs/cgroup/memory/memory.usage_in_bytes", "1073741824\n");
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(dir, &ctx);
    assert_int_equal(p->mem.cgroup_version, 1);
    assert_known(p->mem.cgroup_limit_bytes, 2 * GIB);
    assert_known(p->mem.cgroup_usage_bytes, 1 * GIB);
    assert_known(p->mem.budget_bytes, 1 * GIB);
    lx_close(p, ctx);
    lx_rmtree(dir);
}

/* A process in the v2 root cgroup: the root never has a limit. */
static void test_linux_mem_v2_root_cgroup(void **state) {
    (void)state;
    const char *dir = lx_copy("sensorless-vm");
    lx_write(dir, "proc/4242/cgroup", "0::/\n");
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(dir, &ctx);
    assert_int_equal(p->mem.cgroup_version, 2);
    assert_unknown(p->mem.cgroup_limit_bytes, HR_WHY_UNLIMITED);
    assert_unknown(p->mem.cgroup_usage_bytes, HR_WHY_ABSENT);
    assert_known(p->mem.budget_bytes, 24303124 * KIB);
    lx_close(p, ctx);
    lx_rmtree(dir);
}

/* A hybrid hierarchy (systemd's): cgroup2 at sys/fs/cgroup/unified. */
static void test_linux_mem_hybrid_unified(void **state) {
    (void)state;
    const char *dir = lx_copy("sensorless-vm");
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "cd '%s/sys/fs' && mv cgroup unified && mkdir cgroup && mv unified cgroup/", dir);
    assert_int_equal(system(cmd), 0);
    lx_write(dir, "sys/fs/cgroup/unified/user.slice/memory.max", "1073741824\n");
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(dir, &ctx);
    assert_int_equal(p->mem.cgroup_version, 2);
    assert_known(p->mem.cgroup_limit_bytes, 1 * GIB);
    assert_known(p->mem.cgroup_usage_bytes, 812646400);
    assert_known(p->mem.budget_bytes, 1 * GIB - 812646400);
    lx_close(p, ctx);
    lx_rmtree(dir);
}

/* A cgroup path that tries to leave the mount is refused, not followed. */
static void test_linux_mem_path_escape_refused(void **state) {
    (void)state;
    const char *dir = lx_copy("sensorless-vm");
    lx_write(dir, "proc/4242/cgroup", "0::/../../../etc\n");
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(dir, &ctx);
    assert_int_equal(p->mem.cgroup_version, 0);
    assert_unknown(p->mem.cgroup_limit_bytes, HR_WHY_ABSENT);
    assert_int_equal(lx_source(p, "cgroup")->state, HR_SOURCE_ABSENT);
    lx_close(p, ctx);
    lx_rmtree(dir);
}

/* memory.current and PSI are re-read through the kept fds on refresh. */
static void test_linux_mem_refresh_follows_usage(void **state) {
    (void)state;
    const char *dir = lx_copy("container-cgroupv2");
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(dir, &ctx);
    assert_known(p->mem.budget_bytes, 6 * GIB);
    lx_write(dir, "sys/fs/cgroup/memory.current", "8053063680\n"); /* 7.5 GiB */
    lx_write(dir, "proc/pressure/memory",
             "some avg10=42.00 avg60=20.00 avg300=5.00 total=99\n"
             "full avg10=6.50 avg60=1.00 avg300=0.10 total=9\n");
    hr_probe_refresh(p);
    assert_known(p->mem.cgroup_usage_bytes, 8053063680LL);
    assert_known(p->mem.budget_bytes, 8 * GIB - 8053063680LL);
    assert_known(p->mem.psi_memory.some_avg10_ppm, 420000);
    assert_known(p->mem.psi_memory.full_avg10_ppm, 65000);
    assert_known(p->mem.pressure_level, HR_PRESSURE_CRITICAL); /* derived again */
    /* Over the limit: no room, never negative. */
    lx_write(dir, "sys/fs/cgroup/memory.current", "9663676416\n");
    lx_write(dir, "proc/pressure/memory", "some avg10=0.00 avg60=0.00 avg300=0.00 total=99\n");
    hr_probe_refresh(p);
    assert_known(p->mem.budget_bytes, 0);
    assert_known(p->mem.pressure_level, HR_PRESSURE_NORMAL);
    assert_unknown(p->mem.psi_memory.full_avg10_ppm, HR_WHY_ABSENT);
    lx_close(p, ctx);
    lx_rmtree(dir);
}

/* ---- injected failures -------------------------------------------------------- */

static void test_linux_mem_limit_no_permission(void **state) {
    (void)state;
    hr_ctx *ctx;
    lx_fault_install("memory.max", EACCES, LX_FAIL_OPEN);
    hr_probe *p = lx_open("container-cgroupv2", &ctx);
    lx_fault_clear();
    assert_unknown(p->mem.cgroup_limit_bytes, HR_WHY_NO_PERMISSION);
    assert_int_equal(p->mem.cgroup_limit_bytes.err, EACCES);
    assert_known(p->mem.cgroup_usage_bytes, 2 * GIB);
    /* No readable limit: the budget falls back to MemAvailable alone. */
    assert_known(p->mem.budget_bytes, 58912344 * KIB);
    assert_int_equal(lx_source(p, "cgroup")->state, HR_SOURCE_PARTIAL);
    lx_close(p, ctx);
}

/* psi=0 on the kernel command line: the files exist, reads fail EOPNOTSUPP. */
static void test_linux_mem_psi_disabled(void **state) {
    (void)state;
    hr_ctx *ctx;
    lx_fault_install("proc/pressure/", EOPNOTSUPP, LX_FAIL_READ);
    hr_probe *p = lx_open("laptop", &ctx);
    lx_fault_clear();
    assert_unknown(p->mem.psi_memory.some_avg10_ppm, HR_WHY_NOT_SUPPORTED);
    assert_unknown(p->mem.psi_cpu.some_total_us, HR_WHY_NOT_SUPPORTED);
    assert_unknown(p->mem.pressure_level, HR_WHY_NOT_SUPPORTED);
    assert_int_equal(lx_source(p, "psi")->state, HR_SOURCE_FAILED);
    lx_close(p, ctx);
}

static void test_linux_mem_meminfo_vanishes(void **state) {
    (void)state;
    hr_ctx *ctx;
    lx_fault_install("proc/meminfo", EIO, LX_FAIL_LATER);
    hr_probe *p = lx_open("laptop", &ctx);
    assert_known(p->mem.total_bytes, 16089244 * KIB);
    lx_fault_arm();
    hr_probe_refresh(p);
    lx_fault_clear();
    assert_unknown(p->mem.total_bytes, HR_WHY_IO_ERROR);
    assert_unknown(p->mem.available_bytes, HR_WHY_IO_ERROR);
    assert_unknown(p->mem.budget_bytes, HR_WHY_IO_ERROR);
    lx_close(p, ctx);
}

/* ---- parser -------------------------------------------------------------------- */

static void test_linux_mem_cgroup_parser(void **state) {
    (void)state;
    char v1[64], v2[64];
    const char *hybrid = "9:name=systemd:/\n4:memory:/process_api/d44\n0::/\n";
    assert_int_equal(hr__lx_parse_cgroup(hybrid, strlen(hybrid), v1, 64, v2, 64), HR_OK);
    assert_string_equal(v1, "/process_api/d44");
    assert_string_equal(v2, "/");
    const char *joined = "2:cpuacct,memory,cpu:/a/b";
    assert_int_equal(hr__lx_parse_cgroup(joined, strlen(joined), v1, 64, v2, 64), HR_OK);
    assert_string_equal(v1, "/a/b");
    assert_string_equal(v2, "");
    const char *none = "3:cpu:/x\n1:name=systemd:/y\n";
    assert_int_equal(hr__lx_parse_cgroup(none, strlen(none), v1, 64, v2, 64), HR_ENOENT);
    const char *bad[] = {"0::/a/../b", "0::..", "0::/.", "0::relative", "4:memory:", "0::/a/./b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (hr__lx_parse_cgroup(bad[i], strlen(bad[i]), v1, 64, v2, 64) != HR_EPARSE)
            fail_msg("accepted \"%s\"", bad[i]);
    /* A path longer than the caller's buffer is refused, not cut. */
    const char *longp = "0::/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    assert_int_equal(hr__lx_parse_cgroup(longp, strlen(longp), v1, 64, v2, 64), HR_EPARSE);
    const char *dots = "0::/a..b/.hidden";
    assert_int_equal(hr__lx_parse_cgroup(dots, strlen(dots), v1, 64, v2, 64), HR_OK);
    assert_string_equal(v2, "/a..b/.hidden");
}

/* ---- live host ------------------------------------------------------------------ */

static void test_linux_mem_live(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(NULL, &ctx);
    const hr_mem_info *m = &p->mem;
    assert_true(HR_IS_KNOWN(m->total_bytes) && HR_IS_KNOWN(m->available_bytes));
    assert_true(m->available_bytes.v > 0);
    assert_true(m->total_bytes.v >= m->available_bytes.v);
    assert_true(HR_IS_KNOWN(m->budget_bytes));
    assert_true(m->budget_bytes.v >= 0 && m->budget_bytes.v <= m->available_bytes.v);
    if (m->cgroup_version != 0) {
        assert_true(HR_IS_KNOWN(m->cgroup_limit_bytes) ||
                    m->cgroup_limit_bytes.why == HR_WHY_UNLIMITED);
        if (HR_IS_KNOWN(m->cgroup_limit_bytes))
            assert_true(m->cgroup_limit_bytes.v > 0);
    }
    if (lx_host_has("proc/pressure/memory")) {
        assert_true(HR_IS_KNOWN(m->psi_memory.some_avg10_ppm));
        assert_in_range(m->psi_memory.some_avg10_ppm.v, 0, 1000000);
    } else {
        assert_unknown(m->psi_memory.some_avg10_ppm, HR_WHY_ABSENT);
    }
    lx_close(p, ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linux_mem_laptop),
        cmocka_unit_test(test_linux_mem_amd_workstation_ancestor_limit),
        cmocka_unit_test(test_linux_mem_container_budget_from_cgroup),
        cmocka_unit_test(test_linux_mem_sensorless_vm),
        cmocka_unit_test(test_linux_mem_cgroup_v1),
        cmocka_unit_test(test_linux_mem_hostile),
        cmocka_unit_test(test_linux_mem_v1_container_path_not_mounted),
        cmocka_unit_test(test_linux_mem_v2_root_cgroup),
        cmocka_unit_test(test_linux_mem_hybrid_unified),
        cmocka_unit_test(test_linux_mem_path_escape_refused),
        cmocka_unit_test(test_linux_mem_refresh_follows_usage),
        cmocka_unit_test(test_linux_mem_limit_no_permission),
        cmocka_unit_test(test_linux_mem_psi_disabled),
        cmocka_unit_test(test_linux_mem_meminfo_vanishes),
        cmocka_unit_test(test_linux_mem_cgroup_parser),
        cmocka_unit_test(test_linux_mem_live),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
