/*
 * util.h — the small things every module needs: checked allocation, the
 * two-tier error reporting (fc_error returns -1, only cmd_* picks exit codes),
 * a growable string buffer, number and date parsing, edit distance for
 * "did you mean" suggestions.
 */
#ifndef FORECAST_UTIL_H
#define FORECAST_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- exit statuses (only cmd_* and main use these) ---- */
enum fc_exit {
    FC_EXIT_OK = 0,
    FC_EXIT_FAILURE = 1, /* something failed while running */
    FC_EXIT_USAGE = 2,   /* bad input: arguments, config, data, model files */
    FC_EXIT_PARTIAL = 3, /* the run finished but some series failed */
};

/* ---- allocation: out of memory is not a user error, it aborts ---- */
#define xmalloc(n) fc_xmalloc((n), __FILE__, __LINE__)
#define xcalloc(n, s) fc_xcalloc((n), (s), __FILE__, __LINE__)
#define xrealloc(p, n) fc_xrealloc((p), (n), __FILE__, __LINE__)
#define xstrdup(s) fc_xstrdup((s), __FILE__, __LINE__)
void *fc_xmalloc(size_t n, const char *file, int line);
void *fc_xcalloc(size_t n, size_t size, const char *file, int line);
void *fc_xrealloc(void *p, size_t n, const char *file, int line);
char *fc_xstrdup(const char *s, const char *file, int line);
/* xasprintf: formatted string, caller frees. */
char *fc_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Broken internal invariant: print file:line and abort. */
#define FC_ASSERT(cond)                                                        \
    do {                                                                       \
        if (!(cond))                                                           \
            fc_assert_fail(#cond, __FILE__, __LINE__);                         \
    } while (0)
void fc_assert_fail(const char *expr, const char *file, int line)
    __attribute__((noreturn));

/* ---- errors and log ---- */
/* Errors are values. fc_error records "what failed" in the calling thread's
 * error slot (fc_last_error) and returns -1, so callers can write `return
 * fc_error(...)`; it prints nothing. A caller that probes (resume checks,
 * the cache, the parallel parse, a series' model in a worker) reads the slot
 * or ignores it and calls fc_error_clear(); the command layer prints it:
 * main calls fc_error_report() when a command fails, and a command that has
 * more to say after a failure reports the cause first. */
int fc_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the recorded error, "forecast: error: ...", to stderr once (then
 * clears it); nothing when none is recorded. */
void fc_error_report(void);
/* Forgets the recorded error (a probe that failed is not an error). */
void fc_error_clear(void);
/* 1 while an error is recorded and not yet reported or cleared. */
int fc_error_pending(void);
void fc_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* fc_info prints when verbosity >= level (0 quiet, 1 normal, 2 verbose). */
void fc_info(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Drops the whole pages inside [p, p + n) of a read-only file mapping from
 * memory (they are read again from the file should anyone touch them). */
void fc_release_pages(const void *p, size_t n);

/* Seconds on the monotonic clock, for durations. */
double fc_now(void);
/* qsort comparator of doubles, ascending (no NaN) */
int fc_cmp_double(const void *a, const void *b);
/* numpy.quantile(x, level) with its default linear interpolation; x sorted
 * ascending, n >= 1. */
double fc_quantile_sorted(const double *x, size_t n, double level);
/* A copy of s that lives as long as the process, one per distinct text
 * (thread-safe): for values that outlive what produced them. */
const char *fc_intern(const char *s);
/* Text cells (categorical text columns, data/categorical.h) as numbers: the
 * process-wide code of a text, equal texts equal codes, in order of first
 * sight (thread-safe). Codes stay below FC_TEXT_MAX, so a float32 column
 * holds them exactly; fc_text_code returns FC_TEXT_MAX when that many are
 * taken. */
#define FC_TEXT_MAX (1u << 24)
uint32_t fc_text_code(const char *s);
/* The text of a code fc_text_code returned. */
const char *fc_text_value(uint32_t code);
/* CPU seconds of the whole process (every thread) so far */
double fc_cpu_now(void);
extern int fc_verbosity;
/* The last fc_error message of this thread (kept after it is reported). */
extern _Thread_local char fc_last_error[1024];

/* ---- string buffer ---- */
struct fc_buf {
    char *s;    /* NUL-terminated, owned */
    size_t len; /* bytes used, without the NUL */
    size_t cap;
};
void fc_buf_init(struct fc_buf *b);
void fc_buf_free(struct fc_buf *b);
void fc_buf_putc(struct fc_buf *b, char c);
void fc_buf_puts(struct fc_buf *b, const char *s);
void fc_buf_append(struct fc_buf *b, const char *s, size_t n);
void fc_buf_printf(struct fc_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append a double as %.17g, or an empty string for NaN. */
void fc_buf_put_double(struct fc_buf *b, double v);
/* v as the shortest %g text (15 to 17 digits) that reads back as v. */
void fc_format_exact(double v, char *buf, size_t n);
/* Append a CSV field, quoted when it contains , " or newline. */
void fc_buf_put_csv_field(struct fc_buf *b, const char *s);
/* Appends one id value to a series key: values are joined by ':', and a
 * ':' or '\\' inside a value is escaped with '\\' ("a:b", "1" -> "a\\:b:1"),
 * so different id tuples never make the same key. */
void fc_buf_put_key_part(struct fc_buf *b, const char *part, int first);

/* ---- parsing ---- */
/* Whole-string number parsers; return 0 on success, -1 if not a number. */
int fc_parse_double(const char *s, double *out);
int fc_parse_long(const char *s, long *out);
/* True for the accepted spellings of a missing value: "", NA, NaN, nan, N/A, null. */
int fc_is_missing(const char *s);

/* Dates are days since 1970-01-01 (int32). Accepts YYYY-MM-DD and ISO-8601
 * timestamps "YYYY-MM-DDTHH:MM[:SS[.fff]][Z|+hh:mm]" (the day part is kept).
 * Returns 0 or -1. */
int fc_parse_date(const char *s, int32_t *days);
/* Writes YYYY-MM-DD into out (at least 11 bytes). */
void fc_format_date(int32_t days, char *out);
/* The civil date of a day number, and back. */
void fc_civil_from_days(int32_t days, int *year, int *month, int *day);
int32_t fc_days_from_civil(int year, int month, int day);
/* 0 = Monday ... 6 = Sunday. */
int fc_weekday(int32_t days);

/* 1 when s[0..n) is valid UTF-8 (no overlong forms, surrogates or code
 * points past U+10FFFF); else 0 with *bad the offset of the first bad byte. */
int fc_utf8_valid(const char *s, size_t n, size_t *bad);
/* The offset of the first "\u0000" escape inside a JSON text (a NUL byte in a
 * string, which C strings would cut), or -1. */
long fc_json_nul_escape(const char *text);

/* ---- suggestions ---- */
size_t fc_edit_distance(const char *a, const char *b);
/* The candidate nearest to word, or NULL when nothing is close enough. */
const char *fc_suggest(const char *word, const char *const *candidates, size_t n);

/* ---- files ---- */
/* Reads a whole file; returns NULL (after fc_error) on failure. Caller frees. */
char *fc_read_file(const char *path, size_t *len);

/* ---- string -> index map (open addressing; keys are borrowed) ---- */
struct fc_strmap {
    const char **keys; /* borrowed; must outlive the map */
    uint32_t *vals;
    size_t cap;        /* power of two */
    size_t n;
};
void fc_strmap_init(struct fc_strmap *m);
void fc_strmap_free(struct fc_strmap *m);
/* Returns the value for key, or -1 when absent. */
long fc_strmap_get(const struct fc_strmap *m, const char *key);
/* Inserts key (must be absent). */
void fc_strmap_put(struct fc_strmap *m, const char *key, uint32_t val);

#endif
