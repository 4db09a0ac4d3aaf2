/*
 * torch_shim.h — the plain-C face of libtorch (Debian's libtorch-dev 1.13.1),
 * implemented in torch_shim.cpp, the project's only C++ file. No C++ type
 * crosses this boundary: a network is an opaque handle, data are float
 * arrays, and every function that can fail returns 0 or -1 with the reason
 * in fc_torch_last_error() (per thread, like XGBGetLastError).
 *
 * Loading. libtorch registers thousands of operators when it is loaded
 * (about 0.45 s here), which every forecast command would pay if the
 * binary linked it. So torch_shim.cpp is built as a shared object that is
 * embedded in the binary (torch_shim_blob.S) and loaded on the first call of
 * any function below (torch_loader.c: memfd + dlopen); it links libtorch.
 * The binary stays one file, commands that train no MLP never load
 * libtorch, and without libtorch installed only the MLP models fail, with
 * a message saying so. The shim exports one symbol, fc_torch_shim_api(),
 * returning the table of functions struct fc_torch_api below.
 *
 * The network is the MLP of mlp_standard / mlp_quantile:
 *   [inputs | embeddings of the code inputs] -> Linear(width, hidden) -> ReLU
 *   -> Dropout -> Linear(hidden, hidden) -> ReLU -> Dropout
 *   -> Linear(hidden, n_out)
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

struct fc_torch_mlp; /* opaque: a network and its optimiser state */

/* Why the last failing call of this thread failed (never NULL). */
const char *fc_torch_last_error(void);

/* "libtorch 1.13.0" (what its headers say) into buf; -1 when libtorch
 * cannot be loaded. */
int fc_torch_version(char *buf, size_t n);
/* 1 when the linked libtorch can use a CUDA device now. */
int fc_torch_cuda_available(void);
/* Threads of libtorch's intra-op pool for the calling thread (OpenMP) and
 * OpenBLAS's (process-wide). */
void fc_torch_set_threads(int n);
/* Which BLAS libtorch's sgemm_ resolves to, described in buf: 1 OpenBLAS,
 * 0 another (the reference BLAS is about 8x slower), -1 not loaded. */
int fc_torch_blas(char *buf, size_t n);

/* A new network. levels: n_levels ascending quantile levels (the pinball
 * loss, n_out = n_levels) or NULL (squared error, n_out = 1). device "cpu"
 * or "cuda". The last n_emb of the n_in inputs are category codes, input k
 * in 0..emb_card[k] (emb_card[k] itself: missing or unseen), each looked up
 * in a learned table of emb_card[k] + 1 rows of emb_dim[k] values (as
 * torch.nn.Embedding, initialised N(0, 1)) and fed to the first layer
 * after the other inputs. NULL after an error. */
struct fc_torch_mlp *fc_torch_mlp_create(int n_in, int hidden, double dropout, const double *levels,
                                         int n_levels, uint64_t seed, const char *device,
                                         int n_emb, const int *emb_card, const int *emb_dim);
void fc_torch_mlp_free(struct fc_torch_mlp *m);
/* Adam with this learning rate and L2 weight decay (as torch.optim.Adam). */
int fc_torch_mlp_set_optimizer(struct fc_torch_mlp *m, double learning_rate, double weight_decay);

/* One optimiser step on a batch: x (n, n_in) row-major, y (n), w (n) or
 * NULL. The batch loss is the mean of w[i] * loss[i] (pass weights scaled
 * to mean 1 over the training rows), returned in *loss (before the step). */
int fc_torch_mlp_step(struct fc_torch_mlp *m, const float *x, const float *y, const float *w, int n,
                      double *loss);
/* Loss without dropout or gradients: *loss_sum = sum of row losses times
 * weights, *weight_sum = sum of weights (n without weights). */
int fc_torch_mlp_eval(struct fc_torch_mlp *m, const float *x, const float *y, const float *w,
                      size_t n, double *loss_sum, double *weight_sum);
/* Outputs without dropout: out (n, n_out) row-major. */
int fc_torch_mlp_predict(struct fc_torch_mlp *m, const float *x, size_t n, float *out);

/* All weights as one float array: W1, b1, W2, b2, W3, b3, each row-major
 * as torch stores nn.Linear's weight (out, in), then the embedding tables
 * (emb_card[k] + 1, emb_dim[k]) row-major. */
size_t fc_torch_mlp_n_params(const struct fc_torch_mlp *m);
int fc_torch_mlp_get_params(const struct fc_torch_mlp *m, float *buf);
int fc_torch_mlp_set_params(struct fc_torch_mlp *m, const float *buf);

/* ---- between torch_loader.c and the shared object ---- */

#define FC_TORCH_API_VERSION 2 /* 2: embeddings */

struct fc_torch_api {
    int version; /* FC_TORCH_API_VERSION */
    size_t size; /* sizeof(struct fc_torch_api) */
    const char *(*last_error)(void);
    void (*version_string)(char *buf, size_t n);
    int (*cuda_available)(void);
    void (*set_threads)(int n);
    int (*blas)(char *buf, size_t n);
    struct fc_torch_mlp *(*mlp_create)(int n_in, int hidden, double dropout,
                                       const double *levels, int n_levels, uint64_t seed,
                                       const char *device, int n_emb, const int *emb_card,
                                       const int *emb_dim);
    void (*mlp_free)(struct fc_torch_mlp *m);
    int (*mlp_set_optimizer)(struct fc_torch_mlp *m, double learning_rate, double weight_decay);
    int (*mlp_step)(struct fc_torch_mlp *m, const float *x, const float *y, const float *w, int n,
                    double *loss);
    int (*mlp_eval)(struct fc_torch_mlp *m, const float *x, const float *y, const float *w,
                    size_t n, double *loss_sum, double *weight_sum);
    int (*mlp_predict)(struct fc_torch_mlp *m, const float *x, size_t n, float *out);
    size_t (*mlp_n_params)(const struct fc_torch_mlp *m);
    int (*mlp_get_params)(const struct fc_torch_mlp *m, float *buf);
    int (*mlp_set_params)(struct fc_torch_mlp *m, const float *buf);
};

/* The one symbol the shared object exports. */
const struct fc_torch_api *fc_torch_shim_api(void);

#ifdef __cplusplus
}
#endif

#endif
