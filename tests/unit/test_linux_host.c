/* test_linux_host.c: static host facts (src/platform/linux/host.c) on every
 * fixture scenario, its fallbacks, the CPU list parser and the live host. */
#include "test_linux_util.h"

#include "platform/linux/lx_parse.h"

static void test_linux_host_laptop(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open("laptop", &ctx);
    const hr_host_info *h = &p->host;
    assert_string_equal(h->os, "linux");
    assert_string_equal(h->kernel, "6.6.9-200.fc39.x86_64");
    assert_string_equal(h->hostname, "laptop");
    assert_string_equal(h->arch, "x86_64");
    assert_string_equal(h->os_release, "Fedora Linux 39 (Workstation Edition)");
    assert_string_equal(h->machine_model, "20XW0055US");
    assert_string_equal(h->cpu_model, "11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz");
    assert_known(h->cpus_logical, 8);
    assert_known(h->cores_physical, 4);
    assert_known(h->packages, 1);
    assert_known(h->uptime_ns, 12345670000000LL);
    assert_unknown(h->cores_performance, HR_WHY_NOT_APPLICABLE);
    assert_unknown(h->cores_efficiency, HR_WHY_NOT_APPLICABLE);
    assert_int_equal(lx_source(p, "host")->state, HR_SOURCE_ANSWERED);
    lx_close(p, ctx);
}

/* Linux 5.15 has no proc/sys/kernel/arch, and a fixture root never asks uname(). */
static void test_linux_host_amd_workstation_has_no_arch(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open("amd-workstation", &ctx);
    const hr_host_info *h = &p->host;
    assert_string_equal(h->kernel, "5.15.0-91-generic");
    assert_string_equal(h->arch, "");
    assert_string_equal(h->os_release, "Ubuntu 22.04.3 LTS");
    assert_string_equal(h->machine_model, "MS-7C56");
    assert_string_equal(h->cpu_model, "AMD Ryzen 7 5800X 8-Core Processor");
    assert_known(h->cpus_logical, 16);
    assert_known(h->cores_physical, 8);
    assert_known(h->packages, 1);
    assert_known(h->uptime_ns, 345678900000000LL);
    lx_close(p, ctx);
}

static void test_linux_host_container(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open("container-cgroupv2", &ctx);
    const hr_host_info *h = &p->host;
    assert_string_equal(h->hostname, "3f4e5d6c7b8a");
    assert_string_equal(h->kernel, "6.5.0-1014-aws");
    assert_string_equal(h->os_release, "Debian GNU/Linux 12 (bookworm)");
    assert_string_equal(h->machine_model, "r5.2xlarge");
    assert_known(h->cpus_logical, 8);
    assert_known(h->cores_physical, 4);
    lx_close(p, ctx);
}

static void test_linux_host_sensorless_vm(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open("sensorless-vm", &ctx);
    const hr_host_info *h = &p->host;
    assert_string_equal(h->cpu_model, "AMD EPYC");
    assert_string_equal(h->machine_model, "");
    assert_string_equal(h->hostname, "vm");
    assert_string_equal(h->os_release, "Debian GNU/Linux 12 (bookworm)");
    assert_known(h->cpus_logical, 2);
    assert_known(h->cores_physical, 2);
    assert_known(h->packages, 1);
    assert_known(h->uptime_ns, 1027890000000LL);
    lx_close(p, ctx);
}

static void test_linux_host_cgroup_v1_centos7(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open("cgroup-v1", &ctx);
    const hr_host_info *h = &p->host;
    assert_string_equal(h->kernel, "3.10.0-957.el7.x86_64");
    assert_string_equal(h->os_release, "CentOS Linux 7 (Core)"); /* via the etc -> usr/lib link */
    assert_string_equal(h->arch, "");
    assert_string_equal(h->machine_model, "PowerEdge R630");
    assert_known(h->cpus_logical, 8);
    assert_known(h->cores_physical, 4);
    assert_known(h->uptime_ns, 8640000000000000LL);
    lx_close(p, ctx);
}

/* Empty osrelease, no model name, a broken CPU list, "N/A" uptime: each
 * unknown or empty, the CPU count from cpuinfo, and the source partial. */
static void test_linux_host_hostile(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open("hostile", &ctx);
    const hr_host_info *h = &p->host;
    assert_string_equal(h->kernel, "");
    assert_string_equal(h->hostname, "hostile"); /* no trailing newline */
    assert_string_equal(h->os_release, "Hostile Linux"); /* NAME when PRETTY_NAME is absent */
    assert_string_equal(h->machine_model, "");
    assert_string_equal(h->cpu_model, "");
    assert_known(h->cpus_logical, 4);
    assert_unknown(h->cores_physical, HR_WHY_ABSENT);
    assert_unknown(h->packages, HR_WHY_ABSENT);
    assert_unknown(h->uptime_ns, HR_WHY_UNREADABLE);
    const hr_source_report *r = lx_source(p, "host");
    assert_int_equal(r->state, HR_SOURCE_PARTIAL);
    assert_int_equal(r->why, HR_WHY_UNREADABLE);
    lx_close(p, ctx);
}

static void test_linux_host_os_release_in_usr_lib(void **state) {
    (void)state;
    const char *dir = lx_copy("sensorless-vm");
    lx_remove(dir, "etc/os-release");
    lx_write(dir, "usr/lib/os-release", "NAME=Arch\nPRETTY_NAME='Arch Linux'\n");
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(dir, &ctx);
    assert_string_equal(p->host.os_release, "Arch Linux");
    lx_close(p, ctx);
    lx_rmtree(dir);
}

/* A Raspberry Pi: model from the device tree (NUL-terminated), CPU from
 * cpuinfo's "Model", no DMI. */
static void test_linux_host_arm_board(void **state) {
    (void)state;
    const char *dir = lx_copy("sensorless-vm");
    static const char model[] = "Raspberry Pi 4 Model B Rev 1.4";
    char path[512];
    snprintf(path, sizeof path, "%s/sys/firmware/devicetree/base", dir);
    lx_write(dir, "sys/firmware/devicetree/base/model", "");
    snprintf(path, sizeof path, "%s/sys/firmware/devicetree/base/model", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(model, 1, sizeof model, f); /* with its NUL, as the kernel prints it */
    fclose(f);
    lx_write(dir, "proc/cpuinfo",
             "processor\t: 0\nBogoMIPS\t: 108.00\nCPU implementer\t: 0x41\n\n"
             "processor\t: 1\nBogoMIPS\t: 108.00\n\n"
             "Hardware\t: BCM2835\nRevision\t: c03114\nModel\t\t: Raspberry Pi 4 Model B Rev 1.4\n");
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(dir, &ctx);
    assert_string_equal(p->host.machine_model, model);
    assert_string_equal(p->host.cpu_model, "Raspberry Pi 4 Model B Rev 1.4");
    lx_close(p, ctx);
    lx_rmtree(dir);
}

/* Without sysfs topology the cores come from cpuinfo's physical/core ids;
 * without the online list the CPU count too. */
static void test_linux_host_topology_from_cpuinfo(void **state) {
    (void)state;
    const char *dir = lx_copy("laptop");
    for (int c = 0; c < 8; c++) {
        char rel[128];
        snprintf(rel, sizeof rel, "sys/devices/system/cpu/cpu%d/topology", c);
        lx_remove(dir, rel);
    }
    lx_remove(dir, "sys/devices/system/cpu/online");
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(dir, &ctx);
    assert_known(p->host.cpus_logical, 8);
    assert_known(p->host.cores_physical, 4);
    assert_known(p->host.packages, 1);
    lx_close(p, ctx);
    lx_rmtree(dir);
}

static void test_linux_host_two_sockets(void **state) {
    (void)state;
    const char *dir = lx_copy("laptop");
    for (int c = 4; c < 8; c++) {
        char rel[128];
        snprintf(rel, sizeof rel, "sys/devices/system/cpu/cpu%d/topology/physical_package_id", c);
        lx_write(dir, rel, "1\n");
    }
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(dir, &ctx);
    assert_known(p->host.cores_physical, 8);
    assert_known(p->host.packages, 2);
    lx_close(p, ctx);
    lx_rmtree(dir);
}

static void expect_list(const char *s, const int32_t *want, size_t nwant) {
    int32_t got[64];
    size_t n = 0;
    assert_int_equal(hr__lx_parse_cpu_list(s, strlen(s), got, 64, &n), HR_OK);
    assert_int_equal(n, nwant);
    for (size_t i = 0; i < nwant; i++)
        assert_int_equal(got[i], want[i]);
}

static void test_linux_host_cpu_list_parser(void **state) {
    (void)state;
    expect_list("0\n", (const int32_t[]){0}, 1);
    expect_list("0-3,8-11\n", (const int32_t[]){0, 1, 2, 3, 8, 9, 10, 11}, 8);
    expect_list("0,2,4-5", (const int32_t[]){0, 2, 4, 5}, 4);
    expect_list("8191", (const int32_t[]){8191}, 1);
    size_t n = 0;
    /* Counting only, and a capacity smaller than the list. */
    assert_int_equal(hr__lx_parse_cpu_list("0-127\n", 6, NULL, 0, &n), HR_OK);
    assert_int_equal(n, 128);
    int32_t two[2];
    assert_int_equal(hr__lx_parse_cpu_list("4-9", 3, two, 2, &n), HR_OK);
    assert_int_equal(n, 6);
    assert_int_equal(two[1], 5);
    const char *bad[] = {"", "\n", "-", "3-1", "0-3,,7", "0-3,", ",0", "a", "0-", "1,1",
                         "4,2", "0-3,2-5", "8192", "99999999999", " 0", "0 1", "-1", "0x3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (hr__lx_parse_cpu_list(bad[i], strlen(bad[i]), NULL, 0, &n) != HR_EPARSE)
            fail_msg("accepted \"%s\"", bad[i]);
}

/* Live host: facts that every Linux machine has. uname() fills what procfs
 * lacks when the root is "/". */
static void test_linux_host_live(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(NULL, &ctx);
    const hr_host_info *h = &p->host;
    assert_true(h->kernel[0] != '\0');
    assert_true(h->arch[0] != '\0');
    assert_true(h->hostname[0] != '\0');
    assert_true(HR_IS_KNOWN(h->cpus_logical) && h->cpus_logical.v > 0);
    assert_true(HR_IS_KNOWN(h->uptime_ns) && h->uptime_ns.v > 0);
    assert_int_equal(h->cpus_logical.v, (int64_t)sysconf(_SC_NPROCESSORS_ONLN));
    if (HR_IS_KNOWN(h->cores_physical))
        assert_true(h->cores_physical.v >= 1 && h->cores_physical.v <= h->cpus_logical.v);
    lx_close(p, ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linux_host_laptop),
        cmocka_unit_test(test_linux_host_amd_workstation_has_no_arch),
        cmocka_unit_test(test_linux_host_container),
        cmocka_unit_test(test_linux_host_sensorless_vm),
        cmocka_unit_test(test_linux_host_cgroup_v1_centos7),
        cmocka_unit_test(test_linux_host_hostile),
        cmocka_unit_test(test_linux_host_os_release_in_usr_lib),
        cmocka_unit_test(test_linux_host_arm_board),
        cmocka_unit_test(test_linux_host_topology_from_cpuinfo),
        cmocka_unit_test(test_linux_host_two_sockets),
        cmocka_unit_test(test_linux_host_cpu_list_parser),
        cmocka_unit_test(test_linux_host_live),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
