/* test_prom_text_http.c: the exporter's server on loopback: routes and
 * status codes, 503 instead of stale values (no sample yet, a withdrawn
 * sample, an old sample), hostile and slow clients, 50 concurrent scrapes
 * with no descriptor left behind, listening addresses, IPv6, the own
 * sampling thread and the recorder hook. Traffic goes to 127.0.0.1 and
 * ::1 only; every loop is bounded. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/internal.h"
#include "exporter/exporter_int.h"
#include "harness/hr_test.h"
#include "test_prom_text_check.h"

#define FAKE_NVML HR_BUILD_DIR "/tests/fakes/libnvidia-ml.so.1"

/* --- a minimal HTTP client --- */

static int connect_to(int family, int port) {
    int fd = socket(family, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int rc;
    if (family == AF_INET6) {
        struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
        a.sin6_addr = in6addr_loopback;
        rc = connect(fd, (struct sockaddr *)&a, sizeof a);
    } else {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        rc = connect(fd, (struct sockaddr *)&a, sizeof a);
    }
    if (rc != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends REQ (LEN bytes) and reads the answer until the server closes
 * (requests say Connection: close) into a malloc'd string. */
static char *exchange(int family, int port, const char *req, size_t len) {
    int fd = connect_to(family, port);
    if (fd < 0)
        return NULL;
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (n <= 0)
            break; /* the server may close on a hostile request */
        off += (size_t)n;
    }
    size_t cap = 1 << 16, got = 0;
    char *buf = malloc(cap + 1);
    assert_non_null(buf);
    for (;;) {
        if (got == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
            assert_non_null(buf);
        }
        ssize_t n = recv(fd, buf + got, cap - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    close(fd);
    return buf;
}

static char *get(int port, const char *method, const char *path) {
    char req[512];
    int n =
        snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                 method, path);
    return exchange(AF_INET, port, req, (size_t)n);
}

static int status_of(const char *resp) {
    int code = 0;
    if (!resp || sscanf(resp, "HTTP/1.%*d %d", &code) != 1)
        return 0;
    return code;
}

static const char *body_of(const char *resp) {
    const char *b = resp ? strstr(resp, "\r\n\r\n") : NULL;
    return b ? b + 4 : "";
}

static int open_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* --- fixtures --- */

typedef struct fixture {
    hr_ctx *ctx;
    hr_probe *probe;
    hr_exporter *srv;
    int port;
} fixture;

/* An exporter on 127.0.0.1 (a free port) fed by the test (external). */
static void start_external(fixture *f, int64_t max_age_ns, uint32_t max_conn, uint32_t timeout_s) {
    memset(f, 0, sizeof *f);
    f->ctx = hr_test_ctx("linux/laptop");
    assert_int_equal(hr_probe_open(f->ctx, &f->probe), HR_OK);
    hr_exporter_config c;
    hr_exporter_config_defaults(&c);
    c.listen = "127.0.0.1:0";
    c.external = 1;
    c.max_age_ns = max_age_ns;
    c.max_connections = max_conn;
    c.timeout_s = timeout_s;
    hr_status st = hr_exporter_start(f->ctx, &c, &f->srv);
    if (st != HR_OK)
        fail_msg("start: %s", hr_ctx_last_error(f->ctx));
    f->port = hr_exporter_port(f->srv);
    assert_true(f->port > 0);
}

static void publish_fresh(fixture *f) {
    assert_int_equal(hr_probe_refresh(f->probe), HR_OK);
    assert_int_equal(hr_exporter_publish(f->srv, f->probe, NULL), HR_OK);
}

static void stop_fixture(fixture *f) {
    assert_int_equal(hr_exporter_stop(f->srv), HR_OK);
    hr_probe_free(f->probe);
    hr_ctx_free(f->ctx);
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* --- routes --- */

static void test_http_routes(void **state) {
    (void)state;
    fixture f;
    start_external(&f, 0, 0, 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", f.port);
    assert_string_equal(hr_exporter_url(f.srv), url);
    publish_fresh(&f);

    char *r = get(f.port, "GET", "/metrics");
    assert_int_equal(status_of(r), 200);
    assert_non_null(strstr(r, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
    const char *why = prom_check(body_of(r), NULL);
    if (why)
        fail_msg("scrape not clean: %s", why);
    assert_true(prom_has(body_of(r), "headroom_build_info{"));
    assert_true(prom_has(body_of(r), "headroom_cpu_temperature_celsius 67\n"));
    free(r);

    r = get(f.port, "GET", "/metrics?debug=1");
    assert_int_equal(status_of(r), 200);
    free(r);

    r = get(f.port, "HEAD", "/metrics");
    assert_int_equal(status_of(r), 200);
    assert_string_equal(body_of(r), "");
    free(r);

    r = get(f.port, "GET", "/");
    assert_int_equal(status_of(r), 200);
    assert_non_null(strstr(r, "text/html"));
    assert_non_null(strstr(body_of(r), "href=\"/metrics\""));
    free(r);

    r = get(f.port, "GET", "/nope");
    assert_int_equal(status_of(r), 404);
    free(r);

    const char post[] = "POST /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                        "Content-Length: 5\r\n\r\nhello";
    r = exchange(AF_INET, f.port, post, sizeof post - 1);
    assert_int_equal(status_of(r), 405);
    assert_non_null(strstr(r, "Allow: GET, HEAD\r\n"));
    free(r);
    r = get(f.port, "DELETE", "/metrics");
    assert_int_equal(status_of(r), 405);
    free(r);
    stop_fixture(&f);
}

/* --- never stale --- */

static void test_http_no_fresh_sample_is_503(void **state) {
    (void)state;
    fixture f;
    start_external(&f, 300000000, 0, 0); /* 0.3 s age limit */

    char *r = get(f.port, "GET", "/metrics");
    assert_int_equal(status_of(r), 503);
    assert_non_null(strstr(body_of(r), "no current sample: no sample yet"));
    assert_null(strstr(body_of(r), "headroom_cpu"));
    free(r);

    publish_fresh(&f);
    r = get(f.port, "GET", "/metrics");
    assert_int_equal(status_of(r), 200);
    free(r);

    /* The sampler stops: its sample is withdrawn at once. */
    assert_int_equal(hr_exporter_publish(f.srv, NULL, "the sampler has stopped"), HR_OK);
    r = get(f.port, "GET", "/metrics");
    assert_int_equal(status_of(r), 503);
    assert_non_null(strstr(body_of(r), "the sampler has stopped"));
    free(r);
    char *text = NULL;
    assert_int_equal(hr_exporter_render(f.srv, &text, NULL), HR_ESTATE);
    assert_non_null(strstr(text, "the sampler has stopped"));
    hr_free(text);

    /* A sampler that stalls: the sample ages past the limit. */
    publish_fresh(&f);
    r = get(f.port, "GET", "/metrics");
    assert_int_equal(status_of(r), 200);
    free(r);
    sleep_ms(400);
    r = get(f.port, "GET", "/metrics");
    assert_int_equal(status_of(r), 503);
    assert_non_null(strstr(body_of(r), "stalled or stopped"));
    free(r);
    stop_fixture(&f);
}

/* --- hostile clients --- */

static void test_http_hostile_requests(void **state) {
    (void)state;
    fixture f;
    start_external(&f, 0, 8, 1);
    publish_fresh(&f);

    char garbage[4096];
    unsigned x = 12345;
    for (size_t i = 0; i < sizeof garbage; i++) {
        x = x * 1103515245u + 12345u;
        garbage[i] = (char)(x >> 16);
    }
    char *r = exchange(AF_INET, f.port, garbage, sizeof garbage);
    assert_true(status_of(r) == 0 || status_of(r) == 400);
    free(r);

    const char nul[] = "GET /met\0rics HTTP/1.1\r\nConnection: close\r\n\r\n";
    r = exchange(AF_INET, f.port, nul, sizeof nul - 1);
    assert_int_not_equal(status_of(r), 200);
    free(r);

    /* 100 KiB of headers: refused, the connection is closed. */
    size_t big = 100 * 1024;
    char *huge = malloc(big + 128);
    assert_non_null(huge);
    int n = snprintf(huge, 128, "GET /metrics HTTP/1.1\r\nConnection: close\r\nX-Big: ");
    memset(huge + n, 'a', big);
    memcpy(huge + n + big, "\r\n\r\n", 4);
    r = exchange(AF_INET, f.port, huge, (size_t)n + big + 4);
    assert_true(status_of(r) == 0 || status_of(r) == 431 || status_of(r) == 413 ||
                status_of(r) == 400);
    free(r);
    free(huge);

    /* A very long URL. */
    char *longurl = malloc(64 * 1024);
    assert_non_null(longurl);
    n = snprintf(longurl, 16, "GET /");
    memset(longurl + n, 'x', 60000);
    n += 60000;
    n += snprintf(longurl + n, 64, " HTTP/1.1\r\nConnection: close\r\n\r\n");
    r = exchange(AF_INET, f.port, longurl, (size_t)n);
    assert_int_not_equal(status_of(r), 200);
    free(r);
    free(longurl);

    /* Slow clients (slowloris): 5 half-sent requests hold connections; a
     * normal scrape still works, and the server drops them after its
     * 1 s timeout. */
    int slow[5];
    for (int i = 0; i < 5; i++) {
        slow[i] = connect_to(AF_INET, f.port);
        assert_true(slow[i] >= 0);
        assert_int_equal(send(slow[i], "GET /metr", 9, MSG_NOSIGNAL), 9);
    }
    r = get(f.port, "GET", "/metrics");
    assert_int_equal(status_of(r), 200);
    free(r);
    for (int i = 0; i < 5; i++) {
        struct pollfd pfd = {slow[i], POLLIN, 0};
        assert_int_equal(poll(&pfd, 1, 4000), 1); /* readable: closed by the server */
        char c;
        assert_true(recv(slow[i], &c, 1, 0) <= 0);
        close(slow[i]);
    }

    /* More connections than the limit (8): the extra ones are closed, and
     * once they are gone the server answers again. */
    int many[20], open_ok = 0;
    for (int i = 0; i < 20; i++) {
        many[i] = connect_to(AF_INET, f.port);
        open_ok += many[i] >= 0;
    }
    assert_true(open_ok > 0);
    for (int i = 0; i < 20; i++)
        if (many[i] >= 0)
            close(many[i]);
    int ok = 0;
    for (int tries = 0; tries < 50 && !ok; tries++) {
        r = get(f.port, "GET", "/metrics");
        ok = status_of(r) == 200;
        free(r);
        if (!ok)
            sleep_ms(100);
    }
    assert_true(ok);
    stop_fixture(&f);
}

/* --- concurrency and descriptors --- */

typedef struct scraper {
    int port;
    int ok;
} scraper;

static void *scrape_main(void *arg) {
    scraper *s = arg;
    for (int i = 0; i < 4; i++) {
        char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        char *r = exchange(AF_INET, s->port, req, sizeof req - 1);
        /* prom_check keeps static state: the bodies are checked for their
         * ends here and one body alone after the threads. */
        size_t n = r ? strlen(r) : 0;
        int good = r && status_of(r) == 200 && n > 0 && r[n - 1] == '\n' &&
                   strstr(r, "\nheadroom_build_info{");
        free(r);
        s->ok += good;
    }
    return NULL;
}

static void test_http_concurrent_scrapes_leave_no_fd(void **state) {
    (void)state;
    hr_ctx *ctx = hr_test_ctx("linux/laptop");
    hr_probe *probe = NULL;
    assert_int_equal(hr_probe_open(ctx, &probe), HR_OK);
    int before = open_fds();
    hr_exporter_config c;
    hr_exporter_config_defaults(&c);
    c.listen = "127.0.0.1:0";
    c.external = 1;
    c.max_connections = 64;
    hr_exporter *srv = NULL;
    assert_int_equal(hr_exporter_start(ctx, &c, &srv), HR_OK);
    assert_int_equal(hr_exporter_publish(srv, probe, NULL), HR_OK);
    enum { N = 50 };
    pthread_t th[N];
    scraper s[N];
    for (int i = 0; i < N; i++) {
        s[i].port = hr_exporter_port(srv);
        s[i].ok = 0;
        assert_int_equal(pthread_create(&th[i], NULL, scrape_main, &s[i]), 0);
    }
    int ok = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        ok += s[i].ok;
    }
    assert_int_equal(ok, N * 4);
    char *r = get(hr_exporter_port(srv), "GET", "/metrics");
    assert_null(prom_check(body_of(r), NULL));
    free(r);
    assert_int_equal(hr_exporter_stop(srv), HR_OK);
    assert_int_equal(open_fds(), before);
    hr_probe_free(probe);
    hr_ctx_free(ctx);
}

/* --- addresses --- */

static void test_http_listen_addresses(void **state) {
    (void)state;
    struct sockaddr_storage sa;
    socklen_t len;
    char why[200];
    struct {
        const char *text;
        int ok, family, port;
        const char *addr;
    } cases[] = {
        {"127.0.0.1:9968", 1, AF_INET, 9968, "127.0.0.1"},
        {"localhost:80", 1, AF_INET, 80, "127.0.0.1"},
        {"9999", 1, AF_INET, 9999, "127.0.0.1"},
        {":9968", 1, AF_INET, 9968, "0.0.0.0"},
        {"0.0.0.0:1", 1, AF_INET, 1, "0.0.0.0"},
        {"[::1]:9968", 1, AF_INET6, 9968, "::1"},
        {"[::]:0", 1, AF_INET6, 0, "::"},
        {"", 0, 0, 0, NULL},
        {"127.0.0.1", 0, 0, 0, NULL},
        {"127.0.0.1:", 0, 0, 0, NULL},
        {"127.0.0.1:65536", 0, 0, 0, NULL},
        {"127.0.0.1:-1", 0, 0, 0, NULL},
        {"127.0.0.1:99x", 0, 0, 0, NULL},
        {"::1:9968", 0, 0, 0, NULL},
        {"[::1]9968", 0, 0, 0, NULL},
        {"[::1:9968", 0, 0, 0, NULL},
        {"[127.0.0.1]:80", 0, 0, 0, NULL},
        {"example.com:80", 0, 0, 0, NULL},
        {"999999", 0, 0, 0, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        why[0] = '\0';
        int rc = hr__listen_parse(cases[i].text, &sa, &len, why, sizeof why);
        if ((rc == 0) != cases[i].ok)
            fail_msg("'%s': rc %d (%s)", cases[i].text, rc, why);
        if (!cases[i].ok) {
            assert_true(why[0] != '\0');
            continue;
        }
        assert_int_equal(sa.ss_family, cases[i].family);
        char host[64];
        int port;
        if (sa.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&sa;
            inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
            port = ntohs(a->sin6_port);
        } else {
            struct sockaddr_in *a = (struct sockaddr_in *)&sa;
            inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
            port = ntohs(a->sin_port);
        }
        assert_string_equal(host, cases[i].addr);
        assert_int_equal(port, cases[i].port);
    }
}

static void test_http_start_errors(void **state) {
    (void)state;
    hr_ctx *ctx = hr_test_ctx("linux/laptop");
    hr_exporter *srv = (hr_exporter *)1;
    hr_exporter_config c;
    hr_exporter_config_defaults(&c);
    c.external = 1;
    c.listen = "nonsense";
    assert_int_equal(hr_exporter_start(ctx, &c, &srv), HR_EINVAL);
    assert_null(srv);
    assert_non_null(strstr(hr_ctx_last_error(ctx), "nonsense"));

    /* A port someone else holds. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 1), 0);
    int taken = hr__listen_port(fd);
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", taken);
    c.listen = addr;
    int before = open_fds();
    assert_int_equal(hr_exporter_start(ctx, &c, &srv), HR_EBUSY);
    assert_non_null(strstr(hr_ctx_last_error(ctx), "in use"));
    assert_int_equal(open_fds(), before);
    close(fd);

    c.external = 0;
    c.hz = 0;
    c.listen = "127.0.0.1:0";
    assert_int_equal(hr_exporter_start(ctx, &c, &srv), HR_EINVAL);
    c.hz = 1;
    c.max_connections = 100000;
    assert_int_equal(hr_exporter_start(ctx, &c, &srv), HR_EINVAL);
    assert_int_equal(hr_exporter_start(ctx, NULL, NULL), HR_EINVAL);
    assert_int_equal(hr_exporter_publish(NULL, NULL, NULL), HR_EINVAL);
    assert_int_equal(hr_exporter_set_job(NULL, NULL), HR_EINVAL);
    assert_int_equal(hr_exporter_port(NULL), -1);
    assert_string_equal(hr_exporter_url(NULL), "");
    assert_int_equal(hr_exporter_stop(NULL), HR_OK);
    hr_ctx_free(ctx);
}

static void test_http_ipv6_loopback(void **state) {
    (void)state;
    hr_ctx *ctx = hr_test_ctx("linux/laptop");
    hr_probe *probe = NULL;
    assert_int_equal(hr_probe_open(ctx, &probe), HR_OK);
    hr_exporter_config c;
    hr_exporter_config_defaults(&c);
    c.listen = "[::1]:0";
    c.external = 1;
    hr_exporter *srv = NULL;
    hr_status st = hr_exporter_start(ctx, &c, &srv);
    if (st != HR_OK) {
        /* No IPv6 on this host (a container without ::1). */
        hr_probe_free(probe);
        hr_ctx_free(ctx);
        skip();
    }
    assert_non_null(strstr(hr_exporter_url(srv), "http://[::1]:"));
    assert_int_equal(hr_exporter_publish(srv, probe, NULL), HR_OK);
    char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    char *r = exchange(AF_INET6, hr_exporter_port(srv), req, sizeof req - 1);
    assert_int_equal(status_of(r), 200);
    free(r);
    /* Not reachable over IPv4 on the same port. */
    assert_int_equal(connect_to(AF_INET, hr_exporter_port(srv)), -1);
    hr_exporter_stop(srv);
    hr_probe_free(probe);
    hr_ctx_free(ctx);
}

/* --- the own sampler and the recorder hook --- */

static int64_t samples_in(const char *text) {
    const char *l = strstr(text, "\nheadroom_sampler_samples_total ");
    return l ? strtoll(l + 32, NULL, 10) : -1;
}

static void test_http_own_sampler(void **state) {
    (void)state;
    hr_ctx *ctx = hr_test_ctx("linux/laptop");
    hr_exporter_config c;
    hr_exporter_config_defaults(&c);
    c.listen = "127.0.0.1:0";
    c.hz = 50;
    hr_exporter *srv = NULL;
    assert_int_equal(hr_exporter_start(ctx, &c, &srv), HR_OK);
    char *r = get(hr_exporter_port(srv), "GET", "/metrics");
    assert_int_equal(status_of(r), 200);
    assert_true(prom_has(body_of(r), "headroom_sampler_period_seconds 0.02\n"));
    int64_t first = samples_in(body_of(r));
    free(r);
    sleep_ms(300);
    r = get(hr_exporter_port(srv), "GET", "/metrics");
    int64_t later = samples_in(body_of(r));
    free(r);
    assert_true(first >= 1);
    assert_true(later >= first + 5);
    /* The sampling thread ends: the next scrape fails, it does not lie. */
    hr__exporter_sampler_stop(srv);
    r = get(hr_exporter_port(srv), "GET", "/metrics");
    assert_int_equal(status_of(r), 503);
    assert_non_null(strstr(body_of(r), "the sampler has stopped"));
    assert_null(strstr(body_of(r), "headroom_"));
    free(r);
    assert_int_equal(hr_exporter_stop(srv), HR_OK);
    hr_ctx_free(ctx);
}

static int chained_calls;

static hr_status counting_refresh(hr_probe *p, void *user) {
    (void)user;
    __atomic_add_fetch(&chained_calls, 1, __ATOMIC_SEQ_CST);
    return hr_probe_refresh(p);
}

static void test_http_recorder_hook(void **state) {
    (void)state;
    setenv("FAKE_NVML_SCENARIO", HR_FIXTURES "/nvml/h100.json", 1);
    hr_ctx *ctx = hr_test_ctx("linux/laptop");
    assert_int_equal(hr_ctx_set_nvml_library(ctx, FAKE_NVML), HR_OK);
    char dir[] = "/tmp/hr-test-serve-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/s.db", dir);
    hr_session *s = NULL;
    assert_int_equal(hr_session_create(ctx, path, 0, &s), HR_OK);
    hr_record_config rc;
    hr_record_config_defaults(&rc);
    rc.hz = 50;
    rc.refresh = counting_refresh;
    hr_exporter *srv = NULL;
    assert_int_equal(hr_exporter_start_for_recorder(ctx, "127.0.0.1:0", &rc, &srv), HR_OK);
    assert_true(rc.refresh != counting_refresh);
    char *r = get(hr_exporter_port(srv), "GET", "/metrics");
    assert_int_equal(status_of(r), 503); /* nothing sampled yet */
    free(r);
    hr_recorder *rec = NULL;
    assert_int_equal(hr_recorder_start(ctx, s, &rc, &rec), HR_OK);
    sleep_ms(300);
    r = get(hr_exporter_port(srv), "GET", "/metrics");
    assert_int_equal(status_of(r), 200);
    const char *body = body_of(r);
    assert_null(prom_check(body, NULL));
    assert_true(samples_in(body) >= 5);
    assert_true(prom_has(body, "headroom_sampler_period_seconds 0.02\n"));
    assert_true(prom_has(body, "headroom_gpu_power_watts{"));
    /* The GPU's load ratio is known from the first tick (power / limit). */
    assert_true(prom_has(body, "headroom_rle_load_ratio{component=\"gpu0\"} 0.935714\n"));
    free(r);
    assert_true(__atomic_load_n(&chained_calls, __ATOMIC_SEQ_CST) >= 5);
    assert_int_equal(hr_recorder_stop(rec), HR_OK);
    assert_int_equal(hr_exporter_stop(srv), HR_OK);
    hr_session_close(s);
    unlink(path);
    char side[80];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    rmdir(dir);
    hr_ctx_free(ctx);
}

static void test_http_job_status(void **state) {
    (void)state;
    fixture f;
    start_external(&f, 0, 0, 0);
    publish_fresh(&f);
    hr_job_status job = {.size = sizeof job};
    job.state = hr__known(HR_JOB_RUNNING);
    job.steps = hr__known(17);
    assert_int_equal(hr_exporter_set_job(f.srv, &job), HR_OK);
    char *t = NULL;
    assert_int_equal(hr_exporter_render(f.srv, &t, NULL), HR_OK);
    assert_true(prom_has(t, "headroom_job_state{state=\"running\"} 1\n"));
    assert_true(prom_has(t, "headroom_job_steps_total 17\n"));
    hr_free(t);
    assert_int_equal(hr_exporter_set_job(f.srv, NULL), HR_OK);
    assert_int_equal(hr_exporter_render(f.srv, &t, NULL), HR_OK);
    assert_false(prom_has(t, "headroom_job_"));
    hr_free(t);
    stop_fixture(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_routes),
        cmocka_unit_test(test_http_no_fresh_sample_is_503),
        cmocka_unit_test(test_http_hostile_requests),
        cmocka_unit_test(test_http_concurrent_scrapes_leave_no_fd),
        cmocka_unit_test(test_http_listen_addresses),
        cmocka_unit_test(test_http_start_errors),
        cmocka_unit_test(test_http_ipv6_loopback),
        cmocka_unit_test(test_http_own_sampler),
        cmocka_unit_test(test_http_recorder_hook),
        cmocka_unit_test(test_http_job_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
