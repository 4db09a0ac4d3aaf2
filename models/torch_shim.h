/*
 * torch_shim.h — the plain-C face of libtorch (Debian's libtorch-dev 1.13.1),
 * implemented in torch_shim.cpp, the project's only C++ file. No C++ type
 * crosses this boundary: a network is an opaque handle, data are float
 * arrays, and every function that can fail returns 0 or -1 with the reason
 * in fct_last_error() (per thread, like XGBGetLastError).
 *
 * The network is the MLP of mlp_standard / mlp_quantile:
 *   Linear(n_in, hidden) -> ReLU -> Dropout -> Linear(hidden, hidden) -> ReLU
 *   -> Dropout -> Linear(hidden, n_out)
 * initialised as torch.nn.Linear is (weights and biases uniform in
 * +-1/sqrt(fan_in)) from the network's own seeded generator, trained with
 * Adam. Loss: weighted mean squared error (n_out == 1, no levels) or the
 * weighted mean over rows of the mean pinball loss over the levels, whose
 * outputs are monotone by construction: out[0] = z[0], out[k] = out[k-1] +
 * softplus(z[k]).
 */
#ifndef FORECAST_TORCH_SHIM_H
#define FORECAST_TORCH_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fct_mlp fct_mlp;

/* Why the last failing call of this thread failed (never NULL). */
const char *fct_last_error(void);

/* "libtorch 1.13.1" into buf. */
void fct_version(char *buf, size_t n);
/* 1 when the linked libtorch can use a CUDA device now. */
int fct_cuda_available(void);
/* Threads of libtorch's intra-op pool for the calling thread (OpenMP). */
void fct_set_threads(int n);

/* A new network. levels: n_levels ascending quantile levels (the pinball
 * loss, n_out = n_levels) or NULL (squared error, n_out = 1). device "cpu"
 * or "cuda". NULL after an error. */
fct_mlp *fct_mlp_create(int n_in, int hidden, double dropout, const double *levels,
                        int n_levels, uint64_t seed, const char *device);
void fct_mlp_free(fct_mlp *m);
/* Adam with this learning rate and L2 weight decay (as torch.optim.Adam). */
int fct_mlp_set_optimizer(fct_mlp *m, double learning_rate, double weight_decay);

/* One optimiser step on a batch: x (n, n_in) row-major, y (n), w (n) or
 * NULL. The batch loss is the mean of w[i] * loss[i] (pass weights scaled
 * to mean 1 over the training rows), returned in *loss (before the step). */
int fct_mlp_step(fct_mlp *m, const float *x, const float *y, const float *w, int n,
                 double *loss);
/* Loss without dropout or gradients: *loss_sum = sum of row losses times
 * weights, *weight_sum = sum of weights (n without weights). */
int fct_mlp_eval(fct_mlp *m, const float *x, const float *y, const float *w, size_t n,
                 double *loss_sum, double *weight_sum);
/* Outputs without dropout: out (n, n_out) row-major. */
int fct_mlp_predict(fct_mlp *m, const float *x, size_t n, float *out);

/* All weights as one float array: W1, b1, W2, b2, W3, b3, each row-major
 * as torch stores nn.Linear's weight (out, in). */
size_t fct_mlp_n_params(const fct_mlp *m);
int fct_mlp_get_params(const fct_mlp *m, float *buf);
int fct_mlp_set_params(fct_mlp *m, const float *buf);

#ifdef __cplusplus
}
#endif

#endif
