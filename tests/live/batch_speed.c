/* Prints the batch analysis' per-frame roll speed of a recording ("t
 * speed" lines, speed empty while unloaded): what the live test holds the
 * page's speed zones against. */
#include <math.h>
#include <stdio.h>

#include "rm_analysis.h"
#include "rm_error.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: batch_speed REC.h5\n");
        return 2;
    }
    struct rm_analysis_opts opts;
    rm_analysis_opts_init(&opts);
    opts.keep_trace = true;
    struct rm_analysis_result *r;
    int rc = rm_analysis_run(argv[1], &opts, &r);
    if (rc != 0) {
        fprintf(stderr, "batch_speed: %s\n", rm_last_error(rc));
        return 1;
    }
    for (int64_t i = 0; i < r->trace.n; i++) {
        double v = r->trace.speed_mm_s[i];
        if (isfinite(v) && r->trace.loaded[i])
            printf("%.4f %.3f\n", r->trace.t[i], v);
        else
            printf("%.4f\n", r->trace.t[i]);
    }
    rm_analysis_result_free(r);
    rm_analysis_cleanup();
    return 0;
}
