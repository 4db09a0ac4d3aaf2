/*
 * torch_loader.c — the functions of torch_shim.h, forwarded to the shim's
 * shared object, which is loaded on the first call: its bytes are embedded
 * in the binary (torch_shim_blob.S), written to an anonymous memory file
 * (memfd_create; a temporary file, removed at once, where that or /proc is
 * missing) and opened with dlopen, which also loads libtorch. If that fails
 * (libtorch not installed, say) every call fails with the reason.
 */
#define _GNU_SOURCE /* memfd_create */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "torch_shim.h"

extern const unsigned char fc_torch_shim_so[], fc_torch_shim_so_end[];

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const struct fc_torch_api *api;
static char load_error[512];

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* dlopen of the shim's bytes staged in fd, reachable as path */
static void *open_staged(const char *path, int fd, size_t n)
{
    if (write_all(fd, fc_torch_shim_so, n) != 0)
        return NULL;
    return dlopen(path, RTLD_NOW | RTLD_LOCAL);
}

static void load(void)
{
    size_t n = (size_t)(fc_torch_shim_so_end - fc_torch_shim_so);
    void *h = NULL;
    /* an anonymous memory file, opened through /proc ... */
    int fd = memfd_create("forecast-torch-shim", MFD_CLOEXEC);
    if (fd >= 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        h = open_staged(path, fd, n);
        close(fd); /* the mapping keeps what dlopen needs */
    }
    /* ... or, without memfd or /proc, a temporary file removed at once */
    if (!h) {
        const char *dir = getenv("TMPDIR");
        char path[4096];
        snprintf(path, sizeof path, "%s/forecast-torch-XXXXXX", dir && *dir ? dir : "/tmp");
        fd = mkstemp(path);
        if (fd >= 0) {
            h = open_staged(path, fd, n);
            close(fd);
            unlink(path);
        }
    }
    if (!h) {
        const char *why = dlerror();
        snprintf(load_error, sizeof load_error,
                 "libtorch cannot be loaded (the MLP models need it; scripts/deps.sh "
                 "installs libtorch-dev): %s",
                 why ? why : "cannot stage the shim in memory or in $TMPDIR");
        return;
    }
    const struct fc_torch_api *(*entry)(void) =
        (const struct fc_torch_api *(*)(void))dlsym(h, "fc_torch_shim_api");
    const struct fc_torch_api *a = entry ? entry() : NULL;
    if (!a || a->version != FC_TORCH_API_VERSION || a->size != sizeof *a) {
        snprintf(load_error, sizeof load_error,
                 "libtorch: the embedded shim does not match this binary");
        return;
    }
    api = a; /* the handle stays open for the life of the process */
}

static int ready(void)
{
    pthread_once(&once, load);
    return api != NULL;
}

const char *fc_torch_last_error(void)
{
    return ready() ? api->last_error() : load_error;
}

int fc_torch_version(char *buf, size_t n)
{
    if (!ready())
        return -1;
    api->version_string(buf, n);
    return 0;
}

int fc_torch_cuda_available(void) { return ready() ? api->cuda_available() : 0; }

void fc_torch_set_threads(int n)
{
    if (ready())
        api->set_threads(n);
}

int fc_torch_blas(char *buf, size_t n)
{
    if (!ready()) {
        snprintf(buf, n, "BLAS unknown (libtorch not loaded)");
        return -1;
    }
    return api->blas(buf, n);
}

struct fc_torch_mlp *fc_torch_mlp_create(int n_in, int hidden, double dropout,
                                         const double *levels, int n_levels, uint64_t seed,
                                         const char *device)
{
    return ready() ? api->mlp_create(n_in, hidden, dropout, levels, n_levels, seed, device)
                   : NULL;
}

void fc_torch_mlp_free(struct fc_torch_mlp *m)
{
    if (m && ready())
        api->mlp_free(m);
}

/* the rest need a network, which only exists once the shim is loaded */

int fc_torch_mlp_set_optimizer(struct fc_torch_mlp *m, double learning_rate, double weight_decay)
{
    return api->mlp_set_optimizer(m, learning_rate, weight_decay);
}

int fc_torch_mlp_step(struct fc_torch_mlp *m, const float *x, const float *y, const float *w,
                      int n, double *loss)
{
    return api->mlp_step(m, x, y, w, n, loss);
}

int fc_torch_mlp_eval(struct fc_torch_mlp *m, const float *x, const float *y, const float *w,
                      size_t n, double *loss_sum, double *weight_sum)
{
    return api->mlp_eval(m, x, y, w, n, loss_sum, weight_sum);
}

int fc_torch_mlp_predict(struct fc_torch_mlp *m, const float *x, size_t n, float *out)
{
    return api->mlp_predict(m, x, n, out);
}

size_t fc_torch_mlp_n_params(const struct fc_torch_mlp *m) { return api->mlp_n_params(m); }

int fc_torch_mlp_get_params(const struct fc_torch_mlp *m, float *buf)
{
    return api->mlp_get_params(m, buf);
}

int fc_torch_mlp_set_params(struct fc_torch_mlp *m, const float *buf)
{
    return api->mlp_set_params(m, buf);
}
