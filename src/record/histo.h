/* histo.h: a log-linear histogram of durations for latency percentiles
 * (16 sub-buckets per power of two: within about 6 %), fixed size, no
 * allocation, so the sampling thread can record into it every tick. */
#ifndef HR_RECORD_HISTO_H
#define HR_RECORD_HISTO_H

#include <stdint.h>

#define HR__HISTO_BUCKETS 1024

typedef struct hr__histo {
    uint64_t count;
    int64_t max;
    uint32_t b[HR__HISTO_BUCKETS];
} hr__histo;

/* Adds one value (negative values count as 0). */
void hr__histo_add(hr__histo *h, int64_t v);

/* The value at quantile Q (0..1): the middle of the bucket holding it; 0
 * when empty. */
int64_t hr__histo_quantile(const hr__histo *h, double q);

#endif /* HR_RECORD_HISTO_H */
