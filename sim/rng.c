/* Random numbers that come out the same on every host and every run: a plan
 * and a seed must give the same frames. */
#include <math.h>
#include <pthread.h>

#include "sim_internal.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void sim_rng_seed(struct sim_rng *rng, uint64_t seed)
{
    /* splitmix64 spreads any seed (0 and 1 included) over the whole state,
     * as the xoshiro authors recommend. */
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t sim_rng_next(struct sim_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double sim_rng_uniform(struct sim_rng *rng)
{
    return (double)(sim_rng_next(rng) >> 11) * 0x1.0p-53;
}

double sim_rng_range(struct sim_rng *rng, double lo, double hi)
{
    return lo + (hi - lo) * sim_rng_uniform(rng);
}

uint64_t sim_hash_string(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

#define GAUSS_N (1 << SIM_GAUSS_BITS)
static float gauss_table[GAUSS_N];
static pthread_once_t gauss_once = PTHREAD_ONCE_INIT;

static double normal_cdf(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

static void gauss_build(void)
{
    /* Bisection on the CDF: slow per value, but done once for 4096 values
     * and exact to float precision, with no approximation formula to trust. */
    for (int i = 0; i < GAUSS_N; i++) {
        double q = (i + 0.5) / GAUSS_N, lo = -8.0, hi = 8.0;
        for (int it = 0; it < 50; it++) {
            double mid = 0.5 * (lo + hi);
            if (normal_cdf(mid) < q)
                lo = mid;
            else
                hi = mid;
        }
        gauss_table[i] = (float)(0.5 * (lo + hi));
    }
}

const float *sim_gauss_table(void)
{
    pthread_once(&gauss_once, gauss_build);
    return gauss_table;
}
