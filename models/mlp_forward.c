/*
 * mlp_forward.c — the MLP's forward pass for prediction, in plain C.
 *
 * Why not libtorch's: BLAS picks its kernels and blocking by matrix shape
 * and by CPU (OpenBLAS's Haswell kernel on an AMD EPYC rounds a row
 * differently depending on where it sits in the block), so a row's
 * prediction depended on the rows predicted with it: `forecast predict`
 * on the whole data file differed from the run's test predictions in the
 * 7th digit. Here every output is one fixed sequence of float operations
 * on that row's inputs and the weights: the bias-free dot product in input
 * order, then the bias, then ReLU. No FMA is emitted (the Makefile builds
 * with -ffp-contract=off and x86-64's baseline has no FMA), and SIMD lanes
 * round as scalar float operations do, so the result is the same bits for
 * any batch, on any x86-64 CPU. Training (Adam, dropout, the validation
 * loss) stays in libtorch.
 */
#include "mlp_forward.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/util.h"

#define TILE 8 /* rows per pass: the innermost loop, vectorised by the compiler */

/* y (n_out, TILE) = act(W (n_out, n_in) . x (n_in, TILE) + b), column r of x
 * and y being row r of the tile. An AVX2 clone where the CPU has it (8
 * lanes, 2-3x faster on 1M rows; lanes round as scalars do, so the bits
 * are the same as the SSE2 version's). */
__attribute__((target_clones("avx2", "default"))) static void layer(const float *W, const float *b, size_t n_in, size_t n_out, const float *x,
                  float *y, int relu)
{
    for (size_t j = 0; j < n_out; j++) {
        float acc[TILE] = {0};
        const float *w = W + j * n_in;
        for (size_t k = 0; k < n_in; k++) {
            float wk = w[k];
            const float *xk = x + k * TILE;
            for (int r = 0; r < TILE; r++)
                acc[r] += wk * xk[r];
        }
        for (int r = 0; r < TILE; r++) {
            float v = acc[r] + b[j];
            y[j * TILE + r] = relu && !(v > 0) ? 0.0f : v;
        }
    }
}

/* torch.nn.functional.softplus with beta 1 and threshold 20, in double */
static float softplus(float z)
{
    return z > 20 ? z : (float)log1p(exp((double)z));
}

void mlp_forward(const float *params, size_t n_in, size_t hidden, size_t n_out, int monotone,
                 const float *x, size_t n, float *out)
{
    const float *W1 = params, *b1 = W1 + hidden * n_in;
    const float *W2 = b1 + hidden, *b2 = W2 + hidden * hidden;
    const float *W3 = b2 + hidden, *b3 = W3 + n_out * hidden;
    size_t wide = n_in > hidden ? n_in : hidden;
    float *xt = xmalloc(wide * TILE * sizeof *xt);
    float *h1 = xmalloc(hidden * TILE * sizeof *h1);
    float *h2 = xmalloc(hidden * TILE * sizeof *h2);
    float *z = xmalloc(n_out * TILE * sizeof *z);
    for (size_t off = 0; off < n; off += TILE) {
        size_t k = n - off < TILE ? n - off : TILE;
        /* the tile, transposed; rows past the end are zeros (their outputs
         * are dropped, and no lane depends on another) */
        memset(xt, 0, n_in * TILE * sizeof *xt);
        for (size_t r = 0; r < k; r++)
            for (size_t c = 0; c < n_in; c++)
                xt[c * TILE + r] = x[(off + r) * n_in + c];
        layer(W1, b1, n_in, hidden, xt, h1, 1);
        layer(W2, b2, hidden, hidden, h1, h2, 1);
        layer(W3, b3, hidden, n_out, h2, z, 0);
        for (size_t r = 0; r < k; r++) {
            float *o = out + (off + r) * n_out;
            o[0] = z[r];
            /* monotone in the level: the first output, then positive steps */
            for (size_t q = 1; q < n_out; q++)
                o[q] = monotone ? o[q - 1] + softplus(z[q * TILE + r]) : z[q * TILE + r];
        }
    }
    free(z);
    free(h2);
    free(h1);
    free(xt);
}
