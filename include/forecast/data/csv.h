/*
 * csv.h — the generic CSV reader under the dataset loader, evaluate and the
 * model-record reader: libcsv in strict mode (CSV_STRICT | CSV_STRICT_FINI,
 * csv_fini checked), a .gz file read through zlib, one callback per record
 * with its fields NUL-terminated and its physical line.
 */
#ifndef FORECAST_CSV_H
#define FORECAST_CSV_H

#include <csv.h>
#include <stddef.h>

#include "forecast/core/util.h"

/* fn gets a record's fields and the line it starts on; returns 0, or -1
 * (after fc_error) to stop. */
typedef int (*fc_csv_row_fn)(void *ctx, char **fields, size_t n, long line);

/* Any CSV, record by record; the header is the first record. An empty file
 * is an error. */
int fc_csv_foreach(const char *path, fc_csv_row_fn fn, void *ctx);

/* Reads path record by record and hashes its bytes (decompressed, for .gz)
 * into hex and size; records: non-blank records seen. 0 or -1 after
 * fc_error naming path:line. */
int fc_csv_read_file(const char *path, fc_csv_row_fn fn, void *ctx, char hex[65], size_t *size,
                     long *records);

/* ---- the reader itself, for parsers that feed it their own bytes (the
 * parallel parse of a mapped file) ---- */
struct fc_csv_reader {
    const char *path;
    fc_csv_row_fn fn;
    void *ctx;
    struct fc_buf row;    /* fields of the current record, NUL-separated */
    size_t *offs;         /* start of each field in row.s */
    size_t n_fields, cap_fields;
    char **ptrs;
    long line;            /* physical line where the current record starts */
    long embedded_nl;     /* newlines inside quoted fields of this record */
    int prev_term;
    long records;         /* non-blank records seen */
    int failed;
    struct csv_parser p;  /* libcsv in strict mode */
};

/* A reader of records for fn(ctx, ...) whose first record starts on line0;
 * 0, or -1 when libcsv cannot be set up. Feed it with csv_parse(&r->p, ...,
 * fc_csv_on_field, fc_csv_on_record, r); close with fc_csv_reader_close. */
int fc_csv_reader_open(struct fc_csv_reader *r, const char *path, fc_csv_row_fn fn, void *ctx,
                       long line0);
void fc_csv_reader_close(struct fc_csv_reader *r);
/* libcsv's callbacks (data: the reader). */
void fc_csv_on_field(void *s, size_t len, void *data);
void fc_csv_on_record(int c, void *data);

/* ---- the fast path of plain lines ----
 * Most data files quote nothing. For those, splitting each line at its
 * commas is what libcsv does at a fraction of its cost (no per-byte state
 * machine, no per-field callback). fc_csv_plain says whether buf[0..len)
 * is such text: no quote, no NUL byte and no carriage return except right
 * before a newline (libcsv would end a record there). fc_csv_fast_parse
 * then reads it as libcsv in strict mode would: records end at "\n" or
 * "\r\n", fields split at commas, spaces and tabs around a field trimmed, a
 * line of nothing but spaces and tabs blank (skipped, counted as a line);
 * fn gets the same fields and physical lines (the first line is *line,
 * which ends as the line after buf). Returns the records passed to fn, or
 * -1 when fn refused one. */
int fc_csv_plain(const char *buf, size_t len);
long fc_csv_fast_parse(const char *buf, size_t len, long *line, fc_csv_row_fn fn, void *ctx);

#endif
