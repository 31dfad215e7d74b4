/* args.h: value parsers shared by the subcommands. */
#ifndef HR_CLI_ARGS_H
#define HR_CLI_ARGS_H

/* A duration in seconds: "90" (seconds), "500ms", "90s", "2m" or "2min", "1h",
 * "1d", sums such as "1h30m", fractions such as "1.5h". A bare number is
 * allowed only alone ("1h30" is refused: 30 of what?). No sign, no blanks;
 * at most 1e10 s. Returns 0 and *OUT, or -1 without touching *OUT. */
int cli_parse_seconds(const char *s, double *out);

#endif /* HR_CLI_ARGS_H */
