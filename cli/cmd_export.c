/* cmd_export.c: `headroom export FILE --format csv|jsonl|rle-csv [-o PATH]`:
 * a session's ticks as wide rows (the same columns on every row), its steps
 * and events beside them, and a `<out>.meta.json` sidecar with everything
 * the session knows about itself. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

typedef struct export_opts {
    const char *session;
    const char *output;  /* NULL: beside the session; "-": stdout */
    int format;          /* hr_export_format */
    int gpu;
} export_opts;

static const char *const format_names[] = {"csv", "jsonl", "rle-csv"};
static const char *const format_exts[] = {".csv", ".jsonl", ".rle.csv"};

static void usage(FILE *f) {
    fprintf(f,
            "usage: headroom export FILE [--format csv|jsonl|rle-csv] [-o PATH] [--gpu N]\n\n"
            "Writes a session's ticks as rows with the same columns on every row (values in\n"
            "base units; a missing value is an empty field or null, never 0), and a\n"
            "PATH.meta.json sidecar. CSV and JSONL also get PATH's .steps and .events files\n"
            "when the session has steps or events. rle-csv writes seed 004's 19-column layout\n"
            "(one row per component and tick) for its analysis scripts.\n\n"
            "  --format F   csv (default), jsonl or rle-csv\n"
            "  -o PATH      output file (default: FILE without .db, plus .csv, .jsonl or\n"
            "               .rle.csv); '-' writes the ticks to stdout and nothing else\n"
            "  --gpu N      rle-csv: the GPU whose rows are written as device \"gpu\" (default 0;\n"
            "               -1: CPU rows only)\n\n"
            "exit codes: 0 written, 1 runtime failure, 2 usage error.\n");
}

static int parse_format(const char *s) {
    for (int i = 0; i < 3; i++)
        if (strcmp(s, format_names[i]) == 0)
            return i;
    return -1;
}

/* Returns -1 after --help, 0 when parsed, else the usage exit code. */
static int parse_args(int argc, char **argv, export_opts *o) {
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'}, {"output", required_argument, NULL, 'o'},
        {"gpu", required_argument, NULL, 'g'},    {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'h': usage(stdout); return -1;
        case 'o': o->output = optarg; break;
        case 'f':
            if ((o->format = parse_format(optarg)) < 0)
                return cli_usage_error("export", "--format: '%s' is not csv, jsonl or rle-csv",
                                       optarg);
            break;
        case 'g':
            o->gpu = (int)strtol(optarg, &end, 10);
            if (end == optarg || *end || o->gpu < -1)
                return cli_usage_error("export", "--gpu: '%s' is not a GPU index", optarg);
            break;
        default:
            return cli_usage_error("export", "%s option '%s'",
                                   c == ':' ? "missing value for" : "unknown", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("export", optind >= argc ? "which session? (FILE)"
                                                        : "one session at a time");
    o->session = argv[optind];
    return 0;
}

/* PATH of the data: -o, else FILE without ".db" plus the format's extension. */
static void data_path(const export_opts *o, char *buf, size_t cap) {
    if (o->output) {
        snprintf(buf, cap, "%s", o->output);
        return;
    }
    size_t n = strlen(o->session);
    if (n > 3 && strcmp(o->session + n - 3, ".db") == 0)
        n -= 3;
    snprintf(buf, cap, "%.*s%s", (int)n, o->session, format_exts[o->format]);
}

/* "run.csv" -> "run.steps.csv"; other names get ".steps.csv" appended. */
static void table_path(const char *data, const char *table, const char *ext, char *buf,
                       size_t cap) {
    size_t n = strlen(data), e = strlen(ext);
    if (n > e && strcmp(data + n - e, ext) == 0)
        snprintf(buf, cap, "%.*s.%s%s", (int)(n - e), data, table, ext);
    else
        snprintf(buf, cap, "%s.%s%s", data, table, ext);
}

/* Writes one table of S to PATH through a temporary file and a rename, so a
 * failed export never leaves half a file under the final name. */
static int write_table(hr_session *s, const hr_export_options *eo, const char *path,
                       int64_t *rows) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        cli_error(path, strerror(errno), "choose a writable directory (-o PATH)");
        return -1;
    }
    hr_status st = hr_session_export(s, eo, fd, rows);
    int cerr = close(fd);
    if (st == HR_OK && cerr == 0 && rename(tmp, path) == 0)
        return 0;
    cli_error(path, st != HR_OK ? hr_session_last_error(s) : strerror(errno), NULL);
    unlink(tmp);
    return -1;
}

static json_t *columns_json(hr_session *s, int format) {
    json_t *cols = json_array();
    if (format == HR_EXPORT_RLE_CSV)
        return cols;
    json_array_append_new(cols, json_string("tick"));
    json_array_append_new(cols, json_string("time_utc"));
    json_array_append_new(cols, json_string("t_s"));
    char name[160];
    for (size_t i = 0; i < hr_session_channel_count(s); i++) {
        const hr_channel *c = hr_session_channel(s, i);
        snprintf(name, sizeof name, "%s/%s[%s]", c->component, c->metric, c->base_unit);
        json_array_append_new(cols, json_string(name));
    }
    return cols;
}

/* The sidecar: the session's metadata plus what this export wrote. */
static int write_sidecar(hr_session *s, const export_opts *o, const char *data, int64_t rows,
                         json_t *files) {
    char *meta = NULL;
    if (hr_session_meta_json(s, 0, &meta) != HR_OK) {
        cli_error(o->session, hr_session_last_error(s), NULL);
        return -1;
    }
    json_t *root = json_loads(meta, 0, NULL);
    hr_free(meta);
    if (!root)
        return -1;
    json_t *ex = json_pack("{s:s, s:s, s:I, s:o, s:o}", "format", format_names[o->format], "file",
                           data, "rows", (json_int_t)rows, "columns", columns_json(s, o->format),
                           "files", files);
    json_object_set_new(root, "export", ex);
    char path[4200];
    snprintf(path, sizeof path, "%s.meta.json", data);
    int rc = json_dump_file(root, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (rc != 0)
        cli_error(path, "cannot write the sidecar", NULL);
    return rc == 0 ? 0 : -1;
}

/* Steps and events beside the ticks (CSV and JSONL only, when there are any). */
static int write_extra(hr_session *s, const export_opts *o, const char *data, json_t *files) {
    hr_session_info info = {.size = sizeof info};
    if (o->format == HR_EXPORT_RLE_CSV || hr_session_info_get(s, &info) != HR_OK)
        return 0;
    static const char *const names[] = {"steps", "events"};
    int64_t counts[] = {info.steps, info.events};
    for (int t = 0; t < 2; t++) {
        if (!counts[t])
            continue;
        hr_export_options eo;
        hr_export_options_defaults(&eo);
        eo.format = o->format;
        eo.table = t == 0 ? HR_EXPORT_STEPS : HR_EXPORT_EVENTS;
        char path[4200];
        table_path(data, names[t], format_exts[o->format], path, sizeof path);
        int64_t rows = 0;
        if (write_table(s, &eo, path, &rows) != 0)
            return -1;
        json_object_set_new(files, names[t], json_string(path));
        printf("wrote %s (%lld rows)\n", path, (long long)rows);
    }
    return 0;
}

static int export_files(hr_session *s, const export_opts *o) {
    hr_export_options eo;
    hr_export_options_defaults(&eo);
    eo.format = o->format;
    eo.gpu = o->gpu;
    int64_t rows = 0;
    if (o->output && strcmp(o->output, "-") == 0) {
        hr_status st = hr_session_export(s, &eo, STDOUT_FILENO, &rows);
        if (st != HR_OK)
            cli_error("export", hr_session_last_error(s), NULL);
        return st == HR_OK ? HR_EXIT_OK : HR_EXIT_FAIL;
    }
    char data[4096];
    data_path(o, data, sizeof data);
    if (write_table(s, &eo, data, &rows) != 0)
        return HR_EXIT_FAIL;
    printf("wrote %s (%lld rows)\n", data, (long long)rows);
    json_t *files = json_object();
    int rc = write_extra(s, o, data, files);
    if (rc == 0)
        rc = write_sidecar(s, o, data, rows, files);
    else
        json_decref(files);
    if (rc == 0)
        printf("wrote %s.meta.json\n", data);
    return rc == 0 ? HR_EXIT_OK : HR_EXIT_FAIL;
}

int cmd_export(int argc, char **argv) {
    export_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? HR_EXIT_OK : rc;
    hr_ctx *ctx = NULL;
    if (hr_ctx_new(&ctx) != HR_OK)
        return HR_EXIT_FAIL;
    hr_session *s = NULL;
    hr_status st = hr_session_open(ctx, o.session, 0, &s);
    if (st != HR_OK) {
        cli_error("export", hr_ctx_last_error(ctx),
                  st == HR_ENOENT ? "give the path of a session file (headroom record -o FILE)"
                                  : NULL);
        hr_ctx_free(ctx);
        return HR_EXIT_FAIL;
    }
    rc = export_files(s, &o);
    hr_session_close(s);
    hr_ctx_free(ctx);
    return rc;
}
