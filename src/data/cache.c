/*
 * cache.c — the binary dataset cache (see cache.h). Layout, native byte
 * order (a cache from a machine of another byte order is simply rebuilt):
 *
 *   header  magic "FCCACHE\0", u32 version, u32 byte-order mark 0x01020304,
 *           u64 spec hash (XXH3 of the column roles), 2 x source fingerprint
 *           (u64 size, mtime s, mtime ns, inode) for the data and target
 *           files, u64 payload length, u64 payload XXH3, u64 header XXH3
 *           (of the header with this field zero: every header byte is checked)
 *   payload u64 counts; the sha256 fingerprints; length-prefixed strings
 *           (feature names, id column names, series keys and id values); the
 *           columns: date i32[n], series u32[n], target f32[n], weight f32[n]
 *           (when present), features f32[F][n], series start / length u64[S],
 *           each column after zeros up to a multiple of 8 bytes of the payload
 *           (a loaded dataset uses them in place, in the file's mapping);
 *           u64 text columns, each its name, u64 m, its m distinct values
 *           (strings) and its cells f32[n] as positions among them (NaN missing)
 */
#define _POSIX_C_SOURCE 200809L
#include "forecast/data/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "forecast/core/hash.h"
#include "forecast/store/store.h"
#include "forecast/core/util.h"

#define MAGIC "FCCACHE\0"
#define BOM 0x01020304u

struct fingerprint {
    uint64_t size, mtime_s, mtime_ns, ino;
};

struct header {
    char magic[8];
    uint32_t version, bom;
    uint64_t spec_hash;
    /* loaded for train (target required) or predict (target optional);
     * complete: every row has its target (and weight), so the dataset is
     * the same either way and serves both */
    uint32_t need_target, complete;
    struct fingerprint data, target;
    uint64_t payload_len, payload_hash;
    uint64_t header_hash;
};

/* XXH3 of the header with header_hash zero */
static uint64_t header_hash(const struct header *h)
{
    struct header c = *h;
    c.header_hash = 0;
    return XXH3_64bits(&c, sizeof c);
}

static int fingerprint_of(const char *path, struct fingerprint *f)
{
    memset(f, 0, sizeof *f);
    if (!path)
        return 0;
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    f->size = (uint64_t)st.st_size;
    f->mtime_s = (uint64_t)st.st_mtim.tv_sec;
    f->mtime_ns = (uint64_t)st.st_mtim.tv_nsec;
    f->ino = (uint64_t)st.st_ino;
    return 0;
}

static uint64_t spec_hash(const struct fc_data_spec *s)
{
    XXH3_state_t *h = XXH3_createState();
    XXH3_64bits_reset(h);
#define PUT(str)                                                                         \
    do {                                                                                 \
        const char *v_ = (str) ? (str) : "\x01(null)";                                   \
        XXH3_64bits_update(h, v_, strlen(v_) + 1);                                       \
    } while (0)
    PUT(s->path);
    PUT(s->target_path);
    PUT(s->join_key);
    for (size_t i = 0; i < s->n_series_cols; i++)
        PUT(s->series_cols[i]);
    PUT("|");
    PUT(s->date_col);
    PUT(s->target_col);
    PUT(s->weight_col);
    for (size_t i = 0; i < s->n_features; i++)
        PUT(s->features[i]);
    PUT("|");
    for (size_t i = 0; i < s->n_ignore; i++)
        PUT(s->ignore[i]);
    PUT("|");
    for (size_t i = 0; i < s->n_text_cols; i++)
        PUT(s->text_cols[i]);
    PUT("|");
    PUT(s->drop_missing_target ? "drop" : "error");
#undef PUT
    uint64_t v = XXH3_64bits_digest(h);
    XXH3_freeState(h);
    return v;
}

char *fc_cache_path(const struct fc_data_spec *spec)
{
    if (!spec->cache_dir)
        return fc_xasprintf("%s.fccache", spec->path);
    char *abs = realpath(spec->path, NULL);
    char hex[65];
    fc_sha256_buf(abs ? abs : spec->path, strlen(abs ? abs : spec->path), hex);
    free(abs);
    const char *base = strrchr(spec->path, '/');
    return fc_xasprintf("%s/%s.%.16s.fccache", spec->cache_dir, base ? base + 1 : spec->path,
                        hex);
}

/* ---- reading ---- */

struct rd {
    const char *p, *end, *begin;
    int bad;
    int in_place; /* p is a file mapping the dataset keeps: columns point into it */
};

/* the padding before a column: to a multiple of 8 bytes from the payload's
 * start (the payload starts 8-aligned in the file, the file at a page) */
static size_t pad_of(size_t offset) { return (8 - offset % 8) % 8; }

static void take_pad(struct rd *r)
{
    size_t pad = pad_of((size_t)(r->p - r->begin));
    if (r->bad || (size_t)(r->end - r->p) < pad) {
        r->bad = 1;
        return;
    }
    for (size_t i = 0; i < pad; i++)
        r->bad |= r->p[i] != 0;
    r->p += pad;
}

static const void *take(struct rd *r, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = 1;
        return NULL;
    }
    const void *v = r->p;
    r->p += n;
    return v;
}

static uint64_t take_u64(struct rd *r)
{
    uint64_t v = 0;
    const void *p = take(r, sizeof v);
    if (p)
        memcpy(&v, p, sizeof v);
    return v;
}

static char *take_str(struct rd *r)
{
    uint64_t n = take_u64(r);
    if (n > (1u << 20)) {
        r->bad = 1;
        return xstrdup("");
    }
    const char *p = take(r, n);
    char *s = xmalloc(n + 1);
    if (p)
        memcpy(s, p, n);
    s[p ? n : 0] = '\0';
    return s;
}

/* A column of count values: aligned after its padding, used in place when
 * the dataset keeps the mapping, else copied. */
static void *take_array(struct rd *r, size_t count, size_t size)
{
    if (count && size > SIZE_MAX / count) {
        r->bad = 1;
        return xmalloc(1);
    }
    take_pad(r);
    /* the bytes must be there before anything is allocated for them: a
     * damaged count cannot ask for more memory than the file holds */
    const void *p = take(r, count * size);
    if (p && r->in_place)
        return (void *)p;
    void *a = xmalloc(p && count > 0 && size > 0 ? count * size : 1);
    if (p)
        memcpy(a, p, count * size);
    return a;
}

/* A column of count values copied out (it is converted, or not kept). */
static void *take_copy(struct rd *r, size_t count, size_t size)
{
    int keep = r->in_place;
    r->in_place = 0;
    void *a = take_array(r, count, size);
    r->in_place = keep;
    return a;
}

/* The text columns put_text_columns wrote, their cells turned into this
 * process's text codes. */
static void take_text_columns(struct rd *r, struct fc_dataset *ds)
{
    size_t T = take_u64(r), n = ds->n_rows;
    if (r->bad || T > 64) {
        r->bad = 1;
        return;
    }
    ds->text_names = xcalloc(T ? T : 1, sizeof *ds->text_names);
    ds->text = xcalloc(T ? T : 1, sizeof *ds->text);
    for (size_t t = 0; t < T && !r->bad; t++) {
        ds->text_names[t] = take_str(r);
        ds->n_text = t + 1;
        size_t m = take_u64(r);
        if (m > (size_t)(r->end - r->p) / 8 || m > FC_TEXT_MAX) { /* 8 bytes a string at least */
            r->bad = 1;
            return;
        }
        uint32_t *code = xmalloc((m ? m : 1) * sizeof *code);
        for (size_t v = 0; v < m && !r->bad; v++) {
            char *s = take_str(r);
            code[v] = fc_text_code(s);
            r->bad |= code[v] == FC_TEXT_MAX;
            free(s);
        }
        float *x = ds->text[t] = take_copy(r, n, sizeof *x);
        for (size_t i = 0; i < n && !r->bad; i++) {
            if (isnan(x[i]))
                continue;
            if (!(x[i] >= 0 && x[i] < (float)m && x[i] == floorf(x[i])))
                r->bad = 1;
            else
                x[i] = (float)code[(size_t)x[i]];
        }
        free(code);
    }
}

/* The dataset a cache payload holds, or NULL when its layout is damaged. */
static struct fc_dataset *parse_payload(const char *payload, size_t len, const char *data_path,
                                        int in_place)
{
    struct rd r = {payload, payload + len, payload, 0, in_place};
    struct fc_dataset *ds = xcalloc(1, sizeof *ds);
    ds->path = xstrdup(data_path);
    fc_strmap_init(&ds->key_index);
    if (in_place) { /* columns may point into the payload: not freed */
        ds->map_lo = payload;
        ds->map_span = len;
    }
    /* the counts go into ds once checked: fc_dataset_free trusts them */
    size_t n = take_u64(&r);
    size_t F = take_u64(&r);
    size_t S = take_u64(&r);
    size_t K = take_u64(&r);
    ds->n_dropped = take_u64(&r);
    ds->file_size = take_u64(&r);
    ds->target_file_size = take_u64(&r);
    ds->has_target = (int)take_u64(&r);
    int has_weight = (int)take_u64(&r);
    /* counts the payload cannot hold are damage, found before anything is
     * allocated for them: a row takes 12 bytes at least (date, series,
     * target), a series 16 (start, length) and a feature name 8 */
    if (r.bad || F > 1000000 || K > 64 || S > n || n > len / 12 || S > len / 16 ||
        F > len / 8) {
        r.bad = 1;
        goto parsed;
    }
    ds->n_rows = n;
    ds->n_features = F;
    ds->n_id_cols = K;
    const char *sha = take(&r, 65), *tsha = take(&r, 65);
    if (sha)
        memcpy(ds->sha256, sha, 65);
    if (tsha)
        memcpy(ds->target_sha256, tsha, 65);
    ds->sha256[64] = ds->target_sha256[64] = '\0';
    ds->feature_names = xcalloc(F ? F : 1, sizeof *ds->feature_names);
    for (size_t j = 0; j < F; j++)
        ds->feature_names[j] = take_str(&r);
    ds->id_col_names = xcalloc(K ? K : 1, sizeof *ds->id_col_names);
    for (size_t k = 0; k < K; k++)
        ds->id_col_names[k] = take_str(&r);
    ds->series_key = xcalloc(S ? S : 1, sizeof *ds->series_key);
    ds->series_parts = xcalloc(S ? S : 1, sizeof *ds->series_parts);
    for (size_t s = 0; s < S; s++) {
        ds->series_key[s] = take_str(&r);
        ds->series_parts[s] = xcalloc(K ? K : 1, sizeof **ds->series_parts);
        for (size_t k = 0; k < K; k++)
            ds->series_parts[s][k] = take_str(&r);
        ds->n_series = s + 1;
        if (fc_strmap_get(&ds->key_index, ds->series_key[s]) >= 0)
            r.bad = 1;
        else
            fc_strmap_put(&ds->key_index, ds->series_key[s], (uint32_t)s);
    }
    ds->date = take_array(&r, n, sizeof *ds->date);
    ds->series = take_array(&r, n, sizeof *ds->series);
    ds->target = take_array(&r, n, sizeof *ds->target);
    if (has_weight)
        ds->weight = take_array(&r, n, sizeof *ds->weight);
    ds->features = xcalloc(F ? F : 1, sizeof *ds->features);
    for (size_t j = 0; j < F; j++)
        ds->features[j] = take_array(&r, n, sizeof **ds->features);
    uint64_t *start = take_copy(&r, S, sizeof *start), *slen = take_copy(&r, S, sizeof *slen);
    ds->series_start = xcalloc(S ? S : 1, sizeof *ds->series_start);
    ds->series_len = xcalloc(S ? S : 1, sizeof *ds->series_len);
    for (size_t s = 0; s < S && !r.bad; s++) {
        ds->series_start[s] = (size_t)start[s];
        ds->series_len[s] = (size_t)slen[s];
        if (slen[s] > n || start[s] > n - slen[s]) /* no wrap-around */
            r.bad = 1;
    }
    free(start);
    free(slen);
    for (size_t i = 0; i < n && !r.bad; i++)
        if (ds->series[i] >= S)
            r.bad = 1;
    take_text_columns(&r, ds);
parsed:
    if (r.bad || r.p != r.end) {
        fc_dataset_free(ds);
        return NULL;
    }
    return ds;
}

struct fc_dataset *fc_cache_parse_payload(const void *payload, size_t len, int in_place)
{
    return parse_payload(payload, len, "(payload)", in_place);
}

struct fc_dataset *fc_cache_load(const struct fc_data_spec *spec, int need_target, char *why,
                                 size_t why_len)
{
    char *path = fc_cache_path(spec);
    struct fc_dataset *ds = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO must not hang */
    void *map = MAP_FAILED;
    struct stat st;
    snprintf(why, why_len, "no cache");
    if (fd < 0 || fstat(fd, &st) != 0)
        goto out;
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, why_len, "%s is not a regular file", path);
        goto out;
    }
    if ((size_t)st.st_size < sizeof(struct header))
        goto out;
    /* the columns stay in this mapping, read-only (nothing writes a loaded
     * column: derived and transformed ones are new arrays); populated at
     * once, which costs less than a fault per page as the checksum reads
     * them (a writable private mapping would copy every page) */
    map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (map == MAP_FAILED)
        goto out;
    struct header h;
    memcpy(&h, map, sizeof h);
    struct fingerprint fd_data, fd_target;
    if (memcmp(h.magic, MAGIC, 8) != 0 || h.bom != BOM) {
        snprintf(why, why_len, "%s is not a forecast cache", path);
        goto out;
    }
    if (h.version != FC_CACHE_VERSION) {
        snprintf(why, why_len, "%s has format version %u, this forecast writes %d", path,
                 h.version, FC_CACHE_VERSION);
        goto out;
    }
    if (h.header_hash != header_hash(&h)) {
        snprintf(why, why_len, "%s is damaged (header checksum)", path);
        goto out;
    }
    if (fingerprint_of(spec->path, &fd_data) || fingerprint_of(spec->target_path, &fd_target) ||
        memcmp(&fd_data, &h.data, sizeof fd_data) || memcmp(&fd_target, &h.target, sizeof fd_target)) {
        snprintf(why, why_len, "the data changed since %s was written", path);
        goto out;
    }
    if (h.spec_hash != spec_hash(spec)) {
        snprintf(why, why_len, "the column roles changed since %s was written", path);
        goto out;
    }
    if (h.need_target != (uint32_t)(need_target != 0) && !h.complete) {
        snprintf(why, why_len, "%s was built %s and some targets are missing", path,
                 h.need_target ? "for training (rows without a target dropped)"
                               : "for prediction (targets optional)");
        goto out;
    }
    const char *payload = (const char *)map + sizeof h;
    if (h.payload_len != (uint64_t)st.st_size - sizeof h ||
        XXH3_64bits(payload, (size_t)h.payload_len) != h.payload_hash) {
        snprintf(why, why_len, "%s is damaged (checksum)", path);
        goto out;
    }
    ds = parse_payload(payload, (size_t)h.payload_len, spec->path, 1);
    if (!ds) {
        snprintf(why, why_len, "%s is damaged (layout)", path);
    } else { /* the dataset owns the mapping now */
        ds->map = map;
        ds->map_len = (size_t)st.st_size;
        map = MAP_FAILED;
    }
out:
    if (map != MAP_FAILED)
        munmap(map, (size_t)st.st_size);
    if (fd >= 0)
        close(fd);
    free(path);
    return ds;
}

/* ---- writing ---- */

struct wr {
    FILE *f;
    XXH3_state_t *h;
    uint64_t len;
    int err;
};

static void put(struct wr *w, const void *p, size_t n)
{
    if (!n || w->err)
        return;
    if (fwrite(p, 1, n, w->f) != n)
        w->err = 1;
    XXH3_64bits_update(w->h, p, n);
    w->len += n;
}

static void put_u64(struct wr *w, uint64_t v) { put(w, &v, sizeof v); }

/* zeros up to the next multiple of 8 bytes of the payload: a column starts
 * aligned, so a loaded dataset can use it where it lies (take_array) */
static void put_pad(struct wr *w)
{
    static const char zeros[8];
    put(w, zeros, pad_of((size_t)w->len));
}

static void put_str(struct wr *w, const char *s)
{
    put_u64(w, strlen(s));
    put(w, s, strlen(s));
}

/* The text columns: each its name, its distinct values and its cells as
 * f32 positions among them (the process's text codes are not stable across
 * processes). */
static void put_text_columns(struct wr *w, const struct fc_dataset *ds)
{
    size_t n = ds->n_rows;
    put_u64(w, ds->n_text);
    float *local = xmalloc((n ? n : 1) * sizeof *local);
    for (size_t t = 0; t < ds->n_text; t++) {
        const float *x = ds->text[t];
        uint32_t top = 0;
        for (size_t i = 0; i < n; i++)
            top = !isnan(x[i]) && (uint32_t)x[i] >= top ? (uint32_t)x[i] + 1 : top;
        uint32_t *pos = xmalloc((top ? top : 1) * sizeof *pos);
        memset(pos, 0xff, (top ? top : 1) * sizeof *pos);
        for (size_t i = 0; i < n; i++)
            if (!isnan(x[i]))
                pos[(uint32_t)x[i]] = 0; /* present */
        uint32_t m = 0;
        for (uint32_t c = 0; c < top; c++)
            if (pos[c] != UINT32_MAX)
                pos[c] = m++;
        put_str(w, ds->text_names[t]);
        put_u64(w, m);
        for (uint32_t c = 0; c < top; c++)
            if (pos[c] != UINT32_MAX)
                put_str(w, fc_text_value(c)); /* positions ascend with the codes */
        for (size_t i = 0; i < n; i++)
            local[i] = isnan(x[i]) ? NAN : (float)pos[(uint32_t)x[i]];
        put_pad(w);
        put(w, local, n * sizeof *local);
        free(pos);
    }
    free(local);
}

int fc_cache_save(const struct fc_data_spec *spec, int need_target, const struct fc_dataset *ds)
{
    char *path = fc_cache_path(spec);
    int rc = -1;
    struct header h = {0};
    memcpy(h.magic, MAGIC, 8);
    h.version = FC_CACHE_VERSION;
    h.bom = BOM;
    h.spec_hash = spec_hash(spec);
    h.need_target = need_target != 0;
    h.complete = ds->has_target && ds->n_dropped == 0 && (!spec->weight_col || ds->weight);
    for (size_t i = 0; h.complete && i < ds->n_rows; i++)
        h.complete = !isnan(ds->target[i]);
    if (fingerprint_of(spec->path, &h.data) || fingerprint_of(spec->target_path, &h.target)) {
        fc_error("%s: cannot stat the data for its cache: %s", spec->path, strerror(errno));
        goto out;
    }
    if (spec->cache_dir && fc_mkdir_p(spec->cache_dir))
        goto out;
    struct fc_atomic file;
    if (fc_atomic_open(&file, path))
        goto out;
    struct wr w = {file.f, XXH3_createState(), 0, 0};
    XXH3_64bits_reset(w.h);
    if (fwrite(&h, sizeof h, 1, w.f) != 1)
        w.err = 1;
    /* the loaded columns only: derived ones are computed anew (data/derive.h) */
    size_t n = ds->n_rows, F = ds->n_features - ds->n_derived, S = ds->n_series;
    size_t K = ds->n_id_cols;
    put_u64(&w, n);
    put_u64(&w, F);
    put_u64(&w, S);
    put_u64(&w, K);
    put_u64(&w, ds->n_dropped);
    put_u64(&w, ds->file_size);
    put_u64(&w, ds->target_file_size);
    put_u64(&w, (uint64_t)ds->has_target);
    put_u64(&w, ds->weight != NULL);
    put(&w, ds->sha256, 65);
    put(&w, ds->target_sha256, 65);
    for (size_t j = 0; j < F; j++)
        put_str(&w, ds->feature_names[j]);
    for (size_t k = 0; k < K; k++)
        put_str(&w, ds->id_col_names[k]);
    for (size_t s = 0; s < S; s++) {
        put_str(&w, ds->series_key[s]);
        for (size_t k = 0; k < K; k++)
            put_str(&w, ds->series_parts[s][k]);
    }
    put_pad(&w);
    put(&w, ds->date, n * sizeof *ds->date);
    put_pad(&w);
    put(&w, ds->series, n * sizeof *ds->series);
    put_pad(&w);
    put(&w, ds->target, n * sizeof *ds->target);
    if (ds->weight) {
        put_pad(&w);
        put(&w, ds->weight, n * sizeof *ds->weight);
    }
    for (size_t j = 0; j < F; j++) {
        put_pad(&w);
        put(&w, ds->features[j], n * sizeof **ds->features);
    }
    put_pad(&w);
    for (size_t s = 0; s < S; s++)
        put_u64(&w, ds->series_start[s]);
    put_pad(&w);
    for (size_t s = 0; s < S; s++)
        put_u64(&w, ds->series_len[s]);
    put_text_columns(&w, ds);
    h.payload_len = w.len;
    h.payload_hash = XXH3_64bits_digest(w.h);
    XXH3_freeState(w.h);
    h.header_hash = header_hash(&h);
    if (!w.err && (fseek(w.f, 0, SEEK_SET) != 0 || fwrite(&h, sizeof h, 1, w.f) != 1))
        w.err = 1;
    rc = fc_atomic_close(&file, w.err);
out:
    free(path);
    return rc;
}

/* ---- opening a dataset: the cache, else the CSV ---- */

struct fc_dataset *fc_dataset_open(const struct fc_data_spec *spec, int need_target)
{
    if (spec->cache) {
        char why[512];
        struct fc_dataset *c = fc_cache_load(spec, need_target, why, sizeof why);
        if (c) {
            c->from_cache = 1;
            return c;
        }
        fc_info(2, "binary cache not used: %s", why);
    }
    return fc_dataset_parse(spec, need_target);
}

void fc_dataset_cache_store(const struct fc_data_spec *spec, int need_target,
                            const struct fc_dataset *ds)
{
    if (!spec->cache || ds->from_cache)
        return;
    if (fc_cache_save(spec, need_target, ds)) {
        fc_warn("no binary cache written (%s); the next load parses the CSV again",
                fc_last_error);
        fc_error_clear();
    }
}
