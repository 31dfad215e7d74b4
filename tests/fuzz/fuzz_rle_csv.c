/* fuzz_rle_csv.c: the RLE CSV importer on arbitrary bytes.
 *
 * Beyond "no crash, no leak, no UB", every row it returns must be sane
 * (device cpu or gpu, known values finite, collapse 0 or 1, counts adding
 * up), and writing a row with the 19-column writer and reading it back must
 * give the same time, device and (at the written precision) values. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record/rle_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok) {
    if (!ok)
        abort();
}

/* The writer's decimals per field, to compare values after a round trip. */
static double tolerance(int f, double v) {
    switch (f) {
    case HR__RLE_F_TEMP_C:
    case HR__RLE_F_VRAM_TEMP_C:
    case HR__RLE_F_POWER_W:
    case HR__RLE_F_UTIL_PCT: return 0.0051;
    case HR__RLE_F_A_LOAD:
    case HR__RLE_F_CPU_FREQ_GHZ: return 0.00051;
    case HR__RLE_F_T_SUSTAIN_S:
    case HR__RLE_F_FAN_PCT: return 0.051;
    case HR__RLE_F_CYCLES_PER_JOULE: return fabs(v) * 1e-6 + 1e-300;
    case HR__RLE_F_COLLAPSE: return 0.0;
    default: return 0.00000051;
    }
}

static void round_trip(const hr__rle_row *row) {
    for (int f = 0; f < HR__RLE_F_COUNT; f++)
        if (HR__RLE_KNOWN(row, f) && fabs(row->v[f]) >= 1e15)
            return; /* would print wider than a field may be */
    char line[1024];
    size_t n = hr__rle_csv_format19(row, line, sizeof line);
    check(n < sizeof line && n == strlen(line));
    hr__rle_csv_parser p;
    hr__rle_csv_init(&p);
    hr__rle_row back;
    const char *h = hr__rle_csv_header19;
    check(hr__rle_csv_line(&p, h, strlen(h), &back, NULL, 0) == HR__RLE_LINE_HEADER);
    check(hr__rle_csv_line(&p, line, n, &back, NULL, 0) == HR__RLE_LINE_ROW);
    check(strcmp(back.device, row->device) == 0);
    /* The writer keeps microseconds (rounding down). */
    check(back.t_unix_ns == row->t_unix_ns - ((row->t_unix_ns % 1000) + 1000) % 1000);
    for (int f = 0; f < HR__RLE_F_COUNT; f++) {
        check(HR__RLE_KNOWN(&back, f) == HR__RLE_KNOWN(row, f));
        if (HR__RLE_KNOWN(row, f))
            check(fabs(back.v[f] - row->v[f]) <= tolerance(f, row->v[f]));
    }
}

static hr_status on_row(const hr__rle_row *row, void *ud) {
    size_t *rows = ud;
    (*rows)++;
    check(strcmp(row->device, "cpu") == 0 || strcmp(row->device, "gpu") == 0);
    check(row->line_no > 0);
    check(!(row->repeated && row->backwards));
    for (int f = 0; f < HR__RLE_F_COUNT; f++) {
        if (!HR__RLE_KNOWN(row, f))
            check(row->v[f] == 0.0);
        else
            check(isfinite(row->v[f]));
    }
    if (HR__RLE_KNOWN(row, HR__RLE_F_COLLAPSE))
        check(row->v[HR__RLE_F_COLLAPSE] == 0.0 || row->v[HR__RLE_F_COLLAPSE] == 1.0);
    check(memchr(row->alerts, '\0', sizeof row->alerts) != NULL);
    check(memchr(row->timestamp, '\0', sizeof row->timestamp) != NULL);
    round_trip(row);
    return HR_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t rows = 0;
    hr__rle_csv_stats st;
    check(hr__rle_csv_parse((const char *)data, size, on_row, &rows, &st) == HR_OK);
    check(st.rows == rows);
    check(st.rows + st.junk + st.headers + st.blank == st.lines);
    check(st.repeated + st.backwards <= st.rows);
    check((st.junk == 0) == (st.first_junk_line == 0));
    return 0;
}
