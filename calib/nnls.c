/* Non-negative least squares (Lawson and Hanson, "Solving Least Squares
 * Problems", 1974, ch. 23): the monotone table fit solves for non-negative
 * pressure increments. The systems are tiny (one row per load, one column
 * per knot), so the passive-set subproblems go through the normal
 * equations. */
#include <math.h>
#include <string.h>

#include "calib_internal.h"
#include "rm_error.h"

#define NNLS_MAX 64

/* Solves the least-squares problem restricted to the columns in `set`
 * (count k) by Gaussian elimination with partial pivoting on the normal
 * equations; z receives the solution for those columns (others 0). */
static int solve_subset(const double *A, const double *b, size_t m, size_t n, const int *set,
                        size_t k, double *z)
{
    double M[NNLS_MAX][NNLS_MAX + 1];
    for (size_t i = 0; i < k; i++) {
        for (size_t j = 0; j < k; j++) {
            double s = 0;
            for (size_t r = 0; r < m; r++)
                s += A[r * n + (size_t)set[i]] * A[r * n + (size_t)set[j]];
            M[i][j] = s;
        }
        double s = 0;
        for (size_t r = 0; r < m; r++)
            s += A[r * n + (size_t)set[i]] * b[r];
        M[i][k] = s;
    }
    for (size_t c = 0; c < k; c++) {
        size_t piv = c;
        for (size_t r = c + 1; r < k; r++)
            if (fabs(M[r][c]) > fabs(M[piv][c]))
                piv = r;
        if (fabs(M[piv][c]) < 1e-300)
            return RM_ERANGE;
        if (piv != c)
            for (size_t j = 0; j <= k; j++) {
                double t = M[c][j];
                M[c][j] = M[piv][j];
                M[piv][j] = t;
            }
        for (size_t r = c + 1; r < k; r++) {
            double f = M[r][c] / M[c][c];
            for (size_t j = c; j <= k; j++)
                M[r][j] -= f * M[c][j];
        }
    }
    memset(z, 0, n * sizeof(double));
    for (size_t c = k; c-- > 0;) {
        double s = M[c][k];
        for (size_t j = c + 1; j < k; j++)
            s -= M[c][j] * z[set[j]];
        z[set[c]] = s / M[c][c];
    }
    return 0;
}

int calib_nnls(const double *A, const double *b, size_t m, size_t n, double *x)
{
    if (n == 0 || n > NNLS_MAX)
        return RM_EUSAGE;
    int passive[NNLS_MAX], in_p[NNLS_MAX] = {0};
    double w[NNLS_MAX], z[NNLS_MAX];
    size_t np = 0;
    memset(x, 0, n * sizeof(double));
    double scale = 0;
    for (size_t i = 0; i < m * n; i++)
        scale = fmax(scale, fabs(A[i]));
    double tol = 1e-12 * (scale > 0 ? scale : 1.0) * (double)(m + n);
    for (size_t outer = 0; outer < 3 * n + 3; outer++) {
        /* The gradient of -|Ax - b|^2 / 2: where it is positive, raising that
         * variable helps. */
        for (size_t j = 0; j < n; j++) {
            double s = 0;
            for (size_t r = 0; r < m; r++) {
                double res = b[r];
                for (size_t c = 0; c < n; c++)
                    res -= A[r * n + c] * x[c];
                s += A[r * n + j] * res;
            }
            w[j] = s;
        }
        int best = -1;
        for (size_t j = 0; j < n; j++)
            if (!in_p[j] && w[j] > tol && (best < 0 || w[j] > w[best]))
                best = (int)j;
        if (best < 0)
            return 0;
        in_p[best] = 1;
        passive[np++] = best;
        for (size_t inner = 0; inner < 3 * n + 3; inner++) {
            if (solve_subset(A, b, m, n, passive, np, z))
                return RM_ERANGE;
            int feasible = 1;
            for (size_t i = 0; i < np; i++)
                feasible &= z[passive[i]] > 0;
            if (feasible) {
                memcpy(x, z, n * sizeof(double));
                break;
            }
            /* Step from x towards z as far as x stays non-negative, and drop
             * the variables that hit zero. */
            double alpha = 1.0;
            for (size_t i = 0; i < np; i++) {
                int j = passive[i];
                if (z[j] <= 0) {
                    double a = x[j] / (x[j] - z[j]);
                    if (a < alpha)
                        alpha = a;
                }
            }
            for (size_t j = 0; j < n; j++)
                x[j] += alpha * (z[j] - x[j]);
            size_t kept = 0;
            for (size_t i = 0; i < np; i++) {
                int j = passive[i];
                if (x[j] <= tol) {
                    x[j] = 0;
                    in_p[j] = 0;
                } else {
                    passive[kept++] = j;
                }
            }
            np = kept;
            if (np == 0)
                break;
        }
    }
    return 0;
}
