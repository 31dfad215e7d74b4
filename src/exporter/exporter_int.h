/* exporter_int.h: the exporter's state, shared by exporter.c (lifecycle,
 * sampling thread, recorder hook), feed.c (the latest sample and its
 * freshness), listen.c (addresses and the listening socket) and http.c
 * (the libmicrohttpd server). */
#ifndef HR_EXPORTER_EXPORTER_INT_H
#define HR_EXPORTER_EXPORTER_INT_H

#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/internal.h"
#include "exporter/prom_write.h"
#include "headroom/hr_exporter.h"
#include "record/efficiency.h"

struct MHD_Daemon;

/* The latest sample: a private deep copy of a probe (arrays owned here;
 * priv is NULL) and what goes with it. */
typedef struct hr__feed {
    pthread_mutex_t mu;
    hr_probe snap;
    size_t cap_cores, cap_sensors, cap_zones, cap_rapl, cap_gpus, cap_sources;
    int have;          /* snap is a current sample */
    char why[256];     /* why there is none */
    int64_t samples;   /* samples published */
    int64_t period_ns; /* 0 when unknown (external publishing) */
    int64_t max_age_ns;
    hr_job_status job;
    int have_job;
    hr_prom_rle *rle; /* one per RLE component, in eff order */
    size_t nrle;
    /* RLE calculators (under mu): the recorder's components and input
     * rules (record/efficiency.h), without a session. */
    int rle_on;
    hr_rle_config rle_cpu, rle_gpu;
    hr__eff eff;
    int eff_ready;
    /* The exposition of the current sample without its age, written by the
     * first scrape after a change and reused until the next change
     * (publish, withdraw, job status). */
    hr__pbuf cache;
    int cache_ok;
} hr__feed;

struct hr_exporter {
    hr_ctx *ctx;
    hr_exporter_config cfg;
    hr__feed feed;

    /* The own sampling thread (hr_exporter_start without external). */
    hr_probe *probe;
    pthread_t sampler;
    int sampler_started;
    pthread_mutex_t smu;
    pthread_cond_t scv;
    int stop;

    /* The recorder hook's chained refresh. */
    hr_status (*prev_refresh)(hr_probe *probe, void *user);
    void *prev_user;

    /* The server. */
    struct MHD_Daemon *mhd;
    int port;
    char url[96];
};

/* --- exporter.c --- */

/* Stops the own sampling thread (if any) and waits for it; the server goes
 * on answering, with 503 "the sampler has stopped". hr_exporter_stop does
 * this first; tests call it alone to see a stopped sampler. */
void hr__exporter_sampler_stop(hr_exporter *srv);

/* --- feed.c --- */

void hr__feed_init(hr__feed *f);
void hr__feed_free(hr__feed *f);

/* Copies P as the latest sample and feeds the RLE calculators. Returns
 * HR_OK or HR_ENOMEM (the sample is then withdrawn). */
hr_status hr__feed_publish(hr__feed *f, const hr_probe *p);

/* Withdraws the latest sample: scrapes fail with WHY until the next
 * publish. */
void hr__feed_withdraw(hr__feed *f, const char *why);

/* Renders the latest sample at NOW_NS: HR_OK with the exposition in *OUT,
 * or HR_ESTATE with the reason there is no fresh sample in *OUT. *OUT is
 * malloc'd. Returns also HR_ENOMEM. */
hr_status hr__feed_render(hr__feed *f, int64_t now_ns, char **out, size_t *len);

/* --- listen.c --- */

/* Parses a listening address ("127.0.0.1:9968", "[::1]:9968", ":9968" for
 * every IPv4 interface, "localhost:9968", or a bare port for loopback)
 * into SA. Returns 0, or -1 with WHY (capacity CAP) set. */
int hr__listen_parse(const char *text, struct sockaddr_storage *sa, socklen_t *len, char *why,
                     size_t cap);

/* Opens, binds and listens on SA (close-on-exec). Returns the socket, or
 * -1 with the status and detail recorded on CTX in *ST. */
int hr__listen_open(hr_ctx *ctx, const struct sockaddr_storage *sa, socklen_t len, const char *text,
                    hr_status *st);

/* The port of a bound socket, or -1. */
int hr__listen_port(int fd);

/* "http://HOST:PORT/metrics" for the socket's address. */
void hr__listen_url(int fd, char *buf, size_t cap);

/* --- http.c --- */

/* Starts the libmicrohttpd server on the listening socket FD (owned by
 * the server from then on, also on failure). Returns HR_OK or HR_EIO with
 * the detail on CTX. */
hr_status hr__http_start(hr_exporter *srv, int fd);

/* Stops the server: waits for requests in progress and closes every
 * socket. */
void hr__http_stop(hr_exporter *srv);

#endif /* HR_EXPORTER_EXPORTER_INT_H */
