/* cli.h: shared pieces of the headroom command-line tool. */
#ifndef HR_CLI_CLI_H
#define HR_CLI_CLI_H

#include <stdio.h>

#include "headroom/headroom.h"

/* Exit codes (docs/CLI.md): 0 ok, 1 runtime failure, 2 usage error. */
enum { HR_EXIT_OK = 0, HR_EXIT_FAIL = 1, HR_EXIT_USAGE = 2 };

/* Prints "headroom: WHAT: WHY" and, when HINT is not NULL, "hint: HINT" on stderr. */
void cli_error(const char *what, const char *why, const char *hint);

/* Prints a usage error for COMMAND and returns HR_EXIT_USAGE. */
int cli_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* 1 when colour may be used on F (a terminal and NO_COLOR unset). */
int cli_use_color(FILE *f);

/* Subcommands: each returns the process exit code. */
int cmd_probe(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_stress(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_run(int argc, char **argv);

#endif /* HR_CLI_CLI_H */
