/* gpu_backend.h: the contract of a GPU vendor backend, chosen at run time.
 *
 * Backends are listed explicitly in gpu.c's static table. Each entry returns
 * hr_status and writes detail into the context; none prints or exits. */
#ifndef HR_GPU_GPU_BACKEND_H
#define HR_GPU_GPU_BACKEND_H

#include "core/internal.h"

typedef struct hr__gpu_backend {
    const char *name; /* "nvml", "amd-sysfs", "apple-iokit"; also the source name */

    /* Loads the vendor library or finds the devices. On success *state is
     * the backend's private state and *ndev the device count (may be 0).
     * HR_ENOLIB (library missing), HR_ESYMBOL (too old) and HR_ENODEV (no
     * devices) mean "this backend adds no devices"; DETAIL says why in words. */
    hr_status (*init)(hr_ctx *ctx, void **state, int *ndev, char *detail, size_t cap);

    /* Fills the static fields (name, uuid, pci, limits, maxima) of device DEV
     * and sets vendor, backend and unified_memory. */
    hr_status (*read_static)(void *state, int dev, hr_gpu_info *out);

    /* Re-reads the dynamic fields of device DEV. A lost device sets out->lost
     * and marks its dynamic readings HR_WHY_DEVICE_LOST; it returns HR_OK. */
    hr_status (*refresh)(void *state, int dev, hr_gpu_info *out);

    /* Releases the state (closes the library). NULL state is allowed. */
    void (*shutdown)(void *state);
} hr__gpu_backend;

struct hr__gpu_state;

/* Runs every compiled-in backend, fills p->gpus and reports each backend as a
 * source. Returns HR_OK or HR_ENOMEM; a backend without devices is not an error. */
hr_status hr__gpu_open(hr_ctx *ctx, hr_probe *p, struct hr__gpu_state **out);

/* Re-reads every GPU's dynamic values. */
hr_status hr__gpu_refresh(struct hr__gpu_state *st, hr_probe *p);

/* Shuts the backends down and frees p->gpus. NULL is allowed. */
void hr__gpu_close(struct hr__gpu_state *st, hr_probe *p);

/* The backends, defined in their own files. */
extern const hr__gpu_backend hr__gpu_nvml;
extern const hr__gpu_backend hr__gpu_amd_sysfs;
extern const hr__gpu_backend hr__gpu_apple_iokit;

#endif /* HR_GPU_GPU_BACKEND_H */
