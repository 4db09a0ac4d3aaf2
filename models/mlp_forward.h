/*
 * mlp_forward.h — the MLP's forward pass for prediction in plain C
 * (mlp_forward.c says why it is not libtorch's): a row's outputs are the
 * same bits whichever rows come with it, on any x86-64 CPU.
 */
#ifndef FORECAST_MLP_FORWARD_H
#define FORECAST_MLP_FORWARD_H

#include <stddef.h>

/* params: W1 (hidden, n_in), b1, W2 (hidden, hidden), b2, W3 (n_out,
 * hidden), b3, as torch stores nn.Linear (fc_torch_mlp_get_params). x (n,
 * n_in) row-major; out (n, n_out) row-major. Linear -> ReLU -> Linear ->
 * ReLU -> Linear; with monotone (mlp_quantile), out[0] = z[0] and out[k] =
 * out[k-1] + softplus(z[k]). */
void mlp_forward(const float *params, size_t n_in, size_t hidden, size_t n_out, int monotone,
                 const float *x, size_t n, float *out);

#endif
