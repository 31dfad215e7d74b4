/* thermal.c: macOS thermal pressure, and why there is no CPU temperature.
 *
 * Thermal pressure is the notify(3) state of com.apple.system.thermalpressurelevel
 * (kOSThermalNotificationPressureLevelName), the value powermetrics prints as
 * thermal_pressure, read without root through notify_register_check and
 * notify_get_state (peers-and-sources 3.7). A token registered once is read on
 * every refresh.
 *
 * CPU temperature: the only sudoless sources are AppleSMC keys and HID sensor
 * names, both of which change with every chip generation (macmon #12, Stats
 * #2249). Until a per-chip table exists, p->cpu.temp_mc stays unknown with
 * HR_WHY_NOT_SUPPORTED and the "smc" source says why. */
#include <libkern/OSThermalNotification.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/apple.h"
#include "platform/darwin/darwin.h"

/* notify(3) lives in libSystem; its header is not part of every SDK we build
 * with, so the three calls are declared here with Apple's prototypes. */
uint32_t notify_register_check(const char *name, int *out_token);
uint32_t notify_get_state(int token, uint64_t *state64);
uint32_t notify_cancel(int token);

struct hr__dw_thermal {
    int token;
    uint32_t reg_status; /* notify_register_check's status; 0 when the token is valid */
};

static hr_reading read_pressure(const struct hr__dw_thermal *st) {
    if (st->reg_status != 0)
        return hr__apple_thermal_from_notify(st->reg_status, 0);
    uint64_t state = 0;
    uint32_t status = notify_get_state(st->token, &state);
    return hr__apple_thermal_from_notify(status, state);
}

static void no_cpu_temperature(hr_probe *p) {
    p->cpu.temp_mc = hr__unknown(HR_WHY_NOT_SUPPORTED, 0);
    p->cpu.temp_crit_mc = hr__unknown(HR_WHY_NOT_SUPPORTED, 0);
    p->cpu.temp_source[0] = '\0';
    hr__probe_report(p, "smc", HR_SOURCE_ABSENT, HR_WHY_NOT_SUPPORTED,
                     "CPU temperature needs per-chip SMC keys that change each generation; "
                     "not read (thermal pressure is)");
}

hr_status hr__dw_thermal_open(hr_probe *p, struct hr__dw_thermal **out) {
    *out = NULL;
    struct hr__dw_thermal *st = calloc(1, sizeof *st);
    if (!st)
        return HR_ENOMEM;
    st->reg_status = notify_register_check(kOSThermalNotificationPressureLevelName, &st->token);
    p->mem.thermal_pressure = read_pressure(st);
    hr_reading t = p->mem.thermal_pressure;
    hr__probe_report(p, "thermal_pressure", HR_IS_KNOWN(t) ? HR_SOURCE_ANSWERED : HR_SOURCE_FAILED,
                     (hr_why)t.why, "notify %s: %s", kOSThermalNotificationPressureLevelName,
                     HR_IS_KNOWN(t) ? "read" : hr_why_text(t.why));
    no_cpu_temperature(p);
    *out = st;
    return HR_OK;
}

void hr__dw_thermal_refresh(struct hr__dw_thermal *st, hr_probe *p) {
    if (st)
        p->mem.thermal_pressure = read_pressure(st);
}

void hr__dw_thermal_close(struct hr__dw_thermal *st, hr_probe *p) {
    (void)p;
    if (!st)
        return;
    if (st->reg_status == 0)
        notify_cancel(st->token);
    free(st);
}
