/*
 * mlp_step.c — forecast's side of bench/mlp.sh: times training steps of the
 * mlp_standard network through the same C shim the plugin uses
 * (models/torch_shim.h), with the plugin's batch assembly (rows gathered by
 * a shuffled permutation into a contiguous batch).
 *
 *   build/bench/mlp_step X.f32 Y.f32 ROWS FEATURES BATCH STEPS WARMUP HIDDEN
 *
 * X.f32: ROWS x FEATURES float32 row-major, Y.f32: ROWS float32 (written by
 * bench/mlp_peer.py --generate). Runs on one thread (libtorch and OpenBLAS)
 * and prints one JSON line: {"step_ms": median over 5 blocks, "loss": last}.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "torch_shim.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float *load(const char *path, size_t n)
{
    FILE *f = fopen(path, "rb");
    float *v = malloc(n * sizeof *v);
    if (!f || !v || fread(v, sizeof *v, n, f) != n) {
        fprintf(stderr, "mlp_step: cannot read %zu floats from %s\n", n, path);
        exit(2);
    }
    fclose(f);
    return v;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc != 9) {
        fprintf(stderr, "usage: mlp_step X.f32 Y.f32 ROWS FEATURES BATCH STEPS WARMUP HIDDEN\n");
        return 2;
    }
    size_t n = strtoul(argv[3], NULL, 10), F = strtoul(argv[4], NULL, 10);
    size_t B = strtoul(argv[5], NULL, 10);
    int steps = atoi(argv[6]), warmup = atoi(argv[7]), hidden = atoi(argv[8]);
    float *x = load(argv[1], n * F), *y = load(argv[2], n);
    fc_torch_set_threads(1); /* libtorch's and OpenBLAS's threads (loads the shim) */
    struct fc_torch_mlp *m = fc_torch_mlp_create((int)F, hidden, 0.1, NULL, 0, 42, "cpu");
    if (!m || fc_torch_mlp_set_optimizer(m, 1e-3, 0)) {
        fprintf(stderr, "mlp_step: %s\n", fc_torch_last_error());
        return 1;
    }
    uint32_t *perm = malloc(n * sizeof *perm);
    uint64_t s = 1;
    for (size_t i = 0; i < n; i++)
        perm[i] = (uint32_t)i;
    for (size_t i = n - 1; i > 0; i--) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        size_t j = (size_t)((s >> 33) % (i + 1));
        uint32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    float *xb = malloc(B * F * sizeof *xb), *yb = malloc(B * sizeof *yb);
    size_t off = 0;
    double loss = 0, block[5];
    int per_block = steps / 5 > 0 ? steps / 5 : 1;
    for (int k = -1; k < 5; k++) {
        int todo = k < 0 ? warmup : per_block;
        double t0 = now();
        for (int st = 0; st < todo; st++) {
            if (off + B > n)
                off = 0;
            for (size_t i = 0; i < B; i++) {
                memcpy(xb + i * F, x + (size_t)perm[off + i] * F, F * sizeof *xb);
                yb[i] = y[perm[off + i]];
            }
            off += B;
            if (fc_torch_mlp_step(m, xb, yb, NULL, (int)B, &loss)) {
                fprintf(stderr, "mlp_step: %s\n", fc_torch_last_error());
                return 1;
            }
        }
        if (k >= 0)
            block[k] = (now() - t0) / todo * 1e3;
    }
    qsort(block, 5, sizeof *block, cmp);
    printf("{\"step_ms\": %.6f, \"loss\": %.6f}\n", block[2], loss);
    fc_torch_mlp_free(m);
    free(x);
    free(y);
    free(perm);
    free(xb);
    free(yb);
    return 0;
}
