/* test_linux_hwmon.c: sys/class/hwmon inputs (src/platform/linux/hwmon.c) on
 * every scenario, units, old kernels, refreshes, injected failures, and the
 * CPU temperature the core derives from them; live invariants. */
#include "test_linux_util.h"

static const hr_sensor *must_sensor(const hr_probe *p, const char *chip, const char *label) {
    const hr_sensor *s = lx_sensor(p, chip, label);
    if (!s)
        fail_msg("no sensor %s/%s", chip, label);
    return s;
}

static void test_linux_hwmon_laptop_inputs(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open("laptop", &ctx);
    assert_int_equal(p->nsensors, 13);
    /* Chip order follows hwmonN, then kind and index within a chip. */
    assert_string_equal(p->sensors[0].chip, "acpitz");
    assert_string_equal(p->sensors[0].device, "hwmon0");
    assert_string_equal(p->sensors[12].label, "fan1");
    const hr_sensor *pkg = must_sensor(p, "coretemp", "Package id 0");
    assert_int_equal(pkg->kind, HR_SENSOR_TEMP);
    assert_string_equal(pkg->device, "hwmon3");
    assert_known(pkg->value, 67000);
    assert_known(pkg->max, 100000);
    assert_known(pkg->crit, 100000);
    assert_known(must_sensor(p, "coretemp", "Core 2")->value, 61000);
    const hr_sensor *comp = must_sensor(p, "nvme", "Composite");
    assert_known(comp->value, 38850);
    assert_known(comp->max, 80850);
    assert_known(comp->crit, 84850);
    assert_unknown(must_sensor(p, "nvme", "Sensor 1")->crit, HR_WHY_ABSENT);
    /* NVMe's 65261.850 C (0xFFFF K) means "no threshold", not a temperature. */
    assert_unknown(must_sensor(p, "nvme", "Sensor 1")->max, HR_WHY_UNREADABLE);
    const hr_sensor *acpi = must_sensor(p, "acpitz", "temp1"); /* no label file */
    assert_known(acpi->value, 52000);
    assert_unknown(acpi->max, HR_WHY_ABSENT);
    assert_known(acpi->crit, 128000);
    const hr_sensor *fan = must_sensor(p, "thinkpad", "fan1");
    assert_int_equal(fan->kind, HR_SENSOR_FAN);
    assert_known(fan->value, 2372);
    const hr_sensor *bat = must_sensor(p, "BAT0", "in0");
    assert_int_equal(bat->kind, HR_SENSOR_VOLTAGE);
    assert_known(bat->value, 12876);
    assert_int_equal(lx_source(p, "hwmon")->state, HR_SOURCE_ANSWERED);
    lx_close(p, ctx);
}

/* The core picks coretemp's package sensor over the cores, the ThinkPad EC
 * and the ACPI zone. */
static void test_linux_hwmon_laptop_cpu_temp(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open("laptop", &ctx);
    assert_known(p->cpu.temp_mc, 67000);
    assert_known(p->cpu.temp_crit_mc, 100000);
    assert_string_equal(p->cpu.temp_source, "hwmon coretemp Package id 0");
    lx_close(p, ctx);
}

/* k10temp on Zen 3 (Linux 5.15): Tctl, Tdie, Tccd1 with no limits. The
 * amdgpu chip (hwmon2) belongs to the AMD GPU scenario and is not counted. */
static void test_linux_hwmon_amd_workstation(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open("amd-workstation", &ctx);
    assert_int_equal(lx_chip_count(p, "k10temp"), 3);
    assert_int_equal(lx_chip_count(p, "nvme"), 3);
    const hr_sensor *tctl = must_sensor(p, "k10temp", "Tctl");
    assert_string_equal(tctl->device, "hwmon1");
    assert_known(tctl->value, 48250);
    assert_unknown(tctl->max, HR_WHY_ABSENT);
    assert_unknown(tctl->crit, HR_WHY_ABSENT);
    assert_known(must_sensor(p, "k10temp", "Tccd1")->value, 45500);
    assert_known(must_sensor(p, "nvme", "Sensor 2")->value, 38850);
    assert_known(p->cpu.temp_mc, 48250);
    assert_string_equal(p->cpu.temp_source, "hwmon k10temp Tdie");
    assert_unknown(p->cpu.temp_crit_mc, HR_WHY_ABSENT); /* k10temp gives no limit on Zen */
    lx_close(p, ctx);
}

/* Linux 3.10 coretemp keeps name and inputs in hwmon0/device/, and calls the
 * package "Physical id 0". */
static void test_linux_hwmon_old_kernel_device_dir(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open("cgroup-v1", &ctx);
    assert_int_equal(p->nsensors, 5);
    const hr_sensor *pkg = must_sensor(p, "coretemp", "Physical id 0");
    assert_string_equal(pkg->device, "hwmon0");
    assert_known(pkg->value, 41000);
    assert_known(pkg->max, 88000);
    assert_known(pkg->crit, 98000);
    assert_known(p->cpu.temp_mc, 41000);
    assert_known(p->cpu.temp_crit_mc, 98000);
    assert_string_equal(p->cpu.temp_source, "hwmon coretemp Physical id 0");
    lx_close(p, ctx);
}

static void test_linux_hwmon_absent(void **state) {
    (void)state;
    const char *scen[] = {"sensorless-vm", "container-cgroupv2"};
    for (int s = 0; s < 2; s++) {
        hr_ctx *ctx;
        hr_probe *p = lx_open(scen[s], &ctx);
        assert_int_equal(p->nsensors, 0);
        const hr_source_report *r = lx_source(p, "hwmon");
        assert_int_equal(r->state, HR_SOURCE_ABSENT);
        assert_int_equal(r->why, HR_WHY_ABSENT);
        assert_unknown(p->cpu.temp_mc, HR_WHY_ABSENT);
        assert_string_equal(p->cpu.temp_source, "");
        lx_close(p, ctx);
    }
}

/* Empty, "N/A", below absolute zero, > int64, no newline, a label without
 * input, negative fan, "12a" power; a dangling hwmon link; a chip with no inputs. */
static void test_linux_hwmon_hostile(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open("hostile", &ctx);
    assert_int_equal(p->nsensors, 8);
    assert_unknown(must_sensor(p, "hostile", "temp1")->value, HR_WHY_UNREADABLE);
    assert_unknown(must_sensor(p, "hostile", "temp2")->value, HR_WHY_UNREADABLE);
    assert_unknown(must_sensor(p, "hostile", "temp3")->value, HR_WHY_UNREADABLE);
    assert_unknown(must_sensor(p, "hostile", "temp4")->value, HR_WHY_UNREADABLE);
    const hr_sensor *t5 = must_sensor(p, "hostile", "temp5");
    assert_known(t5->value, 45000);
    assert_unknown(t5->max, HR_WHY_UNREADABLE);
    assert_unknown(t5->crit, HR_WHY_ABSENT);
    assert_unknown(must_sensor(p, "hostile", "Ghost")->value, HR_WHY_ABSENT);
    assert_unknown(must_sensor(p, "hostile", "fan1")->value, HR_WHY_UNREADABLE);
    assert_unknown(must_sensor(p, "hostile", "power1")->value, HR_WHY_UNREADABLE);
    assert_int_equal(lx_chip_count(p, "power_meter"), 0);
    assert_int_equal(lx_source(p, "hwmon")->state, HR_SOURCE_PARTIAL);
    assert_unknown(p->cpu.temp_mc, HR_WHY_ABSENT); /* no CPU chip, no made-up value */
    lx_close(p, ctx);
}

/* Units: power microwatts -> mW, energy microjoules, current mA; a power
 * meter that only averages. */
static void test_linux_hwmon_units(void **state) {
    (void)state;
    const char *dir = lx_copy("sensorless-vm");
    const char *d = "sys/devices/platform/meter.0/hwmon/hwmon0";
    char rel[256];
#define W(file, text) (snprintf(rel, sizeof rel, "%s/%s", d, file), lx_write(dir, rel, text))
    W("name", "meter\n");
    W("power1_input", "15500000\n");
    W("power1_max", "28000000\n");
    W("power2_average", "9750000\n");
    W("energy1_input", "123456789012\n");
    W("curr1_input", "-1520\n");
    W("curr1_label", "battery\n");
    W("in1_input", "1062\n");
#undef W
    char cmd[512];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/sys/class/hwmon' && ln -s ../../devices/platform/meter.0/hwmon/hwmon0 '%s/sys/class/hwmon/hwmon0'", dir, dir);
    assert_int_equal(system(cmd), 0);
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(dir, &ctx);
    const hr_sensor *pw = must_sensor(p, "meter", "power1");
    assert_int_equal(pw->kind, HR_SENSOR_POWER);
    assert_known(pw->value, 15500);
    assert_known(pw->max, 28000);
    assert_known(must_sensor(p, "meter", "power2")->value, 9750);
    const hr_sensor *en = must_sensor(p, "meter", "energy1");
    assert_int_equal(en->kind, HR_SENSOR_ENERGY);
    assert_known(en->value, 123456789012LL);
    const hr_sensor *cu = must_sensor(p, "meter", "battery");
    assert_int_equal(cu->kind, HR_SENSOR_CURRENT);
    assert_known(cu->value, -1520); /* a discharging battery's current is negative */
    assert_known(must_sensor(p, "meter", "in1")->value, 1062);
    lx_close(p, ctx);
    lx_rmtree(dir);
}

/* Values move between reads; the kept fd sees them. */
static void test_linux_hwmon_refresh(void **state) {
    (void)state;
    const char *dir = lx_copy("laptop");
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(dir, &ctx);
    lx_write(dir, "sys/devices/platform/coretemp.0/hwmon/hwmon3/temp1_input", "91000\n");
    lx_write(dir, "sys/devices/platform/thinkpad_hwmon/hwmon/hwmon4/fan1_input", "5120\n");
    hr_probe_refresh(p);
    assert_known(must_sensor(p, "coretemp", "Package id 0")->value, 91000);
    assert_known(must_sensor(p, "thinkpad", "fan1")->value, 5120);
    assert_known(p->cpu.temp_mc, 91000);
    lx_close(p, ctx);
    lx_rmtree(dir);
}

/* ---- injected failures -------------------------------------------------------- */

/* The package sensor's file breaks after discovery (driver unbound: ENODEV). */
static void test_linux_hwmon_input_vanishes(void **state) {
    (void)state;
    hr_ctx *ctx;
    lx_fault_install("hwmon3/temp1_input", ENODEV, LX_FAIL_LATER);
    hr_probe *p = lx_open("laptop", &ctx);
    assert_known(p->cpu.temp_mc, 67000);
    lx_fault_arm();
    hr_probe_refresh(p);
    lx_fault_clear();
    const hr_sensor *pkg = must_sensor(p, "coretemp", "Package id 0");
    assert_unknown(pkg->value, HR_WHY_VANISHED);
    assert_int_equal(pkg->value.err, ENODEV);
    /* The core falls back to the next coretemp sensor, never to a stale value. */
    assert_known(p->cpu.temp_mc, 64000);
    assert_string_equal(p->cpu.temp_source, "hwmon coretemp Core 0");
    assert_int_equal(lx_source(p, "hwmon")->state, HR_SOURCE_PARTIAL);
    assert_int_equal(lx_source(p, "hwmon")->why, HR_WHY_VANISHED);
    lx_close(p, ctx);
}

static void test_linux_hwmon_read_io_error(void **state) {
    (void)state;
    hr_ctx *ctx;
    lx_fault_install("hwmon4/fan1_input", EIO, LX_FAIL_READ);
    hr_probe *p = lx_open("laptop", &ctx);
    lx_fault_clear();
    assert_unknown(must_sensor(p, "thinkpad", "fan1")->value, HR_WHY_IO_ERROR);
    lx_close(p, ctx);
}

/* Hardened kernels make some chips root-only. */
static void test_linux_hwmon_no_permission(void **state) {
    (void)state;
    hr_ctx *ctx;
    lx_fault_install("hwmon2/temp", EACCES, LX_FAIL_OPEN);
    hr_probe *p = lx_open("laptop", &ctx);
    lx_fault_clear();
    const hr_sensor *comp = lx_sensor(p, "nvme", "temp1"); /* its label was unreadable too */
    assert_non_null(comp);
    assert_unknown(comp->value, HR_WHY_NO_PERMISSION);
    assert_unknown(comp->crit, HR_WHY_NO_PERMISSION);
    assert_known(must_sensor(p, "coretemp", "Core 3")->value, 63000);
    lx_close(p, ctx);
}

/* ---- live host ------------------------------------------------------------------ */

static void test_linux_hwmon_live(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = lx_open_dir(NULL, &ctx);
    if (!lx_host_has("sys/class/hwmon")) {
        assert_int_equal(p->nsensors, 0);
        assert_int_equal(lx_source(p, "hwmon")->state, HR_SOURCE_ABSENT);
    }
    for (size_t i = 0; i < p->nsensors; i++) {
        const hr_sensor *s = &p->sensors[i];
        assert_int_not_equal(s->value.why, HR_WHY_NOT_READ);
        if (s->kind == HR_SENSOR_TEMP && HR_IS_KNOWN(s->value))
            assert_in_range(s->value.v, 0, 120000);
    }
    if (HR_IS_KNOWN(p->cpu.temp_mc))
        assert_in_range(p->cpu.temp_mc.v, 0, 120000);
    else
        assert_int_not_equal(p->cpu.temp_mc.why, HR_WHY_NOT_READ);
    lx_close(p, ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linux_hwmon_laptop_inputs),
        cmocka_unit_test(test_linux_hwmon_laptop_cpu_temp),
        cmocka_unit_test(test_linux_hwmon_amd_workstation),
        cmocka_unit_test(test_linux_hwmon_old_kernel_device_dir),
        cmocka_unit_test(test_linux_hwmon_absent),
        cmocka_unit_test(test_linux_hwmon_hostile),
        cmocka_unit_test(test_linux_hwmon_units),
        cmocka_unit_test(test_linux_hwmon_refresh),
        cmocka_unit_test(test_linux_hwmon_input_vanishes),
        cmocka_unit_test(test_linux_hwmon_read_io_error),
        cmocka_unit_test(test_linux_hwmon_no_permission),
        cmocka_unit_test(test_linux_hwmon_live),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
