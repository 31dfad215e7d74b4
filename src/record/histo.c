/* histo.c: log-linear latency histogram. */
#include "record/histo.h"

/* Bucket of V: values below 16 have their own bucket; above, the bucket is
 * (position of the top bit, next 4 bits). */
static unsigned bucket_of(uint64_t v) {
    if (v < 16)
        return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    unsigned sub = (unsigned)(v >> (msb - 4)) & 15u;
    unsigned idx = (msb - 3) * 16 + sub;
    return idx < HR__HISTO_BUCKETS ? idx : HR__HISTO_BUCKETS - 1;
}

/* Lower bound and width of bucket IDX. */
static void bucket_range(unsigned idx, uint64_t *lo, uint64_t *width) {
    if (idx < 16) {
        *lo = idx;
        *width = 1;
        return;
    }
    unsigned msb = idx / 16 + 3;
    unsigned sub = idx % 16;
    *width = 1ull << (msb - 4);
    *lo = (16ull + sub) << (msb - 4);
}

void hr__histo_add(hr__histo *h, int64_t v) {
    if (v < 0)
        v = 0;
    h->b[bucket_of((uint64_t)v)]++;
    h->count++;
    if (v > h->max)
        h->max = v;
}

int64_t hr__histo_quantile(const hr__histo *h, double q) {
    if (!h->count)
        return 0;
    if (q < 0)
        q = 0;
    if (q > 1)
        q = 1;
    uint64_t rank = (uint64_t)(q * (double)(h->count - 1)) + 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HR__HISTO_BUCKETS; i++) {
        seen += h->b[i];
        if (seen >= rank) {
            uint64_t lo, w;
            bucket_range(i, &lo, &w);
            int64_t mid = (int64_t)(lo + w / 2);
            return mid > h->max ? h->max : mid;
        }
    }
    return h->max;
}
