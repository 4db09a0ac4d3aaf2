/*
 * csv.c — any CSV file, plain or gzip-compressed, record by record through
 * libcsv in strict mode (csv.h): fields NUL-terminated, physical line
 * numbers kept across quoted newlines, NUL bytes and ragged quoting refused;
 * and the fast path of plain lines that reads unquoted text as libcsv does
 * without it.
 */
#include "forecast/data/csv.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "forecast/core/hash.h"
#include "forecast/core/util.h"

/* ---- the record reader ---- */


void fc_csv_on_field(void *s, size_t len, void *data)
{
    struct fc_csv_reader *r = data;
    if (r->failed)
        return;
    if (r->n_fields == r->cap_fields) {
        r->cap_fields = r->cap_fields ? 2 * r->cap_fields : 32;
        r->offs = xrealloc(r->offs, r->cap_fields * sizeof *r->offs);
        r->ptrs = xrealloc(r->ptrs, r->cap_fields * sizeof *r->ptrs);
    }
    r->offs[r->n_fields++] = r->row.len;
    const char *p = s ? s : "";
    /* a UTF-8 byte order mark before the header's first name is not part of it */
    if (r->records == 0 && r->n_fields == 1 && r->line == 1 && len >= 3 &&
        memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
        p += 3;
        len -= 3;
    }
    if (len && memchr(p, '\0', len)) {
        fc_error("%s:%ld:%zu: NUL byte in a field: not a text CSV file", r->path, r->line,
                 r->n_fields);
        r->failed = 1;
        return;
    }
    for (const char *nl = len ? memchr(p, '\n', len) : NULL; nl;
         nl = memchr(nl + 1, '\n', len - (size_t)(nl + 1 - p)))
        r->embedded_nl++;
    fc_buf_append(&r->row, p, len);
    fc_buf_putc(&r->row, '\0');
}

void fc_csv_on_record(int c, void *data)
{
    struct fc_csv_reader *r = data;
    int prev = r->prev_term;
    r->prev_term = c;
    if (r->failed)
        return;
    if (r->n_fields == 0) {
        /* CSV_REPALL_NL reports blank lines and the '\n' of "\r\n" */
        if (!(c == '\n' && prev == '\r'))
            r->line++;
        return;
    }
    for (size_t i = 0; i < r->n_fields; i++)
        r->ptrs[i] = r->row.s + r->offs[i];
    r->records++;
    if (r->fn(r->ctx, r->ptrs, r->n_fields, r->line))
        r->failed = 1;
    r->line += 1 + r->embedded_nl;
    r->embedded_nl = 0;
    r->n_fields = 0;
    r->row.len = 0;
    r->row.s[0] = '\0';
}

/* ---- the fast path of plain lines (csv.h) ---- */

int fc_csv_plain(const char *buf, size_t len)
{
    if (memchr(buf, '"', len) || memchr(buf, '\0', len))
        return 0;
    for (const char *cr = memchr(buf, '\r', len); cr;
         cr = memchr(cr + 1, '\r', len - (size_t)(cr + 1 - buf)))
        if (cr + 1 == buf + len || cr[1] != '\n')
            return 0;
    return 1;
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

long fc_csv_fast_parse(const char *buf, size_t len, long *line_io, fc_csv_row_fn fn, void *ctx)
{
    const char *p = buf, *end = buf + len;
    long line = *line_io, records = 0;
    char *row = NULL, **fields = NULL;
    size_t cap = 0, cap_fields = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if (le > p && le[-1] == '\r')
            le--;
        const char *b = p;
        while (b < le && is_blank(*b))
            b++;
        if (b < le) { /* not blank: a record */
            size_t n = (size_t)(le - p);
            if (n + 1 > cap) {
                cap = 2 * (n + 1);
                row = xrealloc(row, cap);
            }
            memcpy(row, p, n);
            row[n] = '\0';
            size_t nf = 0;
            for (char *s = row;;) {
                char *comma = memchr(s, ',', (size_t)(row + n - s));
                char *fe = comma ? comma : row + n;
                while (s < fe && is_blank(*s))
                    s++;
                char *e = fe;
                while (e > s && is_blank(e[-1]))
                    e--;
                *e = '\0';
                if (nf == cap_fields) {
                    cap_fields = cap_fields ? 2 * cap_fields : 32;
                    fields = xrealloc(fields, cap_fields * sizeof *fields);
                }
                fields[nf++] = s;
                if (!comma)
                    break;
                s = comma + 1;
            }
            records++;
            if (fn(ctx, fields, nf, line)) {
                records = -1;
                break;
            }
        }
        line++;
        p = nl ? nl + 1 : end;
    }
    free(row);
    free(fields);
    *line_io = line;
    return records;
}

int fc_csv_reader_open(struct fc_csv_reader *r, const char *path, fc_csv_row_fn fn, void *ctx,
                       long line0)
{
    *r = (struct fc_csv_reader){.path = path, .fn = fn, .ctx = ctx, .line = line0, .prev_term = -1};
    if (csv_init(&r->p, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL) != 0)
        return -1;
    fc_buf_init(&r->row);
    return 0;
}

void fc_csv_reader_close(struct fc_csv_reader *r)
{
    csv_free(&r->p);
    fc_buf_free(&r->row);
    free(r->offs);
    free(r->ptrs);
}

/* A data file, plain or gzip-compressed (by its .gz suffix). The gzip
 * members are inflated one after another with zlib's inflate: gzread would
 * stop silently at bytes after a member that are not another member. */
struct source {
    FILE *f;
    int gz, z_init, between; /* between: a member ended, another may follow */
    int in_eof;
    uint64_t in_total; /* compressed bytes read so far */
    z_stream z;
    unsigned char in[1 << 16];
};

static int source_open(struct source *src, const char *path)
{
    size_t n = strlen(path);
    memset(src, 0, offsetof(struct source, in));
    /* a data file is a regular file: a device or a FIFO has no end or no
     * fingerprint */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return fc_error("%s: cannot open data file: not a regular file", path);
    src->f = fopen(path, "rb");
    if (!src->f)
        return fc_error("%s: cannot open data file: %s", path, strerror(errno));
    if (n > 3 && strcmp(path + n - 3, ".gz") == 0) {
        unsigned char magic[2];
        size_t k = fread(magic, 1, 2, src->f);
        if (k != 2 || magic[0] != 0x1f || magic[1] != 0x8b) {
            fclose(src->f);
            src->f = NULL;
            return fc_error("%s: not a gzip file (its name ends in .gz)", path);
        }
        rewind(src->f);
        src->gz = 1;
        if (inflateInit2(&src->z, 16 + MAX_WBITS) != Z_OK) {
            fclose(src->f);
            src->f = NULL;
            return fc_error("%s: cannot initialise zlib", path);
        }
        src->z_init = 1;
    }
    return 0;
}

static long gz_fail(const char *path, const char *what)
{
    fc_error("%s: cannot decompress: %s (a truncated or damaged gzip file?)", path, what);
    return -1;
}

/* decompressed bytes, 0 at the end of the last member, -1 on an error */
static long gz_read(struct source *src, const char *path, char *buf, size_t cap)
{
    z_stream *z = &src->z;
    for (;;) {
        if (z->avail_in == 0 && !src->in_eof) {
            size_t k = fread(src->in, 1, sizeof src->in, src->f);
            if (k == 0) {
                if (ferror(src->f)) {
                    fc_error("%s: read error", path);
                    return -1;
                }
                src->in_eof = 1;
            }
            z->next_in = src->in;
            z->avail_in = (uInt)k;
            src->in_total += k;
        }
        if (src->between) {
            if (z->avail_in == 0)
                return 0; /* the end of the file after a whole member */
            if (z->next_in[0] != 0x1f || (z->avail_in > 1 && z->next_in[1] != 0x8b)) {
                char what[96];
                snprintf(what, sizeof what, "bytes that are not gzip data after the end of the "
                         "compressed data, at byte %llu",
                         (unsigned long long)(src->in_total - z->avail_in));
                return gz_fail(path, what);
            }
            inflateReset(z);
            src->between = 0;
        }
        if (z->avail_in == 0)
            return gz_fail(path, "unexpected end of file");
        z->next_out = (unsigned char *)buf;
        z->avail_out = (uInt)cap;
        int rc = inflate(z, Z_NO_FLUSH);
        if (rc == Z_STREAM_END)
            src->between = 1;
        else if (rc != Z_OK && rc != Z_BUF_ERROR)
            return gz_fail(path, z->msg ? z->msg : "damaged data");
        size_t got = cap - z->avail_out;
        if (got)
            return (long)got;
    }
}

/* bytes read, 0 at the end, -1 on an error (reported) */
static long source_read(struct source *src, const char *path, char *buf, size_t cap)
{
    if (src->gz)
        return gz_read(src, path, buf, cap);
    size_t n = fread(buf, 1, cap, src->f);
    if (n == 0 && ferror(src->f)) {
        fc_error("%s: read error", path);
        return -1;
    }
    return (long)n;
}

static void source_close(struct source *src)
{
    if (src->z_init)
        inflateEnd(&src->z);
    if (src->f)
        fclose(src->f);
}

int fc_csv_read_file(const char *path, fc_csv_row_fn fn, void *ctx, char hex[65], size_t *size,
                     long *records)
{
    static _Thread_local struct source src;
    if (source_open(&src, path))
        return -1;
    struct fc_csv_reader r;
    if (fc_csv_reader_open(&r, path, fn, ctx, 1) != 0) {
        source_close(&src);
        return fc_error("%s: cannot initialise the CSV parser", path);
    }
    struct fc_sha256 *h = fc_sha256_new();
    static _Thread_local char buf[1 << 17];
    size_t total = 0;
    long n = 0;
    int rc = 0;
    while (!r.failed && (n = source_read(&src, path, buf, sizeof buf)) > 0) {
        fc_sha256_update(h, buf, (size_t)n);
        total += (size_t)n;
        if (csv_parse(&r.p, buf, (size_t)n, fc_csv_on_field, fc_csv_on_record, &r) != (size_t)n && !r.failed) {
            fc_error("%s:%ld: malformed CSV: %s (a quote inside an unquoted field, or "
                     "text after a closing quote)",
                     path, r.line + r.embedded_nl, csv_strerror(csv_error(&r.p)));
            r.failed = 1;
        }
    }
    if (n < 0)
        r.failed = 1;
    if (!r.failed && csv_fini(&r.p, fc_csv_on_field, fc_csv_on_record, &r) != 0 && !r.failed) {
        fc_error("%s:%ld: malformed CSV: unterminated quoted field at end of file", path,
                 r.line);
        r.failed = 1;
    }
    rc = r.failed ? -1 : 0;
    fc_sha256_final(h, hex);
    *size = total;
    *records = r.records;
    fc_csv_reader_close(&r);
    source_close(&src);
    return rc;
}


int fc_csv_foreach(const char *path, fc_csv_row_fn fn, void *ctx)
{
    char hex[65];
    size_t size;
    long records;
    if (fc_csv_read_file(path, fn, ctx, hex, &size, &records))
        return -1;
    if (records == 0)
        return fc_error("%s: empty file: expected a header line and data rows", path);
    return 0;
}
