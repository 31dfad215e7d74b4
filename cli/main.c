/* main.c: the headroom command-line tool: dispatch, --help, --version. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

void cli_error(const char *what, const char *why, const char *hint) {
    fprintf(stderr, "headroom: %s: %s\n", what, why);
    if (hint)
        fprintf(stderr, "hint: %s\n", hint);
}

int cli_usage_error(const char *command, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char what[64];
    snprintf(what, sizeof what, "%s", command);
    char hint[96];
    snprintf(hint, sizeof hint, "see 'headroom %s --help'", command);
    cli_error(what, msg, hint);
    return HR_EXIT_USAGE;
}

int cli_use_color(FILE *f) {
    const char *nc = getenv("NO_COLOR");
    return (!nc || !*nc) && isatty(fileno(f));
}

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"probe", cmd_probe, "what is this machine; every value or \"unknown (why)\""},
    {"plan", cmd_plan, "how a model, diffusion pipeline or tensor cache fits here"},
    {"stress", cmd_stress, "duty-cycle CPU load (calibration; --steps for tqdm-style work)"},
    {"record", cmd_record, "telemetry into a session file on a steady cadence (RLE, collapses)"},
    {"export", cmd_export, "a session as CSV, JSONL or the seed's RLE CSV, with a sidecar"},
    {"import", cmd_import, "the seed's RLE CSV files into a session"},
    {"report", cmd_report, "what happened in a session and why: findings, charts, efficiency"},
    {"serve", cmd_serve, "Prometheus /metrics of this machine (loopback by default)"},
    {"run", cmd_run, "a job under watch: steps, cooling breaks, a session (-- CMD ARGS)"},
};

static void usage(FILE *f) {
    fprintf(f, "usage: headroom [--version] [--help] <command> [<args>]\n\n"
               "Keeps long ML jobs fast on the machine in front of you.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'headroom <command> --help' describes a command.\n"
               "exit codes: 0 ok, 1 runtime failure, 2 usage error.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return HR_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return HR_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("headroom %s (libheadroom %s, ABI %d)\n", HR_VERSION_STRING, hr_version(),
               hr_abi_version());
        return HR_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    cli_error(cmd, "no such command", "run 'headroom --help' for the list");
    return HR_EXIT_USAGE;
}
