/* host.c: the Mac's static facts, all from sysctl (src/core/apple.c). */
#include "core/apple.h"
#include "platform/darwin/darwin.h"

void hr__dw_host_read(hr_probe *p) {
    char detail[160];
    hr_why why = HR_WHY_KNOWN;
    hr_source_state s =
        hr__apple_host_read(&p->host, hr__now_wall_ns(), &why, detail, sizeof detail);
    hr__probe_report(p, "sysctl", s, why, "%s", detail);
}

void hr__dw_host_refresh(hr_probe *p) {
    p->host.uptime_ns = hr__apple_uptime_ns(hr__now_wall_ns());
}
