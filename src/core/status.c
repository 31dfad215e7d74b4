/* status.c: names and texts generated from HR_STATUS_MAP and HR_WHY_MAP. */
#include <stdio.h>
#include <string.h>

#include "core/internal.h"

const char *hr_status_name(int status) {
    switch (status) {
#define HR__CASE(name, num, text)                                                                  \
    case num: return #name;
        HR_STATUS_MAP(HR__CASE)
#undef HR__CASE
    default: return "HR_UNKNOWN";
    }
}

const char *hr_strerror(int status) {
    switch (status) {
#define HR__CASE(name, num, text)                                                                  \
    case num: return text;
        HR_STATUS_MAP(HR__CASE)
#undef HR__CASE
    default: return "unknown status";
    }
}

const char *hr_why_text(int why) {
    switch (why) {
#define HR__CASE(name, num, id, text)                                                              \
    case num: return text;
        HR_WHY_MAP(HR__CASE)
#undef HR__CASE
    default: return "unknown reason";
    }
}

const char *hr_why_name(int why) {
    switch (why) {
#define HR__CASE(name, num, id, text)                                                              \
    case num: return id;
        HR_WHY_MAP(HR__CASE)
#undef HR__CASE
    default: return "unknown";
    }
}

const char *hr_version(void) { return HR_VERSION_STRING; }

int hr_abi_version(void) { return HR_ABI_VERSION; }

/* The reason bits in NVML order, docs/peers-and-sources.md section 1.1. */
static const struct {
    uint64_t bit;
    const char *name;
} throttle_names[] = {
    {HR_THROTTLE_GPU_IDLE, "gpu_idle"},
    {HR_THROTTLE_APP_CLOCKS, "applications_clocks"},
    {HR_THROTTLE_SW_POWER_CAP, "sw_power_cap"},
    {HR_THROTTLE_HW_SLOWDOWN, "hw_slowdown"},
    {HR_THROTTLE_SYNC_BOOST, "sync_boost"},
    {HR_THROTTLE_SW_THERMAL, "sw_thermal_slowdown"},
    {HR_THROTTLE_HW_THERMAL, "hw_thermal_slowdown"},
    {HR_THROTTLE_HW_POWER_BRAKE, "hw_power_brake_slowdown"},
    {HR_THROTTLE_DISPLAY_CLOCKS, "display_clock_setting"},
    {HR_THROTTLE_BOARD_LIMIT, "board_limit"},
    {HR_THROTTLE_RELIABILITY, "reliability"},
};

int hr_throttle_reasons_text(uint64_t mask, char *buf, size_t cap) {
    if (!buf || cap == 0)
        return 0;
    buf[0] = '\0';
    size_t used = 0;
    int count = 0;
    uint64_t known = 0;
    for (size_t i = 0; i < sizeof throttle_names / sizeof throttle_names[0]; i++) {
        known |= throttle_names[i].bit;
        if (!(mask & throttle_names[i].bit))
            continue;
        int n = snprintf(buf + used, cap - used, "%s%s", count ? "," : "", throttle_names[i].name);
        if (n < 0 || (size_t)n >= cap - used)
            return count;
        used += (size_t)n;
        count++;
    }
    if (mask & ~known) {
        int n = snprintf(buf + used, cap - used, "%sother(0x%llx)", count ? "," : "",
                         (unsigned long long)(mask & ~known));
        if (n > 0 && (size_t)n < cap - used)
            count++;
    }
    return count;
}
