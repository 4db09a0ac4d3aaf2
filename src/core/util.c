/*
 * util.c — allocation, error reporting, string buffers, number and date
 * parsing, edit distance. See util.h.
 */
#include "forecast/core/util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

int fc_verbosity = 1;
_Thread_local char fc_last_error[1024];

/* ---- allocation ---- */

static void oom(size_t n, const char *file, int line)
{
    fprintf(stderr, "forecast: out of memory allocating %zu bytes at %s:%d\n", n,
            file, line);
    abort();
}

void *fc_xmalloc(size_t n, const char *file, int line)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n, file, line);
    return p;
}

void *fc_xcalloc(size_t n, size_t size, const char *file, int line)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size, file, line);
    return p;
}

void *fc_xrealloc(void *p, size_t n, const char *file, int line)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n, file, line);
    return q;
}

char *fc_xstrdup(const char *s, const char *file, int line)
{
    size_t n = strlen(s) + 1;
    char *p = fc_xmalloc(n, file, line);
    memcpy(p, s, n);
    return p;
}

char *fc_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    FC_ASSERT(n >= 0);
    char *s = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

void fc_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "forecast: internal error: assertion '%s' failed at %s:%d\n",
            expr, file, line);
    abort();
}

/* ---- errors and log ---- */

static _Thread_local int error_pending;

int fc_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fc_last_error, sizeof fc_last_error, fmt, ap);
    va_end(ap);
    error_pending = 1;
    return -1;
}

void fc_error_report(void)
{
    if (error_pending)
        fprintf(stderr, "forecast: error: %s\n", fc_last_error);
    error_pending = 0;
}

void fc_error_clear(void) { error_pending = 0; }

int fc_error_pending(void) { return error_pending; }

void fc_warn(const char *fmt, ...)
{
    if (fc_verbosity < 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("forecast: warning: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void fc_info(int level, const char *fmt, ...)
{
    if (fc_verbosity < level)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void fc_release_pages(const void *p, size_t n)
{
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t a = ((uintptr_t)p + page - 1) & ~(page - 1);
    uintptr_t b = ((uintptr_t)p + n) & ~(page - 1);
    if (b > a)
        madvise((void *)a, b - a, MADV_DONTNEED);
}

double fc_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int fc_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double fc_quantile_sorted(const double *x, size_t n, double level)
{
    double h = (double)(n - 1) * level;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n)
        return x[n - 1];
    return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

/* interned strings live as long as the process: a mutex-guarded list */
struct interned {
    struct interned *next;
    char s[];
};
static struct interned *interned;
static pthread_mutex_t intern_lock = PTHREAD_MUTEX_INITIALIZER;

const char *fc_intern(const char *s)
{
    pthread_mutex_lock(&intern_lock);
    struct interned *i = interned;
    while (i && strcmp(i->s, s) != 0)
        i = i->next;
    if (!i) {
        size_t n = strlen(s) + 1;
        i = xmalloc(sizeof *i + n);
        memcpy(i->s, s, n);
        i->next = interned;
        interned = i;
    }
    pthread_mutex_unlock(&intern_lock);
    return i->s;
}

/* text codes: a map from text to code and the texts by code, guarded by
 * one mutex; the texts live as long as the process */
static struct fc_strmap text_map;
static char **text_values;
static uint32_t n_text, cap_text;
static pthread_mutex_t text_lock = PTHREAD_MUTEX_INITIALIZER;

uint32_t fc_text_code(const char *s)
{
    pthread_mutex_lock(&text_lock);
    if (!text_map.cap)
        fc_strmap_init(&text_map);
    long c = fc_strmap_get(&text_map, s);
    if (c < 0 && n_text < FC_TEXT_MAX) {
        if (n_text == cap_text) {
            cap_text = cap_text ? 2 * cap_text : 256;
            text_values = xrealloc(text_values, cap_text * sizeof *text_values);
        }
        text_values[n_text] = xstrdup(s);
        fc_strmap_put(&text_map, text_values[n_text], n_text);
        c = n_text++;
    }
    pthread_mutex_unlock(&text_lock);
    return c < 0 ? FC_TEXT_MAX : (uint32_t)c;
}

const char *fc_text_value(uint32_t code)
{
    pthread_mutex_lock(&text_lock);
    FC_ASSERT(code < n_text);
    const char *s = text_values[code];
    pthread_mutex_unlock(&text_lock);
    return s;
}

double fc_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- string buffer ---- */

void fc_buf_init(struct fc_buf *b)
{
    b->cap = 64;
    b->len = 0;
    b->s = xmalloc(b->cap);
    b->s[0] = '\0';
}

void fc_buf_free(struct fc_buf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

static void buf_reserve(struct fc_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    while (b->len + extra + 1 > b->cap)
        b->cap *= 2;
    b->s = xrealloc(b->s, b->cap);
}

void fc_buf_putc(struct fc_buf *b, char c)
{
    buf_reserve(b, 1);
    b->s[b->len++] = c;
    b->s[b->len] = '\0';
}

void fc_buf_append(struct fc_buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void fc_buf_puts(struct fc_buf *b, const char *s)
{
    size_t n = strlen(s);
    buf_reserve(b, n);
    memcpy(b->s + b->len, s, n + 1);
    b->len += n;
}

void fc_buf_printf(struct fc_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    FC_ASSERT(n >= 0);
    buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void fc_buf_put_double(struct fc_buf *b, double v)
{
    if (isnan(v))
        return;
    fc_buf_printf(b, "%.17g", v);
}

void fc_format_exact(double v, char *buf, size_t n)
{
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, n, "%.*g", digits, v);
        if (strtod(buf, NULL) == v)
            break;
    }
}

void fc_buf_put_key_part(struct fc_buf *b, const char *part, int first)
{
    if (!first)
        fc_buf_putc(b, ':');
    for (; *part; part++) {
        if (*part == ':' || *part == '\\')
            fc_buf_putc(b, '\\');
        fc_buf_putc(b, *part);
    }
}

void fc_buf_put_csv_field(struct fc_buf *b, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fc_buf_puts(b, s);
        return;
    }
    fc_buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"')
            fc_buf_putc(b, '"');
        fc_buf_putc(b, *s);
    }
    fc_buf_putc(b, '"');
}

/* ---- parsing ---- */

/* The general case: strtod, on plain decimals only (strtod would also take
 * "inf", "nan", hex floats and leading spaces). */
static int parse_double_strtod(const char *s, double *out)
{
    static const unsigned char ok[256] = {
        ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
        ['7'] = 1, ['8'] = 1, ['9'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['e'] = 1,
        ['E'] = 1};
    if (!*s)
        return -1;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (!ok[*p])
            return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end != '\0' || end == s)
        return -1;
    if (errno == ERANGE && isinf(v))
        return -1;
    *out = v;
    return 0;
}

/* Exact fast path (Clinger): a decimal with at most 19 significant digits
 * whose mantissa fits in 53 bits and whose power of ten is within 10^+-22 is
 * m * 10^e or m / 10^-e, one correctly rounded IEEE operation on two exact
 * doubles: the same double strtod returns. Anything else goes to strtod. */
int fc_parse_double(const char *s, double *out)
{
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char *p = s;
    int neg = 0;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    uint64_t m = 0;
    int sig = 0, e10 = 0, any = 0;
    for (; *p >= '0' && *p <= '9'; p++, any = 1) {
        if (sig >= 19)
            return parse_double_strtod(s, out);
        m = m * 10 + (uint64_t)(*p - '0');
        sig += m != 0;
    }
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++, any = 1) {
            if (sig >= 19)
                return parse_double_strtod(s, out);
            m = m * 10 + (uint64_t)(*p - '0');
            sig += m != 0;
            e10--;
        }
    if (!any)
        return parse_double_strtod(s, out);
    if (*p == 'e' || *p == 'E') {
        p++;
        int eneg = 0, ev = 0, edig = 0;
        if (*p == '-' || *p == '+')
            eneg = *p++ == '-';
        for (; *p >= '0' && *p <= '9'; p++, edig = 1)
            if (ev < 100000)
                ev = ev * 10 + (*p - '0');
        if (!edig)
            return parse_double_strtod(s, out);
        e10 += eneg ? -ev : ev;
    }
    if (*p || m > (1ULL << 53) || e10 < -22 || e10 > 22)
        return parse_double_strtod(s, out);
    double d = (double)m;
    d = e10 < 0 ? d / p10[-e10] : d * p10[e10];
    *out = neg ? -d : d;
    return 0;
}

int fc_parse_long(const char *s, long *out)
{
    if (!*s || isspace((unsigned char)*s))
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return -1;
    *out = v;
    return 0;
}

int fc_is_missing(const char *s)
{
    /* every spelling is empty or starts with N / n: numbers leave at once */
    if (s[0] != '\0' && s[0] != 'N' && s[0] != 'n')
        return 0;
    static const char *const spellings[] = {"", "NA", "NaN", "nan", "NAN", "N/A",
                                            "null", "NULL", "n/a"};
    for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++)
        if (strcmp(s, spellings[i]) == 0)
            return 1;
    return 0;
}

/* Days from civil date (proleptic Gregorian), Howard Hinnant's algorithm. */
static int32_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + doe - 719468);
}

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int read_digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int fc_parse_date(const char *s, int32_t *days)
{
    int y, m, d;
    if (strlen(s) < 10 || read_digits(s, 4, &y) || s[4] != '-' ||
        read_digits(s + 5, 2, &m) || s[7] != '-' || read_digits(s + 8, 2, &d))
        return -1;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || y < 1)
        return -1;
    if (d > mdays[m - 1] + (m == 2 && is_leap(y)))
        return -1;
    const char *t = s + 10;
    if (*t) {
        /* time part: THH:MM[:SS[.fff]][Z|(+|-)hh:mm] — validated, then dropped */
        int hh, mm, ss = 0;
        if ((*t != 'T' && *t != ' ') || read_digits(t + 1, 2, &hh) || t[3] != ':' ||
            read_digits(t + 4, 2, &mm))
            return -1;
        t += 6;
        if (*t == ':') {
            if (read_digits(t + 1, 2, &ss))
                return -1;
            t += 3;
            if (*t == '.') {
                t++;
                if (!isdigit((unsigned char)*t))
                    return -1;
                while (isdigit((unsigned char)*t))
                    t++;
            }
        }
        if (hh > 23 || mm > 59 || ss > 60)
            return -1;
        if (*t == 'Z') {
            t++;
        } else if (*t == '+' || *t == '-') {
            int oh, om;
            if (read_digits(t + 1, 2, &oh) || t[3] != ':' || read_digits(t + 4, 2, &om))
                return -1;
            t += 6;
        }
        if (*t)
            return -1;
    }
    *days = days_from_civil(y, m, d);
    return 0;
}

void fc_civil_from_days(int32_t z, int *year, int *month, int *day)
{
    long zz = (long)z + 719468;
    long era = (zz >= 0 ? zz : zz - 146096) / 146097;
    long doe = zz - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = yoe + era * 400;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1;
    long m = mp + (mp < 10 ? 3 : -9);
    *year = (int)(y + (m <= 2));
    *month = (int)m;
    *day = (int)d;
}

int32_t fc_days_from_civil(int y, int m, int d) { return days_from_civil(y, m, d); }

void fc_format_date(int32_t z, char *out)
{
    int y, m, d;
    fc_civil_from_days(z, &y, &m, &d);
    char tmp[48];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", y, m, d);
    memcpy(out, tmp, 10);
    out[10] = '\0';
}

int fc_weekday(int32_t days)
{
    /* 1970-01-01 was a Thursday (3 with Monday = 0) */
    int w = (int)((days % 7 + 7 + 3) % 7);
    return w;
}

/* ---- text checks ---- */

int fc_utf8_valid(const char *s, size_t n, size_t *bad)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
        int ok = len > 0 && i + len <= n;
        for (size_t k = 1; ok && k < len; k++) {
            ok = (p[i + k] & 0xc0) == 0x80;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if (ok && len > 1) /* shortest form, no surrogates, within Unicode */
            ok = cp >= (len == 2 ? 0x80u : len == 3 ? 0x800u : 0x10000u) &&
                 !(cp >= 0xd800 && cp <= 0xdfff) && cp <= 0x10ffff;
        if (!ok) {
            if (bad)
                *bad = i;
            return 0;
        }
        i += len;
    }
    return 1;
}

long fc_json_nul_escape(const char *text)
{
    int in_string = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '"') {
            in_string = !in_string;
        } else if (in_string && *p == '\\') {
            if (p[1] == 'u' && p[2] == '0' && p[3] == '0' && p[4] == '0' && p[5] == '0')
                return (long)(p - text);
            if (p[1])
                p++; /* the escaped character */
        }
    }
    return -1;
}

/* ---- suggestions ---- */

size_t fc_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t *row = xmalloc((lb + 1) * sizeof *row);
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    size_t d = row[lb];
    free(row);
    return d;
}

const char *fc_suggest(const char *word, const char *const *candidates, size_t n)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        size_t d = fc_edit_distance(word, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    size_t len = strlen(word);
    size_t limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;
    if (best && (best_d <= limit || (best_d < len && strstr(best, word))))
        return best;
    return NULL;
}

/* ---- files ---- */

char *fc_read_file(const char *path, size_t *len)
{
    /* O_NONBLOCK: a FIFO does not hang the open; only regular files are read
     * (a device such as /dev/zero would fill memory) */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        fc_error("%s: cannot open: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        fc_error("%s: not a regular file", path);
        return NULL;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        fc_error("%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct fc_buf b;
    fc_buf_init(&b);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        buf_reserve(&b, n);
        memcpy(b.s + b.len, chunk, n);
        b.len += n;
        b.s[b.len] = '\0';
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        fc_buf_free(&b);
        fc_error("%s: read error", path);
        return NULL;
    }
    if (len)
        *len = b.len;
    return b.s;
}

/* ---- string map ---- */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

void fc_strmap_init(struct fc_strmap *m)
{
    m->cap = 64;
    m->n = 0;
    m->keys = xcalloc(m->cap, sizeof *m->keys);
    m->vals = xcalloc(m->cap, sizeof *m->vals);
}

void fc_strmap_free(struct fc_strmap *m)
{
    free(m->keys);
    free(m->vals);
    m->keys = NULL;
    m->vals = NULL;
    m->cap = m->n = 0;
}

long fc_strmap_get(const struct fc_strmap *m, const char *key)
{
    size_t i = hash_str(key) & (m->cap - 1);
    while (m->keys[i]) {
        if (strcmp(m->keys[i], key) == 0)
            return m->vals[i];
        i = (i + 1) & (m->cap - 1);
    }
    return -1;
}

void fc_strmap_put(struct fc_strmap *m, const char *key, uint32_t val)
{
    if (2 * (m->n + 1) > m->cap) {
        struct fc_strmap big = {xcalloc(m->cap * 2, sizeof *m->keys),
                                xcalloc(m->cap * 2, sizeof *m->vals), m->cap * 2, 0};
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i])
                fc_strmap_put(&big, m->keys[i], m->vals[i]);
        fc_strmap_free(m);
        *m = big;
    }
    size_t i = hash_str(key) & (m->cap - 1);
    while (m->keys[i])
        i = (i + 1) & (m->cap - 1);
    m->keys[i] = key;
    m->vals[i] = val;
    m->n++;
}
