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
#include <errno.h>
#include <fcntl.h>
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
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* Linux 6.3: an executable memfd under vm.memfd_noexec */
#endif

/* Stages the shim's bytes in fd and dlopens them as path. NULL with why
 * filled; *staging: the failure was in staging (not in loading libtorch). */
static void *open_staged(const char *path, int fd, char *why, size_t n_why, int *staging)
{
    size_t n = (size_t)(fc_torch_shim_so_end - fc_torch_shim_so);
    if (write_all(fd, fc_torch_shim_so, n) != 0) {
        snprintf(why, n_why, "cannot write the shim to %s: %s", path, strerror(errno));
        *staging = 1;
        return NULL;
    }
    dlerror(); /* clear */
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(why, n_why, "%s", e ? e : "dlopen failed");
        /* the staged file itself could not be opened (no /proc, noexec) */
        *staging = strstr(why, path) == why;
    }
    return h;
}

static void load(void)
{
    void *h = NULL;
    char why[400] = "";
    int staging = 1;
    /* an anonymous memory file, opened through /proc ... */
    int fd = memfd_create("forecast-torch-shim", MFD_CLOEXEC | MFD_EXEC);
    if (fd < 0 && errno == EINVAL)
        fd = memfd_create("forecast-torch-shim", MFD_CLOEXEC);
    if (fd >= 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        h = open_staged(path, fd, why, sizeof why, &staging);
        close(fd); /* the mapping keeps what dlopen needs */
    } else {
        snprintf(why, sizeof why, "memfd_create: %s", strerror(errno));
    }
    /* ... or, where that cannot be staged, a temporary file removed at once */
    if (!h && staging) {
        const char *dir = getenv("TMPDIR");
        char path[4096];
        snprintf(path, sizeof path, "%s/forecast-torch-XXXXXX", dir && *dir ? dir : "/tmp");
        fd = mkostemp(path, O_CLOEXEC);
        if (fd >= 0) {
            h = open_staged(path, fd, why, sizeof why, &staging);
            close(fd);
            unlink(path);
        } else {
            snprintf(why, sizeof why, "cannot create a temporary file in %s: %s",
                     dir && *dir ? dir : "/tmp", strerror(errno));
        }
    }
    if (!h) {
        snprintf(load_error, sizeof load_error,
                 "libtorch cannot be loaded (the MLP models need it; scripts/deps.sh "
                 "installs libtorch-dev): %s",
                 why);
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
                                         const char *device, int n_emb, const int *emb_card,
                                         const int *emb_dim)
{
    return ready() ? api->mlp_create(n_in, hidden, dropout, levels, n_levels, seed, device,
                                     n_emb, emb_card, emb_dim)
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
