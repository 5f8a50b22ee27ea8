/* The variables file each gnuplot script is run with: plain
 * `name = value` lines, strings single-quoted (gnuplot interprets nothing
 * inside single quotes but a doubled quote). */
#include <math.h>
#include <stdio.h>

#include "plot_internal.h"

static void put_string(FILE *f, const char *value)
{
    fputc('\'', f);
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (*p == '\'')
            fputs("''", f);
        else if (*p < 0x20 || *p == 0x7f)
            fputc(' ', f); /* a newline would end the command */
        else
            fputc(*p, f);
    }
    fputc('\'', f);
}

static void put_number(FILE *f, double value)
{
    if (isfinite(value))
        fprintf(f, "%.10g", value);
    else
        fputs("NaN", f);
}

void rm_gp_str(FILE *f, const char *name, const char *value)
{
    fprintf(f, "%s = ", name);
    put_string(f, value ? value : "");
    fputc('\n', f);
}

void rm_gp_num(FILE *f, const char *name, double value)
{
    fprintf(f, "%s = ", name);
    put_number(f, value);
    fputc('\n', f);
}

void rm_gp_int(FILE *f, const char *name, long value)
{
    fprintf(f, "%s = %ld\n", name, value);
}

void rm_gp_num_array(FILE *f, const char *name, const double *values, size_t n)
{
    fprintf(f, "array %s[%zu] = [", name, n ? n : 1);
    if (n == 0)
        fputs("0", f);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        put_number(f, values[i]);
    }
    fputs("]\n", f);
}

void rm_gp_str_array(FILE *f, const char *name, const char *const *values, size_t n)
{
    fprintf(f, "array %s[%zu] = [", name, n ? n : 1);
    if (n == 0)
        fputs("''", f);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        put_string(f, values[i]);
    }
    fputs("]\n", f);
}

double rm_plot_nice_top(double v)
{
    /* Round a colour-bar or axis top up to a round number (1, 1.2, 1.5 ...
     * 8 times a power of ten): round tick labels, little wasted range. */
    if (!(v > 0))
        return 1;
    double p = pow(10, floor(log10(v)));
    static const double steps[] = {1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
        if (v <= steps[i] * p * (1 + 1e-9))
            return steps[i] * p;
    return 10 * p;
}
