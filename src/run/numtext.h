/* numtext.h: strict number and name parsing shared by the progress and
 * step-line parsers: no locale, no hex, no leading spaces, never past the
 * given length. */
#ifndef HR_RUN_NUMTEXT_H
#define HR_RUN_NUMTEXT_H

#include <stddef.h>

/* The longest name kept (a step value's name), excluding the NUL. */
#define HR__NAME_MAX 47

/* Parses a decimal number at the start of S (N bytes): [+-]digits[.digits]
 * [e[+-]digits], ".5", "5.", or nan / inf / infinity (any case, signed).
 * Returns the bytes used (0 when S does not start with a number) and sets
 * *V. Never reads past S + N. */
size_t hr__num_parse(const char *s, size_t n, double *v);

/* 1 when NAME (NUL-terminated) is a value name: 1..HR__NAME_MAX bytes of
 * [A-Za-z0-9_.:/-], starting with a letter or '_'. */
int hr__name_ok(const char *name);

#endif /* HR_RUN_NUMTEXT_H */
