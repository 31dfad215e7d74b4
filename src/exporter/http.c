/* http.c: the exporter's HTTP server, on libmicrohttpd with one internal
 * polling thread (a scrape costs well under a millisecond, so one thread
 * serves many concurrent scrapers in turn).
 *
 *   GET|HEAD /metrics   200 the exposition (text/plain; version=0.0.4), or
 *                       503 with the reason when there is no fresh sample
 *   GET|HEAD /          200 a short HTML page linking /metrics
 *   other paths         404
 *   other methods       405 with Allow: GET, HEAD
 *
 * Limits against slow or hostile clients: at most max_connections at once
 * (more are accepted and closed at once), every connection closed after
 * timeout_s without progress, and requests bounded by a 16 KiB connection
 * memory limit (larger headers get 431 and the connection is closed).
 * libmicrohttpd logs nothing: the server never prints. */
#include <fcntl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exporter/exporter_int.h"

#if MHD_VERSION < 0x00097002
typedef int hr__mhd_result;
#else
typedef enum MHD_Result hr__mhd_result;
#endif

#define CONNECTION_MEMORY_BYTES (16 * 1024)

static const char index_html[] =
    "<!DOCTYPE html>\n"
    "<html><head><meta charset=\"utf-8\"><title>headroom</title></head>\n"
    "<body><h1>headroom</h1>\n"
    "<p>Telemetry of this machine for Prometheus: <a href=\"/metrics\">/metrics</a>.</p>\n"
    "<p>The metrics are described in docs/METRICS.md.</p>\n"
    "</body></html>\n";

static hr__mhd_result send_text(struct MHD_Connection *c, unsigned code, const char *type,
                                char *body, size_t len, int owned) {
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        if (owned)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    hr__mhd_result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static hr__mhd_result send_const(struct MHD_Connection *c, unsigned code, const char *text) {
    return send_text(c, code, "text/plain; charset=utf-8", (char *)text, strlen(text), 0);
}

static hr__mhd_result serve_metrics(hr_exporter *srv, struct MHD_Connection *c) {
    char *body = NULL;
    size_t len = 0;
    hr_status st = hr__feed_render(&srv->feed, hr__now_mono_ns(), &body, &len);
    if (st == HR_OK)
        return send_text(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body, len, 1);
    if (st == HR_ESTATE)
        return send_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8", body, len,
                         1);
    free(body);
    return send_const(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "headroom: out of memory\n");
}

static hr__mhd_result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **req_cls) {
    hr_exporter *srv = cls;
    static int headers_seen;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return send_const(c, MHD_HTTP_METHOD_NOT_ALLOWED, "headroom: only GET and HEAD\n");
    /* The first call comes with the headers. Answering then would make
     * libmicrohttpd close the connection (the request is not complete
     * yet), so GET and HEAD are answered on the next call, when the
     * request is whole and the connection can be kept alive for the next
     * scrape. A body sent with them is read and ignored. */
    if (!*req_cls) {
        *req_cls = &headers_seen;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (strcmp(url, "/metrics") == 0)
        return serve_metrics(srv, c);
    if (strcmp(url, "/") == 0)
        return send_text(c, MHD_HTTP_OK, "text/html; charset=utf-8", (char *)index_html,
                         sizeof index_html - 1, 0);
    return send_const(c, MHD_HTTP_NOT_FOUND, "headroom: not found; try /metrics\n");
}

/* libmicrohttpd's log goes nowhere: the library never prints. */
static void quiet_log(void *cls, const char *fmt, va_list ap) {
    (void)cls;
    (void)fmt;
    (void)ap;
}

hr_status hr__http_start(hr_exporter *srv, int fd) {
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 && ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    srv->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_LISTEN_SOCKET,
                                (MHD_socket)fd, MHD_OPTION_CONNECTION_LIMIT,
                                (unsigned int)srv->cfg.max_connections,
                                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)srv->cfg.timeout_s,
                                MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY_BYTES,
                                MHD_OPTION_EXTERNAL_LOGGER, quiet_log, NULL, MHD_OPTION_END);
    if (!srv->mhd) {
        /* Whether a failed start closed the socket depends on the
         * libmicrohttpd version; close it only if it is still open. */
        if (fcntl(fd, F_GETFD) != -1)
            close(fd);
        return hr__fail(srv->ctx, HR_EIO, 0, "serve: the HTTP server could not start on %s",
                        srv->url[0] ? srv->url : "its socket");
    }
    return HR_OK;
}

void hr__http_stop(hr_exporter *srv) {
    if (!srv->mhd)
        return;
    MHD_stop_daemon(srv->mhd);
    srv->mhd = NULL;
}
