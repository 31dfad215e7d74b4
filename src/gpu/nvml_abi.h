/* nvml_abi.h: the part of the NVML ABI this project uses, declared locally so
 * that building needs neither the CUDA toolkit nor nvml.h (nvtop's approach).
 *
 * Everything here mirrors NVIDIA's nvml.h exactly: return codes, enum
 * values, struct layouts, versioned-struct version words and the C
 * signatures of the functions we resolve with dlsym. Sources: NVIDIA/go-nvml
 * gen/nvml/nvml.h (the header NVIDIA ships), cross-checked against
 * nvidia-ml-py and nvml-wrapper-sys; see docs/peers-and-sources.md 1.1.
 * The static asserts at the end pin the sizes and version words to the
 * numbers those sources state, so a typo here cannot silently shift a field.
 * The fake library in tests/fakes includes this header too; the asserts are
 * what keeps the two from agreeing on a wrong layout. */
#ifndef HR_GPU_NVML_ABI_H
#define HR_GPU_NVML_ABI_H

#include <stddef.h>

/* nvmlReturn_t: every NVML call returns one of these. */
typedef enum nvmlReturn_enum {
    NVML_SUCCESS = 0,
    NVML_ERROR_UNINITIALIZED = 1,
    NVML_ERROR_INVALID_ARGUMENT = 2,
    NVML_ERROR_NOT_SUPPORTED = 3,
    NVML_ERROR_NO_PERMISSION = 4,
    NVML_ERROR_ALREADY_INITIALIZED = 5,
    NVML_ERROR_NOT_FOUND = 6,
    NVML_ERROR_INSUFFICIENT_SIZE = 7,
    NVML_ERROR_INSUFFICIENT_POWER = 8,
    NVML_ERROR_DRIVER_NOT_LOADED = 9,
    NVML_ERROR_TIMEOUT = 10,
    NVML_ERROR_IRQ_ISSUE = 11,
    NVML_ERROR_LIBRARY_NOT_FOUND = 12,
    NVML_ERROR_FUNCTION_NOT_FOUND = 13,
    NVML_ERROR_CORRUPTED_INFOROM = 14,
    NVML_ERROR_GPU_IS_LOST = 15,
    NVML_ERROR_RESET_REQUIRED = 16,
    NVML_ERROR_OPERATING_SYSTEM = 17,
    NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18,
    NVML_ERROR_IN_USE = 19,
    NVML_ERROR_MEMORY = 20,
    NVML_ERROR_NO_DATA = 21,
    NVML_ERROR_VGPU_ECC_NOT_SUPPORTED = 22,
    NVML_ERROR_INSUFFICIENT_RESOURCES = 23,
    NVML_ERROR_FREQ_NOT_SUPPORTED = 24,
    NVML_ERROR_ARGUMENT_VERSION_MISMATCH = 25,
    NVML_ERROR_DEPRECATED = 26,
    NVML_ERROR_UNKNOWN = 999
} nvmlReturn_t;

/* An opaque device handle; only the driver knows what it points to. */
typedef struct nvmlDevice_st *nvmlDevice_t;

/* Buffer sizes the header guarantees to be large enough. */
#define NVML_DEVICE_NAME_V2_BUFFER_SIZE 96
#define NVML_DEVICE_UUID_V2_BUFFER_SIZE 96
#define NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE 80
#define NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE 32
#define NVML_DEVICE_PCI_BUS_ID_BUFFER_V2_SIZE 16

/* Version word of a versioned struct: its size in the low 24 bits, the
 * version in the top byte (nvml.h NVML_STRUCT_VERSION). */
#define NVML_STRUCT_VERSION(data, ver)                                                   \
    ((unsigned int)(sizeof(nvml##data##_v##ver##_t) | ((unsigned int)(ver) << 24U)))

/* nvmlDeviceGetMemoryInfo (v1). */
typedef struct nvmlMemory_st {
    unsigned long long total; /* bytes */
    unsigned long long free;  /* bytes */
    unsigned long long used;  /* bytes */
} nvmlMemory_t;

/* nvmlDeviceGetMemoryInfo_v2: adds the version word and the memory the
 * driver reserves; `used` includes `reserved`. */
typedef struct nvmlMemory_v2_st {
    unsigned int version; /* must be nvmlMemory_v2 */
    unsigned long long total;
    unsigned long long reserved;
    unsigned long long free;
    unsigned long long used;
} nvmlMemory_v2_t;
#define nvmlMemory_v2 NVML_STRUCT_VERSION(Memory, 2)

/* nvmlDeviceGetUtilizationRates: percent of the last sample period. */
typedef struct nvmlUtilization_st {
    unsigned int gpu;    /* a kernel was running */
    unsigned int memory; /* device memory was read or written */
} nvmlUtilization_t;

/* nvmlDeviceGetPciInfo_v3 layout. The older entry points (_v2 and the base
 * name) write the same first 36 bytes (a 16-byte bus id, then the numeric
 * fields) followed by reserved words, so one 68-byte buffer serves all three;
 * only _v3 fills `busId`. */
typedef struct nvmlPciInfo_st {
    char busIdLegacy[NVML_DEVICE_PCI_BUS_ID_BUFFER_V2_SIZE]; /* "0000:17:00.0" */
    unsigned int domain;         /* 0 .. 0xffffffff */
    unsigned int bus;            /* 0 .. 0xff */
    unsigned int device;         /* 0 .. 31 */
    unsigned int pciDeviceId;    /* device id << 16 | vendor id */
    unsigned int pciSubSystemId; /* subsystem device id */
    char busId[NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE]; /* "00000000:17:00.0" */
} nvmlPciInfo_t;

/* nvmlDeviceGetTemperature / nvmlTemperature_t.sensorType. */
typedef enum nvmlTemperatureSensors_enum {
    NVML_TEMPERATURE_GPU = 0,
    NVML_TEMPERATURE_COUNT
} nvmlTemperatureSensors_t;

/* nvmlDeviceGetTemperatureV (R550+): a versioned struct instead of an
 * unsigned out-parameter. */
typedef struct {
    unsigned int version; /* must be nvmlTemperature_v1 */
    nvmlTemperatureSensors_t sensorType;
    int temperature; /* degrees C */
} nvmlTemperature_v1_t;
typedef nvmlTemperature_v1_t nvmlTemperature_t;
#define nvmlTemperature_v1 NVML_STRUCT_VERSION(Temperature, 1)

/* nvmlDeviceGetTemperatureThreshold. */
typedef enum nvmlTemperatureThresholds_enum {
    NVML_TEMPERATURE_THRESHOLD_SHUTDOWN = 0,
    NVML_TEMPERATURE_THRESHOLD_SLOWDOWN = 1,
    NVML_TEMPERATURE_THRESHOLD_MEM_MAX = 2,
    NVML_TEMPERATURE_THRESHOLD_GPU_MAX = 3,
    NVML_TEMPERATURE_THRESHOLD_ACOUSTIC_MIN = 4,
    NVML_TEMPERATURE_THRESHOLD_ACOUSTIC_CURR = 5,
    NVML_TEMPERATURE_THRESHOLD_ACOUSTIC_MAX = 6,
    NVML_TEMPERATURE_THRESHOLD_GPS_CURR = 7,
    NVML_TEMPERATURE_THRESHOLD_COUNT
} nvmlTemperatureThresholds_t;

/* nvmlDeviceGetMarginTemperature: degrees C left before the nearest
 * slowdown threshold (negative when past it). */
typedef struct {
    unsigned int version; /* must be nvmlMarginTemperature_v1 */
    int marginTemperature;
} nvmlMarginTemperature_v1_t;
typedef nvmlMarginTemperature_v1_t nvmlMarginTemperature_t;
#define nvmlMarginTemperature_v1 NVML_STRUCT_VERSION(MarginTemperature, 1)

/* nvmlDeviceGetClockInfo / nvmlDeviceGetMaxClockInfo. */
typedef enum nvmlClockType_enum {
    NVML_CLOCK_GRAPHICS = 0,
    NVML_CLOCK_SM = 1,
    NVML_CLOCK_MEM = 2,
    NVML_CLOCK_VIDEO = 3,
    NVML_CLOCK_COUNT
} nvmlClockType_t;

/* nvmlDeviceGetPerformanceState. */
typedef enum nvmlPStates_enum {
    NVML_PSTATE_0 = 0,
    NVML_PSTATE_15 = 15,
    NVML_PSTATE_UNKNOWN = 32
} nvmlPstates_t;

/* nvmlFieldValue_t.valueType. */
typedef enum nvmlValueType_enum {
    NVML_VALUE_TYPE_DOUBLE = 0,
    NVML_VALUE_TYPE_UNSIGNED_INT = 1,
    NVML_VALUE_TYPE_UNSIGNED_LONG = 2,
    NVML_VALUE_TYPE_UNSIGNED_LONG_LONG = 3,
    NVML_VALUE_TYPE_SIGNED_LONG_LONG = 4,
    NVML_VALUE_TYPE_SIGNED_INT = 5,
    NVML_VALUE_TYPE_UNSIGNED_SHORT = 6,
    NVML_VALUE_TYPE_COUNT
} nvmlValueType_t;

typedef union nvmlValue_st {
    double dVal;
    int siVal;
    unsigned int uiVal;
    unsigned long ulVal;
    unsigned long long ullVal;
    signed long long sllVal;
    unsigned short usVal;
} nvmlValue_t;

/* One field of nvmlDeviceGetFieldValues. The caller sets fieldId (and
 * scopeId); the driver fills the rest, with a return code per field. */
typedef struct nvmlFieldValue_st {
    unsigned int fieldId;
    unsigned int scopeId;   /* e.g. an NVLink id; 0 here */
    long long timestamp;    /* CPU time of the value, microseconds since 1970 */
    long long latencyUsec;  /* how long the driver took to update it */
    nvmlValueType_t valueType;
    nvmlReturn_t nvmlReturn; /* check before reading value */
    nvmlValue_t value;
} nvmlFieldValue_t;

/* Field ids. 74 and 76 are the perf-policy counters that NVML also names
 * NVML_FI_DEV_CLOCKS_EVENT_REASON_SW_POWER_CAP and ..._SYNC_BOOST.
 *
 * Why 251..253 and not 269..271: the R570..R580 headers (nvidia-ml-py 12.570,
 * nvml-wrapper-sys) and nvidia-smi 580 use 251/252/253 for the SW thermal,
 * HW thermal and HW power-brake counters; a CUDA 13 header reportedly moved
 * them to 269..271, which those drivers answer as power-smoothing settings
 * (NVIDIA/k8s-test-infra PR #691). A field id is interpreted by the driver,
 * not the header, so we ask what the drivers in use answer. */
#define NVML_FI_DEV_MEMORY_TEMP 82                                   /* degrees C */
#define NVML_FI_DEV_PERF_POLICY_POWER 74                             /* ns */
#define NVML_FI_DEV_PERF_POLICY_SYNC_BOOST 76                        /* ns */
#define NVML_FI_DEV_CLOCKS_EVENT_REASON_SW_THERM_SLOWDOWN 251        /* ns */
#define NVML_FI_DEV_CLOCKS_EVENT_REASON_HW_THERM_SLOWDOWN 252        /* ns */
#define NVML_FI_DEV_CLOCKS_EVENT_REASON_HW_POWER_BRAKE_SLOWDOWN 253  /* ns */

/* The C signatures of the functions we resolve. Names are the types of the
 * sym_ slots in nvidia_nvml.c; the fake checks its definitions against them. */
typedef nvmlReturn_t (*nvml_fn_void)(void);
typedef const char *(*nvml_fn_error_string)(nvmlReturn_t result);
typedef nvmlReturn_t (*nvml_fn_driver_version)(char *version, unsigned int length);
typedef nvmlReturn_t (*nvml_fn_count)(unsigned int *deviceCount);
typedef nvmlReturn_t (*nvml_fn_handle)(unsigned int index, nvmlDevice_t *device);
typedef nvmlReturn_t (*nvml_fn_string)(nvmlDevice_t device, char *buf, unsigned int length);
typedef nvmlReturn_t (*nvml_fn_pci)(nvmlDevice_t device, nvmlPciInfo_t *pci);
typedef nvmlReturn_t (*nvml_fn_memory)(nvmlDevice_t device, nvmlMemory_t *memory);
typedef nvmlReturn_t (*nvml_fn_memory_v2)(nvmlDevice_t device, nvmlMemory_v2_t *memory);
typedef nvmlReturn_t (*nvml_fn_util)(nvmlDevice_t device, nvmlUtilization_t *utilization);
typedef nvmlReturn_t (*nvml_fn_temp)(nvmlDevice_t device, nvmlTemperatureSensors_t sensor,
                                     unsigned int *temp);
typedef nvmlReturn_t (*nvml_fn_temp_v)(nvmlDevice_t device, nvmlTemperature_t *temperature);
typedef nvmlReturn_t (*nvml_fn_threshold)(nvmlDevice_t device,
                                          nvmlTemperatureThresholds_t thresholdType,
                                          unsigned int *temp);
typedef nvmlReturn_t (*nvml_fn_margin)(nvmlDevice_t device, nvmlMarginTemperature_t *margin);
typedef nvmlReturn_t (*nvml_fn_u32)(nvmlDevice_t device, unsigned int *value);
typedef nvmlReturn_t (*nvml_fn_u64)(nvmlDevice_t device, unsigned long long *value);
typedef nvmlReturn_t (*nvml_fn_clock)(nvmlDevice_t device, nvmlClockType_t type,
                                      unsigned int *clock);
typedef nvmlReturn_t (*nvml_fn_pstate)(nvmlDevice_t device, nvmlPstates_t *pState);
typedef nvmlReturn_t (*nvml_fn_fields)(nvmlDevice_t device, int valuesCount,
                                       nvmlFieldValue_t *values);

/* Layout pins: sizes and version words as the NVIDIA header yields them on
 * LP64 (nvmlMarginTemperature_v1 = 0x1000008 in nvidia-ml-py; a field value
 * is 40 bytes with its value at offset 32). */
_Static_assert(sizeof(nvmlMemory_t) == 24, "nvmlMemory_t layout");
_Static_assert(sizeof(nvmlMemory_v2_t) == 40, "nvmlMemory_v2_t layout");
_Static_assert(offsetof(nvmlMemory_v2_t, total) == 8, "nvmlMemory_v2_t layout");
_Static_assert(sizeof(nvmlPciInfo_t) == 68, "nvmlPciInfo_t v3 layout");
_Static_assert(offsetof(nvmlPciInfo_t, domain) == 16, "nvmlPciInfo_t layout");
_Static_assert(offsetof(nvmlPciInfo_t, busId) == 36, "nvmlPciInfo_t layout");
_Static_assert(sizeof(nvmlTemperature_t) == 12, "nvmlTemperature_v1_t layout");
_Static_assert(sizeof(nvmlMarginTemperature_t) == 8, "nvmlMarginTemperature_v1_t layout");
_Static_assert(sizeof(nvmlFieldValue_t) == 40, "nvmlFieldValue_t layout");
_Static_assert(offsetof(nvmlFieldValue_t, valueType) == 24, "nvmlFieldValue_t layout");
_Static_assert(offsetof(nvmlFieldValue_t, value) == 32, "nvmlFieldValue_t layout");
_Static_assert(sizeof(nvmlReturn_t) == 4, "enums are int-sized in the NVML ABI");
_Static_assert(nvmlMemory_v2 == 0x02000028u, "nvmlMemory_v2 version word");
_Static_assert(nvmlTemperature_v1 == 0x0100000Cu, "nvmlTemperature_v1 version word");
_Static_assert(nvmlMarginTemperature_v1 == 0x01000008u, "nvmlMarginTemperature_v1 version word");

#endif /* HR_GPU_NVML_ABI_H */
