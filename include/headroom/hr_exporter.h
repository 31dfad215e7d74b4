/* hr_exporter.h: the Prometheus exporter: the text exposition of a probe
 * (a pure formatter) and a small HTTP server for /metrics.
 *
 * Metrics are in base units and follow the Prometheus naming rules
 * (docs/METRICS.md lists every family). An unknown reading is left out of
 * the exposition, never written as 0.
 *
 * The server serves the latest sample only. It keeps a private copy of the
 * latest probe published to it (by its own sampling thread, by a recorder's
 * tick, or by the caller), and a scrape is answered from that copy while it
 * is fresh. When there is no current sample (the sampler stopped, the last
 * refresh failed, or the sample is older than the configured age limit) a
 * scrape fails with HTTP 503 and a one-line reason instead of serving old
 * values.
 *
 * The server listens on 127.0.0.1:9968 unless the caller names another
 * address; it never binds beyond loopback by itself. Connections are
 * limited in number and time, requests in size. The library never prints:
 * failures come back as a status with the detail on the context. */
#ifndef HR_EXPORTER_H
#define HR_EXPORTER_H

#include <stddef.h>
#include <stdint.h>

#include "hr_export.h"
#include "hr_probe.h"
#include "hr_record.h"
#include "hr_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The default listening address. */
#define HR_EXPORTER_DEFAULT_LISTEN "127.0.0.1:9968"

/* The state of a job run under headroom (`headroom run`). */
typedef enum hr_job_state {
    HR_JOB_RUNNING = 0,
    HR_JOB_PAUSED = 1, /* stopped by the governor, e.g. for cooling */
    HR_JOB_EXITED = 2
} hr_job_state;

/* What the runner knows about its job. Every field is a reading: a field
 * the runner does not fill (zeroed: HR_WHY_NOT_READ) is left out of the
 * exposition. `size` is sizeof(hr_job_status) as the caller was built. */
typedef struct hr_job_status {
    size_t size;
    hr_reading state;          /* hr_job_state */
    hr_reading steps;          /* steps completed since the start */
    hr_reading step_rate_uhz;  /* recent steps per second, in millionths (1000000 = 1 step/s) */
    hr_reading cooling_ns;     /* cumulative time paused for cooling */
    hr_reading cooling_breaks; /* cooling pauses so far */
} hr_job_status;

/* The RLE of one component (CPU package or a GPU), in the units a
 * recorder stores them (hr_recorder_latest of "<component>/rle", ...):
 * _micro millionths of the dimensionless value, _ms milliseconds. */
typedef struct hr_prom_rle {
    char component[16];   /* "cpu", "gpu0" */
    hr_reading rle_micro; /* rle_smoothed */
    hr_reading rle_raw_micro;
    hr_reading rle_norm_micro; /* 0..1 of the expected curve */
    hr_reading e_th_micro;
    hr_reading e_pw_micro;
    hr_reading a_load_micro; /* power over its limit */
    hr_reading t_sustain_ms; /* time to the temperature limit at the current slope */
    hr_reading collapse;     /* 1 while a collapse is open, else 0 */
} hr_prom_rle;

/* Everything one exposition is made of. Only `probe` is required. */
typedef struct hr_prom_input {
    size_t size;              /* sizeof(hr_prom_input) as the caller was built */
    const hr_probe *probe;    /* the sample */
    int64_t now_mono_ns;      /* CLOCK_MONOTONIC now, for the sample age; 0: no age */
    const hr_job_status *job; /* NULL outside `headroom run` */
    const hr_prom_rle *rle;   /* NRLE components, or NULL */
    size_t nrle;
    hr_reading samples;   /* samples taken so far by the sampler */
    hr_reading period_ns; /* the sampler's period */
} hr_prom_input;

/* Formats IN as the Prometheus text exposition format 0.0.4: HELP and TYPE
 * for every family, each family's samples together, label values escaped
 * (invalid UTF-8 and control bytes replaced), a final newline. Pure: no
 * I/O, no clock. *OUT (NUL-terminated, *LEN bytes without the NUL; LEN may
 * be NULL) is allocated with malloc and freed with hr_free. Returns HR_OK,
 * HR_EINVAL (IN, its probe or OUT NULL) or HR_ENOMEM. */
HR_EXTERN hr_status hr_prom_format(const hr_prom_input *in, char **out, size_t *len);

typedef struct hr_exporter hr_exporter;

typedef struct hr_exporter_config {
    size_t size;           /* sizeof(hr_exporter_config) as the caller was built */
    const char *listen;    /* "HOST:PORT", "[V6]:PORT" or ":PORT" (all IPv4 interfaces);
                            * NULL: HR_EXPORTER_DEFAULT_LISTEN. Port 0 picks a free port. */
    double hz;             /* samples per second of the own sampling thread,
                            * (0, HR_RECORD_MAX_HZ] (default 1); ignored when external */
    int32_t external;      /* 1: no sampling thread; the caller publishes samples with
                            * hr_exporter_publish (default 0) */
    int32_t rle;           /* 1 (default): RLE per component from the samples */
    hr_rle_config rle_cpu; /* thresholds (defaults as hr_record_config_defaults) */
    hr_rle_config rle_gpu;
    int64_t max_age_ns;       /* a sample older than this is not served; 0 (default):
                               * 3 periods, at least 1 s (external: 5 s) */
    uint32_t max_connections; /* connections at once; 0 (default): 32 */
    uint32_t timeout_s;       /* an idle or slow connection is closed after this; 0: 5 */
} hr_exporter_config;

/* Fills C with the defaults above. */
HR_EXTERN void hr_exporter_config_defaults(hr_exporter_config *c);

/* Starts serving. Unless config->external, opens a probe on CTX and starts
 * a sampling thread that refreshes it at config->hz on absolute deadlines
 * and publishes every sample. CTX must outlive the exporter and is used by
 * the sampling thread only. Returns HR_OK; HR_EINVAL (bad address or
 * config; detail on CTX); HR_EBUSY (address in use); HR_EPERM (binding not
 * allowed); HR_EIO (other socket or server failure); HR_ENOMEM; the
 * probe's errors. */
HR_EXTERN hr_status hr_exporter_start(hr_ctx *ctx, const hr_exporter_config *config,
                                      hr_exporter **out);

/* Starts serving LISTEN (NULL: the default address) for a recorder that is
 * about to start with RCFG: installs a refresh hook in RCFG (chaining any
 * hook already there) so that every tick of that recorder publishes its
 * probe to the exporter, with the RLE thresholds of RCFG. Call it before
 * hr_recorder_start(..., RCFG, ...), and hr_exporter_stop after
 * hr_recorder_stop (the recorder calls into the exporter until it stops).
 * The age limit is 3 periods of RCFG->hz, at least 1 s. Returns as
 * hr_exporter_start, and HR_EINVAL when RCFG is NULL. */
HR_EXTERN hr_status hr_exporter_start_for_recorder(hr_ctx *ctx, const char *listen,
                                                   hr_record_config *rcfg, hr_exporter **out);

/* Publishes PROBE (copied; the caller keeps it) as the latest sample, for
 * an exporter started with config->external. NULL withdraws the current
 * sample: scrapes fail with 503 and WHY (may be NULL) until the next
 * publish. Thread-safe. Returns HR_OK, HR_EINVAL or HR_ENOMEM. */
HR_EXTERN hr_status hr_exporter_publish(hr_exporter *srv, const hr_probe *probe, const char *why);

/* Sets the job's status served with every sample (NULL: no job). Copied;
 * thread-safe; call it whenever the runner's view changes. Returns HR_OK or
 * HR_EINVAL. */
HR_EXTERN hr_status hr_exporter_set_job(hr_exporter *srv, const hr_job_status *job);

/* The port the server listens on (useful with port 0), or -1. */
HR_EXTERN int hr_exporter_port(const hr_exporter *srv);

/* The metrics URL, e.g. "http://127.0.0.1:9968/metrics" or
 * "http://[::1]:9968/metrics". Valid until hr_exporter_stop; "" for NULL. */
HR_EXTERN const char *hr_exporter_url(const hr_exporter *srv);

/* Renders what a scrape of /metrics would get now into *OUT (malloc'd; free
 * with hr_free): HR_OK with the exposition, or HR_ESTATE with the 503
 * reason when there is no fresh sample. For tests and for writing a
 * textfile-collector file. Returns also HR_EINVAL, HR_ENOMEM. */
HR_EXTERN hr_status hr_exporter_render(hr_exporter *srv, char **out, size_t *len);

/* Stops the server (waits for scrapes in progress) and the sampling thread,
 * closes every socket and frees SRV. NULL is allowed. Returns HR_OK. */
HR_EXTERN hr_status hr_exporter_stop(hr_exporter *srv);

#ifdef __cplusplus
}
#endif

#endif /* HR_EXPORTER_H */
