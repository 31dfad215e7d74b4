/* placeholder.c: temporary module bodies so the tree builds while the real
 * modules (host.c cpu.c mem.c hwmon.c thermal.c rapl.c) are written; each
 * function here is deleted as its module lands. They report "absent". */
#include "platform/linux/linux.h"

#define PH_MODULE(m)                                                                      \
    hr_status hr__lx_##m##_open(hr_ctx *ctx, hr_probe *p, struct hr__lx_##m **out) {     \
        (void)ctx;                                                                        \
        *out = NULL;                                                                      \
        hr__probe_report(p, #m, HR_SOURCE_ABSENT, HR_WHY_ABSENT, "module pending");      \
        return HR_OK;                                                                     \
    }                                                                                     \
    void hr__lx_##m##_refresh(struct hr__lx_##m *st, hr_probe *p) { (void)st, (void)p; } \
    void hr__lx_##m##_close(struct hr__lx_##m *st, hr_probe *p) { (void)st, (void)p; }

hr_status hr__lx_host_read(hr_ctx *ctx, hr_probe *p) {
    (void)ctx;
    (void)p;
    return HR_OK;
}
PH_MODULE(cpu)
PH_MODULE(mem)
PH_MODULE(hwmon)
PH_MODULE(thermal)
PH_MODULE(rapl)
