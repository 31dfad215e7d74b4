/* rle_csv_time.h: the ISO-8601 timestamps of the seed's RLE CSVs. */
#ifndef HR_RECORD_RLE_CSV_TIME_H
#define HR_RECORD_RLE_CSV_TIME_H

#include <stdint.h>

/* Parses "YYYY-MM-DD[T| ]HH:MM:SS[.fraction][Z|+HH:MM|-HH:MM|+HHMM|+HH]"
 * (NUL-terminated, nothing else) into nanoseconds since the Unix epoch, UTC.
 * *HAS_ZONE is 1 when a Z or an offset was given; a naive time is read as
 * UTC. Digits of the fraction past nanoseconds are ignored. Returns 0, or -1
 * when S is not such a time (month 13, hour 24, trailing text, ...). */
int hr__rle_parse_time(const char *s, int64_t *t_unix_ns, int32_t *has_zone);

#endif /* HR_RECORD_RLE_CSV_TIME_H */
