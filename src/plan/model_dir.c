/* model_dir.c: reads a local model directory for the planner. This and
 * config_file.c are the planner's only I/O; they read exactly the files
 * named here, through the hr__sys seam so that tests can inject failures,
 * and hand the bytes to the pure parsers in model_facts.c/safetensors.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan_internal.h"
#include "sys/sys.h"

#define MAX_JSON_BYTES (32 * HR__MIB)
#define MAX_SHARDS 4096

static hr_status errno_status(int e) {
    return e == ENOENT ? HR_ENOENT : (e == EACCES || e == EPERM) ? HR_EPERM : HR_EIO;
}

static hr_status io_fail(hr_plan_error *err, const char *dir, const char *file, int e) {
    char what[160];
    hr__snprintf(what, sizeof what, "%s%s%s", dir, *dir ? "/" : "", file);
    return hr__plan_fail(err, errno_status(e), what,
                         e == EACCES || e == EPERM ? "check the file's permissions" : NULL, "%s",
                         strerror(e));
}

/* Reads exactly N bytes at OFF into BUF; returns 0, an errno, or -1 when
 * the file ends first. */
static int read_full(int fd, void *buf, size_t n, off_t off) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = hr__sys.pread(fd, (char *)buf + got, n - got, off + (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? errno : -1;
        got += (size_t)r;
    }
    return 0;
}

hr_status hr__plan_read_small(int dfd, const char *dir, const char *file, size_t max, char **out,
                              size_t *len, hr_plan_error *err) {
    int fd = hr__sys.openat(dfd, file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return io_fail(err, dir, file, errno);
    size_t cap = 64 * 1024, n = 0;
    char *buf = malloc(cap + 1);
    hr_status s = buf ? HR_OK : HR_ENOMEM;
    while (s == HR_OK) {
        ssize_t r = hr__sys.pread(fd, buf + n, cap - n, (off_t)n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            s = io_fail(err, dir, file, errno);
        } else if (r == 0) {
            break;
        } else if ((n += (size_t)r) == cap) {
            char *nb = cap >= max ? NULL : realloc(buf, cap * 2 + 1);
            s = nb ? HR_OK : io_fail(err, dir, file, EFBIG);
            buf = nb ? nb : buf;
            cap *= 2;
        }
    }
    hr__sys.close(fd);
    if (s != HR_OK) {
        free(buf);
        return s;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return HR_OK;
}

/* Reads the header of one .safetensors file into the facts. */
static hr_status read_header(int dfd, const char *dir, const char *file, hr_plan_model_facts *f,
                             hr_plan_error *err) {
    int fd = hr__sys.openat(dfd, file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return io_fail(err, dir, file, errno);
    uint8_t first[8];
    int e = read_full(fd, first, 8, 0);
    int64_t n = e ? 0 : hr_plan_safetensors_header_len(first);
    uint8_t *buf = (!e && n > 0) ? malloc((size_t)n + 8) : NULL;
    if (!e && n > 0 && buf) {
        memcpy(buf, first, 8);
        e = read_full(fd, buf + 8, (size_t)n, 8);
    }
    hr__sys.close(fd);
    char what[160];
    hr__snprintf(what, sizeof what, "%s/%s", dir, file);
    hr_status s;
    if (e < 0)
        s = hr__plan_fail(err, HR_EPARSE, what, "the download may be incomplete",
                          "the file ends inside its %lld-byte header (truncated)",
                          (long long)(n > 0 ? n : 8));
    else if (e)
        s = io_fail(err, dir, file, e);
    else if (n <= 0)
        s = hr__plan_fail(err, HR_EPARSE, what, "the file is not a safetensors file",
                          "header length is absurd");
    else
        s = buf ? hr_plan_model_facts_add_safetensors(f, buf, (size_t)n + 8, what, err) : HR_ENOMEM;
    free(buf);
    return s;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.safetensors files of DIR, sorted. */
static hr_status list_shards(const char *dir, char ***out, size_t *n, hr_plan_error *err) {
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return io_fail(err, dir, ".", errno);
    size_t cap = 0;
    hr_status s = HR_OK;
    struct dirent *e;
    while (s == HR_OK && (e = readdir(d)) != NULL && *n < MAX_SHARDS) {
        size_t l = strlen(e->d_name);
        if (l <= 12 || strcmp(e->d_name + l - 12, ".safetensors") != 0 || e->d_name[0] == '.')
            continue;
        if ((s = hr__grow((void **)out, sizeof **out, *n, &cap)) == HR_OK)
            s = ((*out)[*n] = strdup(e->d_name)) ? HR_OK : HR_ENOMEM;
        if (s == HR_OK)
            (*n)++;
    }
    closedir(d);
    if (*n > 1)
        qsort(*out, *n, sizeof **out, by_name);
    return s;
}

static void free_names(char **names, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static int exists_at(int dfd, const char *file) {
    int fd = hr__sys.openat(dfd, file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    hr__sys.close(fd);
    return 1;
}

static hr_status read_json_file(int dfd, const char *dir, const char *file, hr_plan_model_facts *f,
                                int index, char ***shards, size_t *nshards, hr_plan_error *err) {
    char *text = NULL;
    size_t len = 0;
    hr_status s = hr__plan_read_small(dfd, dir, file, MAX_JSON_BYTES, &text, &len, err);
    char what[160];
    hr__snprintf(what, sizeof what, "%s/%s", dir, file);
    if (s == HR_OK && !index)
        s = hr_plan_model_facts_from_config(f, text, len, what, err);
    if (s == HR_OK && index)
        s = hr__plan_index_shards(text, len, what, shards, nshards, err);
    if (s == HR_OK && index)
        s = hr_plan_model_facts_from_index(f, text, len, what, err);
    free(text);
    return s;
}

/* Headers of every shard when all are present; else the index total stands. */
static hr_status read_shards(int dfd, const char *dir, char **names, size_t n, int from_index,
                             hr_plan_model_facts *f, hr_plan_error *err) {
    size_t present = 0;
    for (size_t i = 0; i < n; i++)
        present += exists_at(dfd, names[i]) == 1;
    if (from_index && present < n) {
        size_t len = strlen(f->params_source);
        hr__snprintf(f->params_source + len, sizeof f->params_source - len,
                     " (%zu of %zu shards present: headers not read)", present, n);
        return HR_OK;
    }
    for (size_t i = 0; i < n; i++) {
        hr_status s = read_header(dfd, dir, names[i], f, err);
        if (s != HR_OK)
            return s;
    }
    return HR_OK;
}

hr_status hr_plan_model_dir_read(const char *dir, hr_plan_model_facts *f, hr_plan_error *err) {
    if (!dir || !f)
        return HR_EINVAL;
    int dfd = hr__sys.openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return hr__plan_fail(err, errno_status(errno), dir, "give the directory that holds "
                             "config.json and the *.safetensors files", "%s", strerror(errno));
    hr__strlcpy(f->name, dir, sizeof f->name);
    char **names = NULL;
    size_t n = 0;
    int has_config = exists_at(dfd, "config.json");
    int has_index = exists_at(dfd, "model.safetensors.index.json");
    hr_status s = HR_OK;
    if (has_config)
        s = read_json_file(dfd, dir, "config.json", f, 0, NULL, NULL, err);
    if (s == HR_OK && has_index)
        s = read_json_file(dfd, dir, "model.safetensors.index.json", f, 1, &names, &n, err);
    else if (s == HR_OK)
        s = list_shards(dir, &names, &n, err);
    if (s == HR_OK)
        s = read_shards(dfd, dir, names, n, has_index == 1, f, err);
    if (s == HR_OK && has_config != 1 && has_index != 1 && n == 0)
        s = hr__plan_fail(err, HR_ENOENT, dir, "give a Hugging Face model directory, or the size "
                          "with --params", "no config.json, index or *.safetensors file here");
    free_names(names, n);
    hr__sys.close(dfd);
    return s;
}
