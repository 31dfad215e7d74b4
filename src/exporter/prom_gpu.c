/* prom_gpu.c: the GPU, accelerator, RLE and job families of the
 * exposition. GPUs are labelled index, uuid and name; throttle reasons are
 * one 0/1 gauge per reason the board reports, plus the cumulative
 * throttle-time counters where the hardware keeps them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "exporter/prom_text.h"

#define OFF(type, field) offsetof(type, field)
#define NFAM(a) (sizeof(a) / sizeof((a)[0]))

static const hr__pfam gpu_fams[] = {
    {"headroom_gpu_memory_total_bytes", HR__GAUGE, "GPU memory.", OFF(hr_gpu_info, mem_total_bytes),
     0},
    {"headroom_gpu_memory_used_bytes", HR__GAUGE, "GPU memory in use.",
     OFF(hr_gpu_info, mem_used_bytes), 0},
    {"headroom_gpu_memory_free_bytes", HR__GAUGE, "GPU memory free.",
     OFF(hr_gpu_info, mem_free_bytes), 0},
    {"headroom_gpu_utilization_ratio", HR__GAUGE,
     "Share of time a kernel ran on the GPU over the driver's sampling window.",
     OFF(hr_gpu_info, util_ppm), -6},
    {"headroom_gpu_memory_utilization_ratio", HR__GAUGE,
     "Share of time GPU memory was read or written.", OFF(hr_gpu_info, mem_util_ppm), -6},
    {"headroom_gpu_temperature_celsius", HR__GAUGE, "GPU temperature.", OFF(hr_gpu_info, temp_mc),
     -3},
    {"headroom_gpu_temperature_slowdown_celsius", HR__GAUGE,
     "Temperature where the driver starts slowing the clocks.", OFF(hr_gpu_info, temp_slowdown_mc),
     -3},
    {"headroom_gpu_temperature_shutdown_celsius", HR__GAUGE,
     "Temperature where the GPU shuts down.", OFF(hr_gpu_info, temp_shutdown_mc), -3},
    {"headroom_gpu_temperature_max_celsius", HR__GAUGE, "Maximum operating temperature.",
     OFF(hr_gpu_info, temp_max_mc), -3},
    {"headroom_gpu_temperature_margin_celsius", HR__GAUGE,
     "Distance to the nearest slowdown threshold.", OFF(hr_gpu_info, temp_margin_mc), -3},
    {"headroom_gpu_hotspot_temperature_celsius", HR__GAUGE, "Junction (hotspot) temperature.",
     OFF(hr_gpu_info, temp_hotspot_mc), -3},
    {"headroom_gpu_memory_temperature_celsius", HR__GAUGE, "GPU memory temperature.",
     OFF(hr_gpu_info, temp_mem_mc), -3},
    {"headroom_gpu_power_watts", HR__GAUGE, "GPU power draw.", OFF(hr_gpu_info, power_mw), -3},
    {"headroom_gpu_power_limit_watts", HR__GAUGE, "Enforced power limit.",
     OFF(hr_gpu_info, power_limit_mw), -3},
    {"headroom_gpu_energy_joules_total", HR__COUNTER, "GPU energy since the driver loaded.",
     OFF(hr_gpu_info, energy_mj), -3},
    {"headroom_gpu_sm_clock_hertz", HR__GAUGE, "Streaming multiprocessor (graphics) clock.",
     OFF(hr_gpu_info, clock_sm_mhz), 6},
    {"headroom_gpu_sm_clock_max_hertz", HR__GAUGE, "Highest SM clock.",
     OFF(hr_gpu_info, clock_sm_max_mhz), 6},
    {"headroom_gpu_memory_clock_hertz", HR__GAUGE, "Memory clock.", OFF(hr_gpu_info, clock_mem_mhz),
     6},
    {"headroom_gpu_memory_clock_max_hertz", HR__GAUGE, "Highest memory clock.",
     OFF(hr_gpu_info, clock_mem_max_mhz), 6},
    {"headroom_gpu_pstate", HR__GAUGE, "Performance state, 0 (fastest) to 15.",
     OFF(hr_gpu_info, pstate), 0},
    {"headroom_gpu_fan_speed_ratio", HR__GAUGE, "Fan speed as a share of its maximum.",
     OFF(hr_gpu_info, fan_pct), -2},
};

/* Per GPU: its index as text, for the label. */
typedef struct gpu_labels {
    char (*index)[16];
} gpu_labels;

static void label_gpu(const void *elem, size_t i, hr__plabels *ls, void *user) {
    const hr_gpu_info *g = elem;
    gpu_labels *gl = user;
    hr__plabels_add(ls, "index", gl->index[i]);
    hr__plabels_add(ls, "uuid", g->uuid);
    hr__plabels_add(ls, "name", g->name);
}

static const char *const vendor_names[] = {"nvidia", "amd", "apple", "other"};

static void write_gpu_info(hr__pw *w, const hr_probe *p, gpu_labels *gl) {
    hr__pw_family(w, "headroom_gpu_info", HR__GAUGE,
                  "Always 1: vendor, backend, PCI bus and driver version of each GPU.");
    for (size_t i = 0; i < p->ngpus; i++) {
        const hr_gpu_info *g = &p->gpus[i];
        hr__plabels ls = {.n = 0};
        label_gpu(g, i, &ls, gl);
        hr__plabels_add(&ls, "vendor",
                        g->vendor >= 0 && g->vendor < 4 ? vendor_names[g->vendor] : "other");
        hr__plabels_add(&ls, "backend", g->backend);
        hr__plabels_add(&ls, "pci_bus", g->pci_bus);
        hr__plabels_add(&ls, "driver_version", g->driver_version);
        hr__pw_sample(w, &ls, 1, 0);
    }
    hr__pw_family(w, "headroom_gpu_lost", HR__GAUGE,
                  "1 once the GPU answered \"GPU is lost\"; its other values are then left out.");
    for (size_t i = 0; i < p->ngpus; i++) {
        hr__plabels ls = {.n = 0};
        label_gpu(&p->gpus[i], i, &ls, gl);
        hr__pw_sample(w, &ls, p->gpus[i].lost ? 1 : 0, 0);
    }
}

/* The reason bits, in NVML order (HR_THROTTLE_*). */
#define THROTTLE_BITS 11

/* The reasons a GPU's gauge covers: the bits its board can report, or all
 * when it does not say, plus any bit now active. 0 when the active reasons
 * are unknown (nothing is written then). */
static uint64_t throttle_cover(const hr_gpu_info *g) {
    if (!HR_IS_KNOWN(g->throttle_reasons))
        return 0;
    uint64_t all = (1ull << THROTTLE_BITS) - 1;
    uint64_t cover = HR_IS_KNOWN(g->throttle_supported) ? (uint64_t)g->throttle_supported.v : all;
    return (cover | (uint64_t)g->throttle_reasons.v) & all;
}

/* Counter hr_throttle_counter -> its reason bit, so that both families
 * share the `reason` label values. */
static const uint64_t tcount_bit[HR_TCOUNT_COUNT] = {
    [HR_TCOUNT_SW_POWER] = HR_THROTTLE_SW_POWER_CAP,
    [HR_TCOUNT_SYNC_BOOST] = HR_THROTTLE_SYNC_BOOST,
    [HR_TCOUNT_SW_THERMAL] = HR_THROTTLE_SW_THERMAL,
    [HR_TCOUNT_HW_THERMAL] = HR_THROTTLE_HW_THERMAL,
    [HR_TCOUNT_HW_POWER_BRAKE] = HR_THROTTLE_HW_POWER_BRAKE,
};

static void write_throttle(hr__pw *w, const hr_probe *p, gpu_labels *gl) {
    char names[THROTTLE_BITS][40];
    for (int b = 0; b < THROTTLE_BITS; b++)
        hr_throttle_reasons_text(1ull << b, names[b], sizeof names[b]);
    hr__pw_family(w, "headroom_gpu_throttle_active", HR__GAUGE,
                  "1 while the reason holds the GPU's clocks down (NVML clock-event reasons), "
                  "else 0; one series per reason the board reports.");
    for (size_t i = 0; i < p->ngpus; i++) {
        const hr_gpu_info *g = &p->gpus[i];
        uint64_t cover = g->lost ? 0 : throttle_cover(g);
        for (int b = 0; b < THROTTLE_BITS; b++) {
            if (!(cover & (1ull << b)))
                continue;
            hr__plabels ls = {.n = 0};
            label_gpu(g, i, &ls, gl);
            hr__plabels_add(&ls, "reason", names[b]);
            hr__pw_sample(w, &ls, ((uint64_t)g->throttle_reasons.v >> b) & 1u, 0);
        }
    }
    hr__pw_family(w, "headroom_gpu_throttle_seconds_total", HR__COUNTER,
                  "Cumulative time the reason held the clocks down, where the GPU counts it.");
    for (size_t i = 0; i < p->ngpus; i++) {
        const hr_gpu_info *g = &p->gpus[i];
        for (int c = 0; c < HR_TCOUNT_COUNT && !g->lost; c++) {
            if (!HR_IS_KNOWN(g->throttle_time_ns[c]))
                continue;
            char name[40];
            hr_throttle_reasons_text(tcount_bit[c], name, sizeof name);
            hr__plabels ls = {.n = 0};
            label_gpu(g, i, &ls, gl);
            hr__plabels_add(&ls, "reason", name);
            hr__pw_sample(w, &ls, g->throttle_time_ns[c].v, -9);
        }
    }
}

static void write_accel(hr__pw *w, const hr_probe *p) {
    static const char *const kinds[] = {"cpu", "cuda", "rocm", "mps"};
    const hr_accel_info *a = &p->accel;
    hr__plabels ls = {.n = 0};
    hr__plabels_add(&ls, "device", a->torch_device);
    hr__plabels_add(&ls, "kind", a->kind >= 0 && a->kind < 4 ? kinds[a->kind] : "cpu");
    hr__pw_family(w, "headroom_accelerator_budget_bytes", HR__GAUGE,
                  "Memory a new job can use on the accelerator PyTorch would pick.");
    if (HR_IS_KNOWN(a->budget_bytes))
        hr__pw_sample(w, &ls, a->budget_bytes.v, 0);
    hr__pw_family(w, "headroom_accelerator_ceiling_bytes", HR__GAUGE,
                  "Most memory a job could ever use there (VRAM, Metal working set, RAM limit).");
    if (HR_IS_KNOWN(a->ceiling_bytes))
        hr__pw_sample(w, &ls, a->ceiling_bytes.v, 0);
}

void hr__prom_write_gpus(hr__pw *w, const hr_probe *p) {
    if (p->ngpus) {
        gpu_labels gl = {calloc(p->ngpus, sizeof *gl.index)};
        if (!gl.index) {
            w->b.oom = 1;
            return;
        }
        for (size_t i = 0; i < p->ngpus; i++)
            snprintf(gl.index[i], sizeof gl.index[i], "%d", (int)p->gpus[i].index);
        write_gpu_info(w, p, &gl);
        /* A lost GPU's last readings are not served as current. */
        unsigned char *skip = calloc(p->ngpus, 1);
        if (!skip) {
            free(gl.index);
            w->b.oom = 1;
            return;
        }
        for (size_t i = 0; i < p->ngpus; i++)
            skip[i] = p->gpus[i].lost != 0;
        hr__prom_table(w, gpu_fams, NFAM(gpu_fams), p->gpus, p->ngpus, sizeof *p->gpus, label_gpu,
                       &gl, skip);
        write_throttle(w, p, &gl);
        free(skip);
        free(gl.index);
    }
    write_accel(w, p);
}

/* --- RLE --- */

static const hr__pfam rle_fams[] = {
    {"headroom_rle_smoothed", HR__GAUGE,
     "RLE efficiency index of the component, smoothed (docs/RLE.md).", OFF(hr_prom_rle, rle_micro),
     -6},
    {"headroom_rle_raw", HR__GAUGE, "RLE of the latest tick.", OFF(hr_prom_rle, rle_raw_micro), -6},
    {"headroom_rle_normalized_ratio", HR__GAUGE, "RLE over its expected curve at this utilisation.",
     OFF(hr_prom_rle, rle_norm_micro), -6},
    {"headroom_rle_thermal_efficiency", HR__GAUGE, "Thermal efficiency term E_th of the RLE.",
     OFF(hr_prom_rle, e_th_micro), -6},
    {"headroom_rle_power_efficiency", HR__GAUGE, "Power efficiency term E_pw of the RLE.",
     OFF(hr_prom_rle, e_pw_micro), -6},
    {"headroom_rle_load_ratio", HR__GAUGE, "Power over its limit (a_load).",
     OFF(hr_prom_rle, a_load_micro), -6},
    {"headroom_rle_sustain_seconds", HR__GAUGE,
     "Time to the temperature limit at the current slope, clamped to 1..600 s.",
     OFF(hr_prom_rle, t_sustain_ms), -3},
    {"headroom_rle_collapse_active", HR__GAUGE,
     "1 while the collapse detector holds an efficiency collapse open, else 0.",
     OFF(hr_prom_rle, collapse), 0},
};

static void label_rle(const void *elem, size_t i, hr__plabels *ls, void *user) {
    const hr_prom_rle *r = elem;
    hr__plabels_add(ls, "component", r->component);
}

void hr__prom_write_rle(hr__pw *w, const hr_prom_rle *rle, size_t n) {
    hr__prom_table(w, rle_fams, NFAM(rle_fams), rle, n, sizeof *rle, label_rle, NULL, NULL);
}

/* --- the job under `headroom run` --- */

void hr__prom_write_job(hr__pw *w, const hr_job_status *in) {
    hr_job_status job;
    memset(&job, 0, sizeof job);
    size_t n = in->size && in->size < sizeof job ? in->size : sizeof job;
    memcpy(&job, in, n);
    static const char *const states[] = {"running", "paused", "exited"};
    hr__pw_family(w, "headroom_job_state", HR__GAUGE,
                  "1 for the job's current state (running, paused, exited), 0 for the others.");
    if (HR_IS_KNOWN(job.state) && job.state.v >= 0 && job.state.v < 3) {
        for (int s = 0; s < 3; s++) {
            hr__plabels ls = {.n = 0};
            hr__plabels_add(&ls, "state", states[s]);
            hr__pw_sample(w, &ls, job.state.v == s, 0);
        }
    }
    static const hr__pfam fams[] = {
        {"headroom_job_steps_total", HR__COUNTER, "Steps the job has completed.",
         OFF(hr_job_status, steps), 0},
        {"headroom_job_steps_per_second", HR__GAUGE, "The job's recent step rate.",
         OFF(hr_job_status, step_rate_uhz), -6},
        {"headroom_job_cooling_seconds_total", HR__COUNTER,
         "Time the job has been paused for cooling.", OFF(hr_job_status, cooling_ns), -9},
        {"headroom_job_cooling_pauses_total", HR__COUNTER, "Cooling pauses so far.",
         OFF(hr_job_status, cooling_breaks), 0},
    };
    hr__prom_table(w, fams, NFAM(fams), &job, 1, sizeof job, NULL, NULL, NULL);
}
