/* cmd_import.c: `headroom import rle-csv FILE -o session.db`: seed 004's
 * RLE CSV files (16, 19 and 42 columns) into a session, so that `report`
 * and `export` work on what the original recorder wrote. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: headroom import rle-csv FILE -o SESSION [--force]\n\n"
            "Reads an RLE CSV written by seed 004's monitor (its 16-, 19- and 42-column\n"
            "layouts, concatenated files, extra columns) into a new session. Blank fields\n"
            "stay unknown; junk lines, repeated rows and rows that go back in time are\n"
            "skipped and counted; runs of collapse = 1 become collapse events.\n\n"
            "  -o, --output SESSION   the session file to create\n"
            "      --force            replace SESSION if it exists\n\n"
            "exit codes: 0 imported, 1 runtime failure (nothing readable), 2 usage error.\n");
}

static void print_stats(const char *csv, const char *out, const hr_import_stats *st) {
    printf("imported %lld of %lld rows from %s into %s: %lld ticks, %lld collapse events\n",
           (long long)st->imported, (long long)st->rows, csv, out, (long long)st->ticks,
           (long long)st->collapses);
    printf("  layout    %d columns, %lld header lines, %lld lines\n", (int)st->columns,
           (long long)st->headers, (long long)st->lines);
    if (st->junk)
        printf("  skipped   %lld junk lines (first: line %lld: %s)\n", (long long)st->junk,
               (long long)st->first_junk_line, st->first_junk_why);
    if (st->repeated || st->backwards)
        printf("  skipped   %lld repeated rows, %lld rows going back in time\n",
               (long long)st->repeated, (long long)st->backwards);
}

static int import_one(const char *csv, const char *out, int force) {
    hr_ctx *ctx = NULL;
    if (hr_ctx_new(&ctx) != HR_OK)
        return HR_EXIT_FAIL;
    hr_session *s = NULL;
    hr_status st = hr_session_create(ctx, out, force ? HR_SESSION_OVERWRITE : 0, &s);
    if (st != HR_OK) {
        cli_error("import", hr_ctx_last_error(ctx),
                  st == HR_EINVAL ? "use --force to replace it" : NULL);
        hr_ctx_free(ctx);
        return HR_EXIT_FAIL;
    }
    hr_import_stats stats = {.size = sizeof stats};
    st = hr_session_import_rle_csv(s, csv, &stats);
    if (st != HR_OK) {
        cli_error("import", hr_session_last_error(s), NULL);
        hr_session_close(s);
        /* Nothing worth keeping: an empty or half-made session would only mislead. */
        remove(out);
        hr_ctx_free(ctx);
        return HR_EXIT_FAIL;
    }
    int rc = hr_session_close(s) == HR_OK ? HR_EXIT_OK : HR_EXIT_FAIL;
    if (rc == HR_EXIT_OK)
        print_stats(csv, out, &stats);
    else
        cli_error("import", "closing the session failed", NULL);
    hr_ctx_free(ctx);
    return rc;
}

int cmd_import(int argc, char **argv) {
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"force", no_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL;
    int force = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return HR_EXIT_OK;
        }
        if (c == 'o')
            out = optarg;
        else if (c == 'F')
            force = 1;
        else
            return cli_usage_error("import", "%s option '%s'",
                                   c == ':' ? "missing value for" : "unknown", argv[optind - 1]);
    }
    if (argc - optind != 2 || strcmp(argv[optind], "rle-csv") != 0)
        return cli_usage_error("import", "expected: import rle-csv FILE -o SESSION");
    if (!out)
        return cli_usage_error("import", "-o SESSION is required");
    return import_one(argv[optind + 1], out, force);
}
