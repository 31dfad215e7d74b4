/* listen.c: listening addresses and the listening socket. Only numeric
 * addresses (and "localhost") are accepted, so that starting the exporter
 * never waits on a name service, and an address beyond loopback is bound
 * only when the caller wrote it. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exporter/exporter_int.h"

/* Strict decimal port 0..65535. */
static int parse_port(const char *s, uint16_t *port) {
    if (!*s || strlen(s) > 5)
        return -1;
    unsigned v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (unsigned)(*p - '0');
    }
    if (v > 65535)
        return -1;
    *port = (uint16_t)v;
    return 0;
}

static int all_digits(const char *s) {
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* Splits TEXT into HOST (without brackets) and PORT text. */
static int split(const char *text, char *host, size_t hcap, const char **port, int *v6, char *why,
                 size_t cap) {
    *v6 = 0;
    const char *colon;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':') {
            hr__snprintf(why, cap, "'%s': write an IPv6 address as [ADDRESS]:PORT", text);
            return -1;
        }
        if ((size_t)(close - text - 1) >= hcap) {
            hr__snprintf(why, cap, "'%s': address too long", text);
            return -1;
        }
        memcpy(host, text + 1, (size_t)(close - text - 1));
        host[close - text - 1] = '\0';
        *port = close + 2;
        *v6 = 1;
        return 0;
    }
    colon = strrchr(text, ':');
    if (!colon || strchr(text, ':') != colon) {
        hr__snprintf(why, cap,
                     colon ? "'%s': write an IPv6 address as [ADDRESS]:PORT"
                           : "'%s': expected HOST:PORT, e.g. 127.0.0.1:9968",
                     text);
        return -1;
    }
    if ((size_t)(colon - text) >= hcap) {
        hr__snprintf(why, cap, "'%s': address too long", text);
        return -1;
    }
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    *port = colon + 1;
    return 0;
}

int hr__listen_parse(const char *text, struct sockaddr_storage *sa, socklen_t *len, char *why,
                     size_t cap) {
    char host[64];
    const char *port_text;
    int v6;
    uint16_t port;
    memset(sa, 0, sizeof *sa);
    if (!text || !*text) {
        hr__snprintf(why, cap, "empty address");
        return -1;
    }
    if (all_digits(text)) {
        /* A bare port stays on loopback. */
        hr__strlcpy(host, "127.0.0.1", sizeof host);
        port_text = text;
        v6 = 0;
    } else if (split(text, host, sizeof host, &port_text, &v6, why, cap) != 0) {
        return -1;
    }
    if (parse_port(port_text, &port) != 0) {
        hr__snprintf(why, cap, "'%s': the port must be a number from 0 to 65535", text);
        return -1;
    }
    if (!v6 && strcmp(host, "localhost") == 0)
        hr__strlcpy(host, "127.0.0.1", sizeof host);
    if (v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)sa;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) {
            hr__snprintf(why, cap, "'%s': '%s' is not an IPv6 address", text, host);
            return -1;
        }
        *len = sizeof *a;
        return 0;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)sa;
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    if (!*host) {
        a->sin_addr.s_addr = htonl(INADDR_ANY);
    } else if (inet_pton(AF_INET, host, &a->sin_addr) != 1) {
        hr__snprintf(why, cap,
                     "'%s': '%s' is not an IPv4 address (names other than localhost "
                     "are not looked up)",
                     text, host);
        return -1;
    }
    *len = sizeof *a;
    return 0;
}

static hr_status status_of_errno(int e) {
    switch (e) {
    case EADDRINUSE: return HR_EBUSY;
    case EACCES:
    case EPERM: return HR_EPERM;
    case EADDRNOTAVAIL:
    case EAFNOSUPPORT:
    case EINVAL: return HR_EINVAL;
    case ENOMEM:
    case ENOBUFS: return HR_ENOMEM;
    default: return HR_EIO;
    }
}

int hr__listen_open(hr_ctx *ctx, const struct sockaddr_storage *sa, socklen_t len, const char *text,
                    hr_status *st) {
    int fd = socket(sa->ss_family, SOCK_STREAM, 0);
    if (fd < 0) {
        int e = errno;
        *st = hr__fail(ctx, status_of_errno(e), e, "serve: socket for %s: %s", text, strerror(e));
        return -1;
    }
    int one = 1;
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (sa->ss_family == AF_INET6)
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    const char *step = "bind";
    int rc = bind(fd, (const struct sockaddr *)sa, len);
    if (rc == 0) {
        step = "listen";
        rc = listen(fd, 64);
    }
    if (rc != 0) {
        int e = errno;
        close(fd);
        *st = hr__fail(ctx, status_of_errno(e), e, "serve: %s %s: %s", step, text, strerror(e));
        return -1;
    }
    *st = HR_OK;
    return fd;
}

int hr__listen_port(int fd) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return -1;
}

void hr__listen_url(int fd, char *buf, size_t cap) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "";
    buf[0] = '\0';
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return;
    if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        hr__snprintf(buf, cap, "http://[%s]:%d/metrics", host, ntohs(a->sin6_port));
    } else if (ss.ss_family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        hr__snprintf(buf, cap, "http://%s:%d/metrics", host, ntohs(a->sin_port));
    }
}
