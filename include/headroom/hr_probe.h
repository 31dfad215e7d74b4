/* hr_probe.h: what this machine is and what its sensors say right now.
 *
 * A probe is opened once on a context (hr_probe_open), which discovers the
 * host, its sensors and its GPUs and reads every value once. hr_probe_refresh
 * re-reads the dynamic values through descriptors kept open since discovery;
 * rates (utilisation, power from energy counters) need two reads and are
 * "unknown (needs interval)" after the first.
 *
 * Every measured value is an hr_reading: a value plus the reason it is
 * unknown (a zeroed reading is HR_WHY_NOT_READ). A reading whose `why` is not HR_WHY_KNOWN has
 * value 0 and that 0 means nothing: unknown is never zero. Units are in the field names: _mc
 * millidegrees Celsius, _mw milliwatts, _uj/_mj micro/millijoules, _bytes bytes, _mhz megahertz,
 * _ppm parts per million of a ratio (1000000 = 100 %), _ns nanoseconds, _rpm revolutions per
 * minute. */
#ifndef HR_PROBE_H
#define HR_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "hr_export.h"
#include "hr_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Why a reading is unknown: X(enum, number, short name, text). Numbers are
 * forever, as with hr_status. */
/* Code 0 is "not read", so that a zero-initialised reading is unknown, never a
 * valid 0: a source that forgets a field cannot make up a value. */
#define HR_WHY_MAP(X)                                                                              \
    X(HR_WHY_NOT_READ, 0, "not_read", "not read")                                                  \
    X(HR_WHY_KNOWN, 1, "known", "known")                                                           \
    X(HR_WHY_ABSENT, 2, "absent", "not present on this machine")                                   \
    X(HR_WHY_NO_PERMISSION, 3, "no_permission", "needs permission")                                \
    X(HR_WHY_NOT_SUPPORTED, 4, "not_supported", "not supported by this device or driver")          \
    X(HR_WHY_NO_LIBRARY, 5, "no_library", "vendor library not found")                              \
    X(HR_WHY_UNREADABLE, 6, "unreadable", "present but its content is not a valid value")          \
    X(HR_WHY_DEVICE_LOST, 7, "device_lost", "device lost")                                         \
    X(HR_WHY_NEEDS_INTERVAL, 8, "needs_interval", "needs a second sample")                         \
    X(HR_WHY_DRIVER_ERROR, 9, "driver_error", "driver call failed")                                \
    X(HR_WHY_VANISHED, 10, "vanished", "disappeared after discovery")                              \
    X(HR_WHY_UNLIMITED, 11, "unlimited", "no limit set")                                           \
    X(HR_WHY_SYMBOL_MISSING, 12, "symbol_missing", "driver too old for this query")                \
    X(HR_WHY_NOT_APPLICABLE, 13, "not_applicable", "does not apply on this platform")              \
    X(HR_WHY_IO_ERROR, 14, "io_error", "read failed")

typedef enum hr_why {
#define HR__WHY_ENUM(name, num, id, text) name = num,
    HR_WHY_MAP(HR__WHY_ENUM)
#undef HR__WHY_ENUM
        HR_WHY_LAST
} hr_why;

/* One measured value. `err` keeps the errno or vendor code behind an unknown
 * value (0 when none), so nothing is lost between the source and the user. */
typedef struct hr_reading {
    int64_t v;   /* the value, in the unit named by the field; 0 when unknown */
    int32_t why; /* hr_why; HR_WHY_KNOWN when v is meaningful */
    int32_t err; /* errno or vendor return code behind `why`, else 0 */
} hr_reading;

#define HR_IS_KNOWN(r) ((r).why == HR_WHY_KNOWN)

/* Memory (and thermal) pressure levels shared by Linux PSI and macOS. */
typedef enum hr_pressure {
    HR_PRESSURE_NORMAL = 0,
    HR_PRESSURE_WARN = 1,
    HR_PRESSURE_CRITICAL = 2
} hr_pressure;

/* macOS thermal pressure levels, as published by the notify key
 * com.apple.system.thermalpressurelevel. */
typedef enum hr_thermal_pressure {
    HR_THERMAL_NOMINAL = 0,
    HR_THERMAL_MODERATE = 1,
    HR_THERMAL_HEAVY = 2,
    HR_THERMAL_TRAPPING = 3,
    HR_THERMAL_SLEEPING = 4
} hr_thermal_pressure;

typedef struct hr_host_info {
    char os[32];         /* "linux", "macos" */
    char os_release[64]; /* distribution or macOS product version; "" if unknown */
    char kernel[96];     /* uname release */
    char arch[16];       /* uname machine: "x86_64", "aarch64", "arm64" */
    char hostname[64];
    char machine_model[96];       /* DMI product name or hw.model; "" if unknown */
    char cpu_model[128];          /* /proc/cpuinfo model name or machdep.cpu.brand_string */
    hr_reading cpus_logical;      /* online logical CPUs */
    hr_reading cores_physical;    /* distinct (package, core) pairs */
    hr_reading packages;          /* CPU sockets */
    hr_reading cores_performance; /* Apple P cores (hw.perflevel0.physicalcpu) */
    hr_reading cores_efficiency;  /* Apple E cores (hw.perflevel1.physicalcpu) */
    hr_reading uptime_ns;
} hr_host_info;

/* One logical CPU. */
typedef struct hr_cpu_core {
    int32_t cpu; /* logical CPU number */
    int32_t reserved;
    hr_reading util_ppm;       /* busy share since the previous read (not idle, not iowait) */
    hr_reading iowait_ppm;     /* iowait share since the previous read */
    hr_reading clock_mhz;      /* cpufreq scaling_cur_freq */
    hr_reading clock_max_mhz;  /* cpufreq cpuinfo_max_freq */
    hr_reading throttle_count; /* thermal_throttle/core_throttle_count */
} hr_cpu_core;

/* Whole-CPU view, derived from the cores and the sensors. */
typedef struct hr_cpu_info {
    hr_reading util_ppm; /* aggregate "cpu" line of /proc/stat */
    hr_reading iowait_ppm;
    hr_reading temp_mc;                /* the best CPU temperature (package, Tctl, ...) */
    hr_reading temp_crit_mc;           /* its critical limit or trip point */
    hr_reading package_throttle_count; /* sum of package_throttle_count over packages */
    hr_reading power_mw;               /* RAPL package power from the energy delta */
    char temp_source[64];              /* e.g. "hwmon coretemp Package id 0"; "" if unknown */
} hr_cpu_info;

/* Linux pressure stall information for one resource. */
typedef struct hr_psi {
    hr_reading some_avg10_ppm; /* share of time some task stalled, 10 s average */
    hr_reading some_avg60_ppm;
    hr_reading full_avg10_ppm; /* share of time all tasks stalled (absent for cpu on old kernels) */
    hr_reading some_total_us;  /* cumulative stall time */
} hr_psi;

typedef struct hr_mem_info {
    hr_reading total_bytes;     /* MemTotal / hw.memsize */
    hr_reading available_bytes; /* MemAvailable / free+inactive+purgeable pages */
    hr_reading swap_total_bytes;
    hr_reading swap_free_bytes;
    hr_reading cgroup_limit_bytes; /* effective limit; why HR_WHY_UNLIMITED when "max" */
    hr_reading cgroup_usage_bytes;
    hr_reading budget_bytes; /* what a new job can use: available within the cgroup limit */
    hr_psi psi_memory;
    hr_psi psi_cpu;
    hr_psi psi_io;
    hr_reading pressure_level;     /* hr_pressure: from PSI on Linux, memorystatus on macOS */
    hr_reading vm_pressure_level;  /* macOS kern.memorystatus_vm_pressure_level (1/2/4) */
    hr_reading memorystatus_level; /* macOS kern.memorystatus_level, percent free */
    hr_reading thermal_pressure;   /* hr_thermal_pressure; macOS only */
    int32_t cgroup_version;        /* 1 or 2; 0 when no cgroup memory controller was found */
    int32_t reserved;
} hr_mem_info;

typedef enum hr_sensor_kind {
    HR_SENSOR_TEMP = 0,    /* value/max/crit in _mc */
    HR_SENSOR_FAN = 1,     /* value in _rpm */
    HR_SENSOR_POWER = 2,   /* value/max/crit in _mw */
    HR_SENSOR_ENERGY = 3,  /* value in _uj, cumulative */
    HR_SENSOR_VOLTAGE = 4, /* value in millivolts */
    HR_SENSOR_CURRENT = 5  /* value in milliamperes */
} hr_sensor_kind;

/* One hwmon input (Linux) or SMC/HID sensor. */
typedef struct hr_sensor {
    char chip[32];   /* hwmon name: "coretemp", "k10temp", "amdgpu", "acpitz" */
    char label[64];  /* tempN_label, or "temp1" when the chip gives no label */
    char device[64]; /* hwmon directory, e.g. "hwmon3" */
    int32_t kind;    /* hr_sensor_kind */
    int32_t reserved;
    hr_reading value; /* the _input value in the kind's unit */
    hr_reading max;   /* _max, same unit */
    hr_reading crit;  /* _crit, same unit */
} hr_sensor;

#define HR_MAX_TRIPS 12

typedef struct hr_trip_point {
    char type[16]; /* "critical", "hot", "passive", "active" */
    hr_reading temp_mc;
} hr_trip_point;

typedef struct hr_thermal_zone {
    char name[32]; /* "thermal_zone0" */
    char type[32]; /* "x86_pkg_temp", "acpitz", ... */
    hr_reading temp_mc;
    int32_t ntrips;
    int32_t reserved;
    hr_trip_point trips[HR_MAX_TRIPS];
} hr_thermal_zone;

/* One RAPL (powercap) domain. */
typedef struct hr_rapl_domain {
    char name[32];                  /* "package-0", "core", "dram", "psys" */
    char path[64];                  /* "intel-rapl:0" */
    hr_reading energy_uj;           /* raw counter */
    hr_reading max_energy_range_uj; /* wrap point of the counter */
    hr_reading power_mw;            /* from the delta between reads, wrap handled */
} hr_rapl_domain;

typedef enum hr_gpu_vendor {
    HR_GPU_NVIDIA = 0,
    HR_GPU_AMD = 1,
    HR_GPU_APPLE = 2,
    HR_GPU_OTHER = 3
} hr_gpu_vendor;

/* NVML clock-event ("throttle") reason bits, docs/peers-and-sources.md 1.1. */
#define HR_THROTTLE_GPU_IDLE 0x1ull
#define HR_THROTTLE_APP_CLOCKS 0x2ull
#define HR_THROTTLE_SW_POWER_CAP 0x4ull
#define HR_THROTTLE_HW_SLOWDOWN 0x8ull
#define HR_THROTTLE_SYNC_BOOST 0x10ull
#define HR_THROTTLE_SW_THERMAL 0x20ull
#define HR_THROTTLE_HW_THERMAL 0x40ull
#define HR_THROTTLE_HW_POWER_BRAKE 0x80ull
#define HR_THROTTLE_DISPLAY_CLOCKS 0x100ull
#define HR_THROTTLE_BOARD_LIMIT 0x200ull
#define HR_THROTTLE_RELIABILITY 0x400ull
#define HR_THROTTLE_THERMAL_MASK (HR_THROTTLE_SW_THERMAL | HR_THROTTLE_HW_THERMAL)
#define HR_THROTTLE_POWER_MASK (HR_THROTTLE_SW_POWER_CAP | HR_THROTTLE_HW_POWER_BRAKE)

/* Cumulative throttle-time counters (NVML field values 74, 76, 251, 252, 253;
 * docs/peers-and-sources.md lists 269-271, which R570+ drivers use for power
 * smoothing instead). */
typedef enum hr_throttle_counter {
    HR_TCOUNT_SW_POWER = 0,
    HR_TCOUNT_SYNC_BOOST = 1,
    HR_TCOUNT_SW_THERMAL = 2,
    HR_TCOUNT_HW_THERMAL = 3,
    HR_TCOUNT_HW_POWER_BRAKE = 4,
    HR_TCOUNT_COUNT = 5
} hr_throttle_counter;

typedef struct hr_gpu_info {
    int32_t index;          /* position in hr_probe.gpus */
    int32_t vendor;         /* hr_gpu_vendor */
    int32_t lost;           /* 1 once the device answered "GPU is lost" */
    int32_t unified_memory; /* 1 when the GPU shares system memory (Apple, APUs) */
    char backend[16];       /* "nvml", "amd-sysfs", "apple-iokit" */
    char name[96];
    char uuid[96];
    char pci_bus[32]; /* "0000:17:00.0" */
    char driver_version[32];
    hr_reading mem_total_bytes;
    hr_reading mem_used_bytes;
    hr_reading mem_free_bytes;
    hr_reading util_ppm;     /* share of time a kernel ran */
    hr_reading mem_util_ppm; /* share of time memory was read or written */
    hr_reading temp_mc;
    hr_reading temp_slowdown_mc; /* where the driver starts slowing clocks */
    hr_reading temp_shutdown_mc;
    hr_reading temp_max_mc;     /* GPU max operating temperature */
    hr_reading temp_margin_mc;  /* distance to the nearest slowdown threshold */
    hr_reading temp_hotspot_mc; /* AMD junction */
    hr_reading temp_mem_mc;
    hr_reading power_mw;
    hr_reading power_limit_mw; /* enforced limit */
    hr_reading energy_mj;      /* cumulative since driver load */
    hr_reading clock_sm_mhz;
    hr_reading clock_sm_max_mhz;
    hr_reading clock_mem_mhz;
    hr_reading clock_mem_max_mhz;
    hr_reading pstate;                            /* 0 (max performance) .. 15 */
    hr_reading fan_pct;                           /* percent of maximum speed, 0..100 */
    hr_reading throttle_reasons;                  /* bitmask of HR_THROTTLE_* now active */
    hr_reading throttle_supported;                /* bitmask the board can report */
    hr_reading throttle_time_ns[HR_TCOUNT_COUNT]; /* cumulative, by hr_throttle_counter */
} hr_gpu_info;

/* The accelerator a PyTorch user has here and the memory budget that applies. */
typedef enum hr_accel_kind {
    HR_ACCEL_CPU = 0,
    HR_ACCEL_CUDA = 1,
    HR_ACCEL_ROCM = 2,
    HR_ACCEL_MPS = 3
} hr_accel_kind;

typedef struct hr_accel_info {
    int32_t kind;           /* hr_accel_kind */
    int32_t gpu_index;      /* index into hr_probe.gpus, -1 for CPU */
    int32_t unified_memory; /* 1 when the budget is shared with the CPU */
    int32_t reserved;
    char torch_device[16];    /* "cuda:0", "mps", "cpu" */
    hr_reading budget_bytes;  /* memory a new job can use on that device now */
    hr_reading ceiling_bytes; /* most it could ever use: VRAM total, Metal working set, RAM limit */
    char budget_source[96];   /* how the budget was derived, in words */
} hr_accel_info;

typedef enum hr_source_state {
    HR_SOURCE_ANSWERED = 0, /* every value it offers was read */
    HR_SOURCE_PARTIAL = 1,  /* some values were read, some are unknown */
    HR_SOURCE_ABSENT = 2,   /* nothing to read here (no such hardware, library missing) */
    HR_SOURCE_FAILED = 3    /* present but could not be read */
} hr_source_state;

/* One source of values and how it fared on the latest read. */
typedef struct hr_source_report {
    char name[32];    /* "proc/stat", "hwmon", "nvml", "cgroup", ... */
    int32_t state;    /* hr_source_state */
    int32_t why;      /* hr_why when not answered */
    char detail[160]; /* in words: what was found or why not */
} hr_source_report;

struct hr__probe_state;

/* The probe result. Arrays are owned by the probe; the struct is valid until
 * hr_probe_free. Fields may be appended in later ABI versions; `size` is the
 * size of this struct as the library built it. */
typedef struct hr_probe {
    size_t size;
    int64_t t_mono_ns; /* CLOCK_MONOTONIC of the latest read */
    int64_t t_wall_ns; /* CLOCK_REALTIME (UTC) of the latest read */
    hr_host_info host;
    hr_cpu_info cpu;
    hr_mem_info mem;
    hr_accel_info accel;
    hr_cpu_core *cores;
    size_t ncores;
    hr_sensor *sensors;
    size_t nsensors;
    hr_thermal_zone *zones;
    size_t nzones;
    hr_rapl_domain *rapl;
    size_t nrapl;
    hr_gpu_info *gpus;
    size_t ngpus;
    hr_source_report *sources;
    size_t nsources;
    struct hr__probe_state *priv; /* library-private; do not touch */
} hr_probe;

typedef struct hr_ctx hr_ctx;

/* Creates a context reading the real machine (root "/"). The environment
 * variables HEADROOM_ROOT and HEADROOM_NVML_LIBRARY preset the root and the
 * NVML library path. Returns HR_OK, HR_EINVAL (out NULL) or HR_ENOMEM. */
HR_EXTERN hr_status hr_ctx_new(hr_ctx **out);

/* Frees a context and everything it owns. NULL is allowed. Probes opened on
 * the context must be freed first. */
HR_EXTERN void hr_ctx_free(hr_ctx *ctx);

/* Reads files from DIR/sys and DIR/proc instead of /sys and /proc (fixture
 * trees, containers). Returns HR_EINVAL when DIR is not a readable directory;
 * the detail names DIR and the errno. */
HR_EXTERN hr_status hr_ctx_set_root(hr_ctx *ctx, const char *dir);

/* The root in use; "/" by default. */
HR_EXTERN const char *hr_ctx_root(const hr_ctx *ctx);

/* Loads NVML from PATH instead of libnvidia-ml.so.1. NULL restores the default. */
HR_EXTERN hr_status hr_ctx_set_nvml_library(hr_ctx *ctx, const char *path);

/* The detail message of the latest failure on this context ("" if none).
 * Valid until the next call on the context. Not thread-safe across threads
 * sharing one context. */
HR_EXTERN const char *hr_ctx_last_error(const hr_ctx *ctx);

/* Discovers the machine and reads every value once. A missing sensor is not
 * an error: it is an unknown reading with its reason. Returns HR_OK, HR_EINVAL,
 * HR_ENOMEM, or HR_EIO when not even the basic host facts could be read (the
 * detail says which). */
HR_EXTERN hr_status hr_probe_open(hr_ctx *ctx, hr_probe **out);

/* Re-reads the dynamic values (utilisation, memory, temperatures, power,
 * clocks, GPU state) through descriptors kept since hr_probe_open. Rates
 * become known from the second read on. Returns HR_OK or HR_EINVAL. */
HR_EXTERN hr_status hr_probe_refresh(hr_probe *probe);

/* Frees the probe, closing its descriptors. NULL is allowed. */
HR_EXTERN void hr_probe_free(hr_probe *probe);

/* Serialises the probe as the documented JSON schema (docs/PROBE.md) in base
 * units: celsius, watts, joules, bytes, hertz, ratios. Unknown values are
 * absent from their object and listed in its "unknown" map with the reason.
 * *out is allocated with malloc and freed with hr_free. Returns HR_OK,
 * HR_EINVAL or HR_ENOMEM. */
HR_EXTERN hr_status hr_probe_to_json(const hr_probe *probe, int indent, char **out);

/* Frees memory the library returned to the caller. NULL is allowed. */
HR_EXTERN void hr_free(void *p);

/* The why code's text, e.g. "needs permission". Never NULL. */
HR_EXTERN const char *hr_why_text(int why);

/* The why code's short name, e.g. "no_permission". Never NULL. */
HR_EXTERN const char *hr_why_name(int why);

/* The names of the throttle reason bits set in MASK, comma-separated, written
 * into BUF (always NUL-terminated). Unknown bits are written as "other(0x...)".
 * Returns the number of reasons written. */
HR_EXTERN int hr_throttle_reasons_text(uint64_t mask, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* HR_PROBE_H */
