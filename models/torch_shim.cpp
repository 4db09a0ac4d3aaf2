/*
 * torch_shim.cpp — the thin C shim over libtorch (see torch_shim.h), built
 * as a shared object whose only exported symbol is fc_torch_shim_api(), the
 * table of the functions below. Every one catches every exception and
 * turns it into -1 / NULL with the message kept for fc_torch_last_error().
 * Nothing here knows about datasets, files or configuration: that stays in
 * C (mlp_common.c).
 */
#include "torch_shim.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <dlfcn.h>
#include <limits.h>
#include <malloc.h>
#include <stdlib.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace {

/* a fixed buffer: recording an error never allocates, so it cannot throw
 * from inside a catch handler (e.g. after std::bad_alloc) */
thread_local char last_error[512];

int fail(const char *what) noexcept
{
    /* keep the first line: libtorch appends a C++ backtrace */
    if (!what)
        what = "unknown error";
    int len = (int)std::strcspn(what, "\n");
    snprintf(last_error, sizeof last_error, "libtorch: %.*s", len, what);
    return -1;
}

#define SHIM_TRY try {
#define SHIM_CATCH(failure)                                                              \
    }                                                                                    \
    catch (const c10::Error &e)                                                          \
    {                                                                                    \
        fail(e.what_without_backtrace());                                                \
        return failure;                                                                  \
    }                                                                                    \
    catch (const std::exception &e)                                                      \
    {                                                                                    \
        fail(e.what());                                                                  \
        return failure;                                                                  \
    }                                                                                    \
    catch (...)                                                                          \
    {                                                                                    \
        fail("unknown C++ exception");                                                   \
        return failure;                                                                  \
    }

const int64_t kChunk = 16384;      /* rows per forward pass when evaluating */
const int64_t kPredictRows = 1024; /* rows of every forward pass when predicting */

/* Every step allocates and frees activations of batch x hidden floats. With
 * glibc's defaults, blocks above 128 KiB are mmap'ed and the heap top is
 * trimmed, so each step pays fresh page faults (a third of a step at batch
 * 4096). Keep up to 32 MiB blocks on the heap and 256 MiB of it untrimmed. */
std::once_flag malloc_tuned;

void tune_malloc()
{
    std::call_once(malloc_tuned, [] {
        mallopt(M_MMAP_THRESHOLD, 32 << 20);
        mallopt(M_TRIM_THRESHOLD, 256 << 20);
    });
}

} // namespace

struct fc_torch_mlp {
    int n_in, hidden, n_out;
    int n_emb = 0;                      /* the last n_emb inputs are category codes */
    double dropout;
    bool quantile;
    torch::Device device{torch::kCPU};
    at::Generator gen;
    torch::Tensor levels;               /* (1, n_out) for the pinball loss */
    std::vector<torch::Tensor> params;  /* W1 b1 W2 b2 W3 b3 */
    /* Adam, as torch.optim.Adam (L2 weight decay added to the gradient,
     * betas 0.9 / 0.999, eps 1e-8): on the CPU one fused loop per weight
     * tensor (a step of the default network is dominated by per-op
     * overhead), elsewhere the same tensor ops as PyTorch's */
    bool has_opt = false;
    double lr = 1e-3, weight_decay = 0;
    int64_t t = 0;
    std::vector<torch::Tensor> exp_avg, exp_avg_sq; /* beside each weight */

    void adam_step()
    {
        t++;
        const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
        const double bc1 = 1 - std::pow(b1, (double)t), bc2 = 1 - std::pow(b2, (double)t);
        torch::NoGradGuard no_grad;
        for (size_t k = 0; k < params.size(); k++) {
            auto &p = params[k];
            auto g = p.grad();
            if (!g.defined())
                continue;
            if (!device.is_cpu()) { /* torch.optim.Adam's tensor ops */
                auto gi = weight_decay != 0 ? g.add(p, weight_decay) : g;
                exp_avg[k].mul_(b1).add_(gi, 1 - b1);
                exp_avg_sq[k].mul_(b2).addcmul_(gi, gi, 1 - b2);
                auto denom = (exp_avg_sq[k].sqrt() / std::sqrt(bc2)).add_(eps);
                p.addcdiv_(exp_avg[k], denom, -lr / bc1);
                continue;
            }
            const float step = (float)(lr / bc1), inv_sqrt_bc2 = (float)(1 / std::sqrt(bc2));
            /* the constants as torch's kernel has them: (float)(1 - b), not
             * 1 - (float)b, which is 1.3e-8 off for 0.999 */
            const float fb1 = (float)b1, fb2 = (float)b2, feps = (float)eps;
            const float c1 = (float)(1 - b1), c2 = (float)(1 - b2);
            const float wd = (float)weight_decay;
            float *pw = p.data_ptr<float>();
            const float *pg = g.data_ptr<float>();
            float *m = exp_avg[k].data_ptr<float>(), *v = exp_avg_sq[k].data_ptr<float>();
            int64_t n = p.numel();
            for (int64_t i = 0; i < n; i++) {
                float gi = pg[i] + wd * pw[i];
                m[i] = fb1 * m[i] + c1 * gi;
                v[i] = fb2 * v[i] + c2 * gi * gi;
                pw[i] -= step * m[i] / (std::sqrt(v[i]) * inv_sqrt_bc2 + feps);
            }
        }
    }

    torch::Tensor input(const float *x, int64_t n, int64_t cols) const
    {
        auto in = torch::from_blob(const_cast<float *>(x), {n, cols}, torch::kFloat32);
        return device.is_cpu() ? in : in.to(device);
    }

    /* dropout masks: this network's own xoshiro256** stream (seeded from
     * the seed), so a seed means the same masks whatever else runs in the
     * process, and a mask costs a few ns per unit */
    uint64_t rng[4];

    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

    uint64_t next()
    {
        uint64_t r = rotl(rng[1] * 5, 7) * 9, t1 = rng[1] << 17;
        rng[2] ^= rng[0];
        rng[3] ^= rng[1];
        rng[1] ^= rng[2];
        rng[0] ^= rng[3];
        rng[2] ^= t1;
        rng[3] = rotl(rng[3], 45);
        return r;
    }

    void seed_masks(uint64_t seed)
    {
        for (auto &w : rng) { /* splitmix64 */
            uint64_t z = (seed += 0x9e3779b97f4a7c15ull);
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
            w = z ^ (z >> 31);
        }
    }

    torch::Tensor drop(const torch::Tensor &h)
    {
        const float keep = (float)(1.0 - dropout), scale = 1.0f / keep;
        /* unit kept when a uniform 24-bit draw is below keep (as bernoulli) */
        const uint64_t cut = (uint64_t)((double)keep * 16777216.0);
        auto mask = at::empty({h.size(0), h.size(1)}, torch::kFloat32);
        float *p = mask.data_ptr<float>();
        int64_t n = mask.numel(), i = 0;
        for (; i + 2 <= n; i += 2) { /* two draws from each 64-bit output */
            uint64_t r = next();
            p[i] = (r >> 40) < cut ? scale : 0.0f;
            p[i + 1] = ((r >> 16) & 0xffffff) < cut ? scale : 0.0f;
        }
        if (i < n)
            p[i] = (next() >> 40) < cut ? scale : 0.0f;
        return h * (device.is_cpu() ? mask : mask.to(device));
    }

    /* the first layer's input: the numbers as they are, each code column
     * through its embedding table (params[6 + k]) */
    torch::Tensor embed(const torch::Tensor &x) const
    {
        if (n_emb == 0)
            return x;
        int64_t dense = n_in - n_emb;
        std::vector<torch::Tensor> parts{x.narrow(1, 0, dense)};
        auto codes = x.narrow(1, dense, n_emb).to(torch::kLong);
        for (int k = 0; k < n_emb; k++)
            parts.push_back(torch::embedding(params[6 + (size_t)k], codes.select(1, k)));
        return torch::cat(parts, 1);
    }
    torch::Tensor forward(const torch::Tensor &x, bool train)
    {
        auto h = torch::relu(torch::linear(embed(x), params[0], params[1]));
        if (train && dropout > 0)
            h = drop(h);
        h = torch::relu(torch::linear(h, params[2], params[3]));
        if (train && dropout > 0)
            h = drop(h);
        auto z = torch::linear(h, params[4], params[5]);
        if (!quantile || n_out == 1)
            return z;
        /* monotone in the level: the first output, then positive steps */
        auto steps = torch::softplus(z.narrow(1, 1, n_out - 1));
        return torch::cat({z.narrow(1, 0, 1), steps}, 1).cumsum(1);
    }

    /* per-row loss (n) */
    torch::Tensor row_loss(const torch::Tensor &out, const torch::Tensor &y)
    {
        if (!quantile) {
            auto d = out.squeeze(1) - y;
            return d * d;
        }
        auto e = y.unsqueeze(1) - out; /* (n, K) */
        return torch::max(levels * e, (levels - 1) * e).mean(1);
    }
};

namespace {

const char *shim_last_error(void)
{
    return last_error[0] ? last_error : "libtorch: no error recorded";
}

void shim_version(char *buf, size_t n)
{
    snprintf(buf, n, "libtorch %d.%d.%d", TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR,
             TORCH_VERSION_PATCH);
}

int shim_cuda_available(void)
{
    SHIM_TRY
    return torch::cuda::is_available() ? 1 : 0;
    SHIM_CATCH(0)
}

/* The library libtorch's sgemm_ comes from (libblas.so.3, whichever the
 * alternatives select), opened again without loading anything, so that
 * OpenBLAS is recognised by that library and its dependencies only: with
 * the reference BLAS selected, OpenBLAS may still be in the process
 * through another library (liblapack.so.3) while sgemm_ is the slow one. */
struct blas_lib {
    void *handle = nullptr;
    char path[PATH_MAX] = "not found";
};

const blas_lib &blas()
{
    static const blas_lib lib = [] {
        blas_lib b;
        void *sgemm = dlsym(RTLD_DEFAULT, "sgemm_");
        Dl_info di;
        if (sgemm && dladdr(sgemm, &di) && di.dli_fname) {
            b.handle = dlopen(di.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
            if (!realpath(di.dli_fname, b.path))
                snprintf(b.path, sizeof b.path, "%s", di.dli_fname);
        }
        return b;
    }();
    return lib;
}

template <typename F> F blas_fn(const char *name)
{
    return blas().handle ? (F)dlsym(blas().handle, name) : nullptr;
}

void shim_set_threads(int n)
{
    if (n < 1)
        return;
    /* OpenBLAS keeps one pool for the process, whichever thread calls it */
    auto set_blas = blas_fn<void (*)(int)>("openblas_set_num_threads");
    if (set_blas)
        set_blas(n);
    try {
        if (at::get_num_threads() != n)
            at::set_num_threads(n);
    } catch (...) {
    }
}

int shim_blas(char *buf, size_t n)
{
    auto config = blas_fn<char *(*)(void)>("openblas_get_config");
    auto threads = blas_fn<int (*)(void)>("openblas_get_num_threads");
    if (config) {
        snprintf(buf, n, "BLAS %s, %d threads (%s)", config(), threads ? threads() : 0,
                 blas().path);
        return 1;
    }
    snprintf(buf, n, "BLAS %s: not OpenBLAS, about 8x slower (install libopenblas0-pthread)",
             blas().path);
    return 0;
}

fc_torch_mlp *shim_mlp_create(int n_in, int hidden, double dropout, const double *levels,
                              int n_levels, uint64_t seed, const char *device, int n_emb,
                              const int *emb_card, const int *emb_dim)
{
    SHIM_TRY
    int width = n_in - n_emb; /* the first layer's inputs */
    for (int k = 0; k < n_emb; k++)
        width += emb_card[k] >= 1 && emb_dim[k] >= 1 ? emb_dim[k] : -n_in;
    if (n_in < 1 || hidden < 1 || (levels && n_levels < 1) || !(dropout >= 0 && dropout < 1) ||
        n_emb < 0 || n_emb > n_in || width < 1) {
        fail("invalid network shape");
        return nullptr;
    }
    tune_malloc();
    auto m = std::make_unique<fc_torch_mlp>();
    m->n_in = n_in;
    m->hidden = hidden;
    m->quantile = levels != nullptr;
    m->n_out = levels ? n_levels : 1;
    m->dropout = dropout;
    m->device = torch::Device(device ? device : "cpu");
    m->gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    m->seed_masks(seed ^ 0x64726f706f7574ull); /* "dropout" */
    if (levels) {
        std::vector<float> lv(levels, levels + n_levels);
        m->levels = torch::tensor(lv, torch::kFloat32).view({1, n_levels}).to(m->device);
    }
    /* as torch.nn.Linear.reset_parameters: kaiming_uniform(a=sqrt(5)) for
     * the weight and the same bound for the bias, i.e. U(-b, b) with
     * b = 1/sqrt(fan_in) */
    m->n_emb = n_emb;
    const int64_t shapes[3][2] = {{hidden, width}, {hidden, hidden}, {m->n_out, hidden}};
    for (auto &s : shapes) {
        double b = 1.0 / std::sqrt((double)s[1]);
        auto w = at::rand({s[0], s[1]}, m->gen, torch::kFloat32).mul_(2 * b).sub_(b);
        auto bias = at::rand({s[0]}, m->gen, torch::kFloat32).mul_(2 * b).sub_(b);
        m->params.push_back(w.to(m->device).requires_grad_(true));
        m->params.push_back(bias.to(m->device).requires_grad_(true));
    }
    /* as torch.nn.Embedding: N(0, 1); row card is the missing / unseen code's */
    for (int k = 0; k < n_emb; k++) {
        auto e = at::randn({emb_card[k] + 1, emb_dim[k]}, m->gen, torch::kFloat32);
        m->params.push_back(e.to(m->device).requires_grad_(true));
    }
    return m.release();
    SHIM_CATCH(nullptr)
}

void shim_mlp_free(fc_torch_mlp *m)
{
    try {
        delete m;
    } catch (...) {
    }
}

int shim_mlp_set_optimizer(fc_torch_mlp *m, double learning_rate, double weight_decay)
{
    SHIM_TRY
    m->has_opt = false;
    m->lr = learning_rate;
    m->weight_decay = weight_decay;
    m->t = 0;
    m->exp_avg.clear();
    m->exp_avg_sq.clear();
    for (const auto &p : m->params) {
        m->exp_avg.push_back(torch::zeros_like(p).detach());
        m->exp_avg_sq.push_back(torch::zeros_like(p).detach());
    }
    m->has_opt = true;
    return 0;
    SHIM_CATCH(-1)
}

int shim_mlp_step(fc_torch_mlp *m, const float *x, const float *y, const float *w, int n,
                  double *loss)
{
    SHIM_TRY
    if (!m->has_opt)
        return fail("no optimiser set");
    auto xt = m->input(x, n, m->n_in);
    auto yt = m->input(y, n, 1).view({n});
    for (auto &p : m->params)
        if (p.grad().defined())
            p.mutable_grad().zero_();
    auto out = m->forward(xt, true);
    torch::Tensor l;
    if (w)
        l = (m->row_loss(out, yt) * m->input(w, n, 1).view({n})).mean();
    else if (!m->quantile)
        l = torch::mse_loss(out.view({n}), yt); /* one fused op */
    else
        l = m->row_loss(out, yt).mean();
    l.backward();
    m->adam_step();
    *loss = l.item<double>();
    return 0;
    SHIM_CATCH(-1)
}

int shim_mlp_eval(fc_torch_mlp *m, const float *x, const float *y, const float *w, size_t n,
                  double *loss_sum, double *weight_sum)
{
    SHIM_TRY
    torch::NoGradGuard no_grad;
    double ls = 0, ws = 0;
    for (int64_t off = 0; off < (int64_t)n; off += kChunk) {
        int64_t k = std::min<int64_t>(kChunk, (int64_t)n - off);
        auto rows = m->row_loss(m->forward(m->input(x + off * m->n_in, k, m->n_in), false),
                                m->input(y + off, k, 1).view({k}));
        if (w) {
            auto wt = m->input(w + off, k, 1).view({k});
            ls += (rows * wt).sum().item<double>();
            ws += wt.sum().item<double>();
        } else {
            ls += rows.sum().item<double>();
            ws += (double)k;
        }
    }
    *loss_sum = ls;
    *weight_sum = ws;
    return 0;
    SHIM_CATCH(-1)
}

int shim_mlp_predict(fc_torch_mlp *m, const float *x, size_t n, float *out)
{
    SHIM_TRY
    torch::NoGradGuard no_grad;
    /* BLAS picks its kernels and blocking by matrix shape, so a row's float
     * rounding would depend on how many rows come with it. Every forward
     * pass here has kPredictRows rows (the last one zero-padded): a row's
     * prediction is the same bits whichever rows it is predicted with. */
    std::vector<float> pad;
    for (int64_t off = 0; off < (int64_t)n; off += kPredictRows) {
        int64_t k = std::min<int64_t>(kPredictRows, (int64_t)n - off);
        const float *src = x + off * m->n_in;
        if (k < kPredictRows) {
            pad.assign((size_t)(kPredictRows * m->n_in), 0.0f);
            std::memcpy(pad.data(), src, (size_t)(k * m->n_in) * sizeof(float));
            src = pad.data();
        }
        auto o = m->forward(m->input(src, kPredictRows, m->n_in), false)
                     .to(torch::kCPU)
                     .contiguous();
        std::memcpy(out + off * m->n_out, o.data_ptr<float>(),
                    (size_t)(k * m->n_out) * sizeof(float));
    }
    return 0;
    SHIM_CATCH(-1)
}

size_t shim_mlp_n_params(const fc_torch_mlp *m)
{
    size_t total = 0;
    for (const auto &p : m->params)
        total += (size_t)p.numel();
    return total;
}

int shim_mlp_get_params(const fc_torch_mlp *m, float *buf)
{
    SHIM_TRY
    for (const auto &p : m->params) {
        auto c = p.detach().to(torch::kCPU).contiguous();
        std::memcpy(buf, c.data_ptr<float>(), (size_t)c.numel() * sizeof(float));
        buf += c.numel();
    }
    return 0;
    SHIM_CATCH(-1)
}

int shim_mlp_set_params(fc_torch_mlp *m, const float *buf)
{
    SHIM_TRY
    torch::NoGradGuard no_grad;
    for (auto &p : m->params) {
        auto src = torch::from_blob(const_cast<float *>(buf), p.sizes(), torch::kFloat32);
        p.copy_(src);
        buf += p.numel();
    }
    return 0;
    SHIM_CATCH(-1)
}

const struct fc_torch_api api = {
    FC_TORCH_API_VERSION,
    sizeof(struct fc_torch_api),
    shim_last_error,
    shim_version,
    shim_cuda_available,
    shim_set_threads,
    shim_blas,
    shim_mlp_create,
    shim_mlp_free,
    shim_mlp_set_optimizer,
    shim_mlp_step,
    shim_mlp_eval,
    shim_mlp_predict,
    shim_mlp_n_params,
    shim_mlp_get_params,
    shim_mlp_set_params,
};

} // namespace

extern "C" __attribute__((visibility("default"))) const struct fc_torch_api *fc_torch_shim_api(void)
{
    return &api;
}
