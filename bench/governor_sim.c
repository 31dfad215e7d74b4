/* governor_sim.c: the governor on the thermal simulator (tests/sim), every
 * policy side by side with no policy, the seed's policy and the best fixed
 * duty cycle, on the main scenario and two harder ones. Prints Markdown
 * tables (docs/GOVERNOR.md carries a copy) and, with --json, one JSON object
 * per scenario. Deterministic: the same build prints the same numbers. */
#include <stdio.h>
#include <string.h>

#include "sim/thermal_sim.h"

typedef struct scenario {
    const char *name;
    double dvfs_band_c;
    unsigned units_per_step;
} scenario;

static void hm(double s, char *buf, size_t cap) {
    long m = (long)(s / 60 + 0.5);
    snprintf(buf, cap, "%ld:%02ld", m / 60, m % 60);
}

static void print_table(const scenario *sc, const hr_sim_params *p, const hr_sim_row *rows) {
    const hr_sim_result *best = &rows[HR_SIM_ROW_DUTY].r;
    printf("\n### %s\n\n", sc->name);
    printf("DVFS floor %.0f %% reached %.0f \xc2\xb0" "C above %.0f \xc2\xb0" "C; emergency at %.0f "
           "\xc2\xb0" "C; %u units reported every %u; best duty cycle: work %.0f s, rest %.0f s.\n\n",
           100 * p->f_min, p->dvfs_band_c, p->t_soft_c, p->t_hard_c, p->units, p->units_per_step,
           best->work_s, best->rest_s);
    printf("| policy | finish (h:mm) | vs best duty | emergency (min) | breaks | paused (min) | "
           "peak die (\xc2\xb0" "C) |\n");
    printf("|---|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < HR_SIM_ROWS; i++) {
        const hr_sim_result *r = &rows[i].r;
        char fin[16];
        hm(r->finish_s, fin, sizeof fin);
        printf("| %s | %s%s | %+.1f %% | %.0f | %u | %.0f | %.1f |\n", rows[i].name, fin,
               r->finished ? "" : " (unfinished)", 100 * (r->finish_s / best->finish_s - 1),
               r->emergency_s / 60, r->breaks, r->paused_s / 60, r->peak_die_c);
    }
}

static void print_json(const scenario *sc, const hr_sim_row *rows) {
    printf("{\"scenario\":\"%s\",\"rows\":[", sc->name);
    for (int i = 0; i < HR_SIM_ROWS; i++) {
        const hr_sim_result *r = &rows[i].r;
        printf("%s{\"policy\":\"%s\",\"finish_s\":%.1f,\"emergency_s\":%.1f,\"breaks\":%u,"
               "\"paused_s\":%.1f,\"peak_die_c\":%.2f}",
               i ? "," : "", rows[i].name, r->finish_s, r->emergency_s, r->breaks, r->paused_s,
               r->peak_die_c);
    }
    printf("]}\n");
}

int main(int argc, char **argv) {
    int json = argc > 1 && strcmp(argv[1], "--json") == 0;
    const scenario scenarios[] = {
        {"Main scenario: 35 images x 25 steps, one step per progress line", 10.0, 1},
        {"Harder: one progress line per image (25 units per step)", 10.0, 25},
        {"Harder: DVFS reaches its floor only at the emergency limit", 15.0, 1},
    };
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        hr_sim_params p;
        hr_sim_params_default(&p);
        p.dvfs_band_c = scenarios[i].dvfs_band_c;
        p.units_per_step = scenarios[i].units_per_step;
        hr_sim_row rows[HR_SIM_ROWS];
        if (hr_sim_compare(&p, rows) != 0) {
            fprintf(stderr, "governor_sim: a row could not be run\n");
            return 1;
        }
        if (json)
            print_json(&scenarios[i], rows);
        else
            print_table(&scenarios[i], &p, rows);
    }
    return 0;
}
