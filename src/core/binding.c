/* binding.c: the size of every public struct, for bindings that mirror them
 * (hr_binding.h). One X-macro list gives both the names and the sizes, so
 * the table cannot drift from the headers. */
#include <string.h>

#include "core/internal.h"
#include "headroom/hr_binding.h"
#include "headroom/hr_run.h"

#define HR__BINDING_STRUCTS(X)                                                                     \
    X(hr_reading)                                                                                  \
    X(hr_host_info)                                                                                \
    X(hr_cpu_core)                                                                                 \
    X(hr_cpu_info)                                                                                 \
    X(hr_psi)                                                                                      \
    X(hr_mem_info)                                                                                 \
    X(hr_sensor)                                                                                   \
    X(hr_trip_point)                                                                               \
    X(hr_thermal_zone)                                                                             \
    X(hr_rapl_domain)                                                                              \
    X(hr_gpu_info)                                                                                 \
    X(hr_accel_info)                                                                               \
    X(hr_source_report)                                                                            \
    X(hr_probe)                                                                                    \
    X(hr_plan_error)                                                                               \
    X(hr_plan_device)                                                                              \
    X(hr_plan_item)                                                                                \
    X(hr_plan_model_facts)                                                                         \
    X(hr_plan_model_opts)                                                                          \
    X(hr_plan_option)                                                                              \
    X(hr_plan_fallback)                                                                            \
    X(hr_plan_model_result)                                                                        \
    X(hr_plan_diffusion_req)                                                                       \
    X(hr_plan_saver)                                                                               \
    X(hr_plan_diffusion_result)                                                                    \
    X(hr_plan_cache_req)                                                                           \
    X(hr_plan_cache_result)                                                                        \
    X(hr_govern_config)                                                                            \
    X(hr_govern_sensors)                                                                           \
    X(hr_govern_decision)                                                                          \
    X(hr_govern_stats)                                                                             \
    X(hr_channel)                                                                                  \
    X(hr_session_info)                                                                             \
    X(hr_step)                                                                                     \
    X(hr_event)                                                                                    \
    X(hr_rle_config)                                                                               \
    X(hr_clock)                                                                                    \
    X(hr_record_config)                                                                            \
    X(hr_record_stats)                                                                             \
    X(hr_run_config)                                                                               \
    X(hr_run_event)                                                                                \
    X(hr_run_stats)

static const struct {
    const char *name;
    size_t size;
} structs[] = {
#define HR__STRUCT_ROW(type) {#type, sizeof(type)},
    HR__BINDING_STRUCTS(HR__STRUCT_ROW)
#undef HR__STRUCT_ROW
};

#define NSTRUCTS (sizeof structs / sizeof structs[0])

size_t hr_struct_size(const char *name) {
    if (!name)
        return 0;
    for (size_t i = 0; i < NSTRUCTS; i++)
        if (strcmp(structs[i].name, name) == 0)
            return structs[i].size;
    return 0;
}

size_t hr_struct_count(void) {
    return NSTRUCTS;
}

const char *hr_struct_name(size_t i) {
    return i < NSTRUCTS ? structs[i].name : NULL;
}
