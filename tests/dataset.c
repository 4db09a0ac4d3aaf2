/*
 * dataset.c — CSV loading: roles by name, string and integer ids, ISO dates,
 * missing values, grouping and sorting, the separate target file, and every
 * kind of bad input reported with file:line:column.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "forecast/data/cache.h"
#include "forecast/data/dataset.h"
#include "forecast/core/util.h"
#include "test.h"

static char *dir;

static void setup(void) { dir = test_tmpdir(); }
static void teardown(void)
{
    test_rmtree(dir);
    free(dir);
}

static char *ids[] = {"product_id", "store_id"};
static char *feats[] = {"price", "promo", "feature_*"};
static char *ign[] = {"item"};

static struct fc_data_spec spec_for(const char *path)
{
    struct fc_data_spec s = {0};
    s.path = (char *)path;
    s.series_cols = ids;
    s.n_series_cols = 2;
    s.date_col = "date";
    s.target_col = "sales";
    s.features = feats;
    s.n_features = 3;
    s.ignore = ign;
    s.n_ignore = 1;
    return s;
}

#define HEADER "date,product_id,store_id,item,sales,price,promo,feature_x\n"

START_TEST(test_load_and_group)
{
    char *p = test_write(dir, "d.csv",
                         HEADER "2015-01-02,FOODS_3_090,CA_3,\"a, \"\"quoted\"\"\",3,1.5,0,NA\n"
                                "2015-01-01,FOODS_3_090,CA_3,b,2,1.25,1,\n"
                                "2015-01-01T08:00:00.000Z,80558,2,c,5,2.0,0,0.5\n"
                                "2014-12-31,FOODS_3_090,CA_3,d,7,1.5,0,NaN\n");
    struct fc_data_spec s = spec_for(p);
    struct fc_dataset *ds = fc_dataset_open(&s, 1);
    ck_assert_ptr_nonnull(ds);
    ck_assert_uint_eq(ds->n_rows, 4);
    ck_assert_uint_eq(ds->n_series, 2);
    ck_assert_str_eq(ds->series_key[0], "FOODS_3_090:CA_3");
    ck_assert_str_eq(ds->series_key[1], "80558:2");
    ck_assert_str_eq(ds->series_parts[1][0], "80558");
    ck_assert_uint_eq(ds->n_features, 3);
    ck_assert_str_eq(ds->feature_names[0], "price");
    ck_assert_str_eq(ds->feature_names[2], "feature_x");
    /* series 0 sorted by date: 2014-12-31 (7), 2015-01-01 (2), 2015-01-02 (3) */
    ck_assert_uint_eq(ds->series_start[0], 0);
    ck_assert_uint_eq(ds->series_len[0], 3);
    ck_assert(ds->target[0] == 7 && ds->target[1] == 2 && ds->target[2] == 3);
    ck_assert(ds->date[0] < ds->date[1] && ds->date[1] < ds->date[2]);
    ck_assert(ds->features[0][1] == 1.25f);
    ck_assert(isnan(ds->features[2][0]) && isnan(ds->features[2][1]) &&
              isnan(ds->features[2][2]));
    ck_assert(ds->features[2][3] == 0.5f);
    ck_assert_int_eq(ds->date[3], 16436); /* 2015-01-01, the timestamp's day */
    ck_assert_int_eq(fc_dataset_find_series(ds, "80558:2"), 1);
    ck_assert_int_eq(fc_dataset_find_series(ds, "80558:3"), -1);
    ck_assert_uint_eq(strlen(ds->sha256), 64);
    fc_dataset_free(ds);
    free(p);
}
END_TEST

START_TEST(test_all_remaining_columns_are_features)
{
    char *p = test_write(dir, "d.csv", "date,product_id,store_id,sales,a,b\r\n"
                                       "2015-01-01,1,1,3,0.5,7\r\n"
                                       "\r\n"
                                       "2015-01-02,1,1,4,0.25,8\r\n");
    struct fc_data_spec s = spec_for(p);
    s.n_features = 0;
    s.n_ignore = 0;
    struct fc_dataset *ds = fc_dataset_open(&s, 1);
    ck_assert_ptr_nonnull(ds);
    ck_assert_uint_eq(ds->n_features, 2);
    ck_assert_uint_eq(ds->n_rows, 2);
    ck_assert(ds->features[1][1] == 8);
    fc_dataset_free(ds);
    free(p);
}
END_TEST

START_TEST(test_target_file_join)
{
    char *f = test_write(dir, "f.csv", "bdID,date,product_id,store_id,price\n"
                                       "k1,2015-01-01,1,1,1.0\n"
                                       "k2,2015-01-02,1,1,2.0\n"
                                       "k3,2015-01-03,1,1,3.0\n");
    char *t = test_write(dir, "t.csv", "bdID,sales\nk2,20\nk1,10\nk3,\n");
    struct fc_data_spec s = spec_for(f);
    char *fe[] = {"price"};
    s.features = fe;
    s.n_features = 1;
    s.n_ignore = 0;
    s.target_path = t;
    s.join_key = "bdID";
    fc_last_error[0] = '\0';
    ck_assert_ptr_null(fc_dataset_open(&s, 1)); /* k3 has no target */
    ck_assert_msg(strstr(fc_last_error, "t.csv: target for key \"k3\"") != NULL, "%s",
                  fc_last_error);
    s.drop_missing_target = 1;
    struct fc_dataset *ds = fc_dataset_open(&s, 1);
    ck_assert_ptr_nonnull(ds);
    ck_assert_uint_eq(ds->n_rows, 2);
    ck_assert_uint_eq(ds->n_dropped, 1);
    ck_assert(ds->target[0] == 10 && ds->target[1] == 20);
    ck_assert(ds->features[0][1] == 2.0f);
    fc_dataset_free(ds);
    free(f);
    free(t);
}
END_TEST

static void expect_error(const char *text, const char *needle)
{
    char *p = test_write(dir, "bad.csv", text);
    struct fc_data_spec s = spec_for(p);
    fc_last_error[0] = '\0';
    struct fc_dataset *ds = fc_dataset_open(&s, 1);
    ck_assert_msg(ds == NULL, "accepted: %s", text);
    ck_assert_msg(strstr(fc_last_error, needle) != NULL, "error '%s' lacks '%s'", fc_last_error,
                  needle);
    free(p);
}

START_TEST(test_float32_limits)
{
    /* the largest float32 loads as itself; 3.5e38 does not */
    char *p = test_write(dir, "big.csv", HEADER "2015-01-01,1,1,x,2,3.4028234e38,0,1\n");
    struct fc_data_spec s = spec_for(p);
    struct fc_dataset *ds = fc_dataset_parse(&s, 1);
    ck_assert_ptr_nonnull(ds);
    ck_assert(ds->features[0][0] == 3.4028234e38f);
    fc_dataset_free(ds);
    free(p);
}
END_TEST

START_TEST(test_errors)
{
    expect_error("", "bad.csv: empty file");
    expect_error(HEADER, "bad.csv: no data rows");
    expect_error(HEADER "2015-01-01,1,1,x,2,1.5,0\n", "bad.csv:2: expected 8 fields as in the "
                                                      "header, found 7");
    expect_error(HEADER "2015-01-01,1,1,x,2,1.5,0,1\n2015-01-02,1,1,x,2,abc,0,1\n",
                 "bad.csv:3:6 (column \"price\"): expected a number");
    expect_error(HEADER "2015-02-30,1,1,x,2,1.5,0,1\n", "bad.csv:2:1 (column \"date\"): expected "
                                                        "a date");
    expect_error(HEADER "2015-01-01,1,1,x,,1.5,0,1\n", "bad.csv:2:5 (column \"sales\"): missing "
                                                       "target");
    expect_error(HEADER "2015-01-01,1,1,x,2,1.5,0,1\n2015-01-01,1,1,y,3,1.5,0,1\n",
                 "bad.csv:3: duplicate row for series 1:1 on 2015-01-01 (first on line 2)");
    expect_error("date,product_id,store_id,item,sale,price,promo,feature_x\n"
                 "2015-01-01,1,1,x,2,1.5,0,1\n",
                 "column \"sales\" (data.target_column) not found; did you mean \"sale\"");
    expect_error(HEADER "2015-01-01,,1,x,2,1.5,0,1\n", "bad.csv:2:2 (column \"product_id\")");
    /* a quoted field spanning two lines: the next record is on line 4 */
    expect_error(HEADER "2015-01-01,1,1,\"two\nlines\",2,1.5,0,1\n2015-01-02,1,1,x,2,??,0,1\n",
                 "bad.csv:4:6");
    expect_error(HEADER "2015-01-01,1,1,\"open,2,1.5,0,1\n", "unterminated quoted field");
    expect_error(HEADER "2015-01-01,1,1,a\"b\"c,2,1.5,0,1\n", "bad.csv:2: malformed CSV");
    expect_error("date,product_id,store_id,item,sales,price,price,feature_x\n"
                 "2015-01-01,1,1,x,2,1.5,0,1\n",
                 "bad.csv:1:7: duplicate column name \"price\"");
    expect_error("date,product_id,store_id,item,sales,price,promo,other\n"
                 "2015-01-01,1,1,x,2,1.5,0,1\n",
                 "\"feature_*\" (data.features) not found");
    expect_error(HEADER "2015-01-01,1,1,x,2,1.5,0,text\n", "bad.csv:2:8 (column \"feature_x\"): "
                                                           "expected a number or a missing");
    /* finite as doubles, beyond float32 (max 3.40282347e38): they would load as inf */
    expect_error(HEADER "2015-01-01,1,1,x,2,1e39,0,1\n",
                 "bad.csv:2:6 (column \"price\"): expected a number within float32's range");
    expect_error(HEADER "2015-01-01,1,1,x,-4e38,1.5,0,1\n",
                 "bad.csv:2:5 (column \"sales\"): expected a number within float32's range");
}
END_TEST

START_TEST(test_missing_file)
{
    struct fc_data_spec s = spec_for("/nonexistent/x.csv");
    ck_assert_ptr_null(fc_dataset_open(&s, 1));
    ck_assert(strstr(fc_last_error, "/nonexistent/x.csv: cannot open") != NULL);
}
END_TEST

START_TEST(test_predict_without_target)
{
    char *p = test_write(dir, "d.csv", "date,product_id,store_id,item,price,promo,feature_x\n"
                                       "2015-01-01,1,1,x,1.5,0,1\n");
    struct fc_data_spec s = spec_for(p);
    ck_assert_ptr_null(fc_dataset_open(&s, 1));
    struct fc_dataset *ds = fc_dataset_open(&s, 0);
    ck_assert_ptr_nonnull(ds);
    ck_assert(!ds->has_target);
    fc_dataset_free(ds);
    free(p);
}
END_TEST

static void same_dataset(const struct fc_dataset *a, const struct fc_dataset *b)
{
    ck_assert_uint_eq(a->n_rows, b->n_rows);
    ck_assert_uint_eq(a->n_series, b->n_series);
    ck_assert_uint_eq(a->n_features, b->n_features);
    ck_assert_str_eq(a->sha256, b->sha256);
    ck_assert_mem_eq(a->date, b->date, a->n_rows * sizeof *a->date);
    ck_assert_mem_eq(a->series, b->series, a->n_rows * sizeof *a->series);
    ck_assert_mem_eq(a->target, b->target, a->n_rows * sizeof *a->target);
    for (size_t j = 0; j < a->n_features; j++) {
        ck_assert_str_eq(a->feature_names[j], b->feature_names[j]);
        ck_assert_mem_eq(a->features[j], b->features[j], a->n_rows * sizeof **a->features);
    }
    ck_assert_int_eq(a->has_target, b->has_target);
    ck_assert_uint_eq(a->n_dropped, b->n_dropped);
    ck_assert_int_eq(a->weight != NULL, b->weight != NULL);
    if (a->weight)
        ck_assert_mem_eq(a->weight, b->weight, a->n_rows * sizeof *a->weight);
    ck_assert_uint_eq(a->n_id_cols, b->n_id_cols);
    for (size_t k = 0; k < a->n_series; k++) {
        ck_assert_str_eq(a->series_key[k], b->series_key[k]);
        for (size_t c = 0; c < a->n_id_cols; c++)
            ck_assert_str_eq(a->series_parts[k][c], b->series_parts[k][c]);
        ck_assert_uint_eq(a->series_start[k], b->series_start[k]);
        ck_assert_uint_eq(a->series_len[k], b->series_len[k]);
    }
    ck_assert_int_eq(fc_dataset_find_series(b, a->series_key[0]), 0);
}

/* fc_dataset_keep_series: the kept series' rows of every column, in order,
 * from the parsed data and from the cache (whose mapping it lets go) */
static void check_kept(struct fc_dataset *ds)
{
    ck_assert_uint_eq(ds->n_series, 2);
    ck_assert_uint_eq(ds->n_rows, 3);
    ck_assert_str_eq(ds->series_key[0], "A:1");
    ck_assert_str_eq(ds->series_key[1], "C:3");
    ck_assert_str_eq(ds->series_parts[1][1], "3");
    ck_assert_int_eq(fc_dataset_find_series(ds, "C:3"), 1);
    ck_assert_int_eq(fc_dataset_find_series(ds, "B:2"), -1);
    ck_assert_uint_eq(ds->series_start[1], 2);
    ck_assert_uint_eq(ds->series_len[1], 1);
    /* A:1 on 2015-01-01 and -02 (sales 1, 2), C:3 on 2015-01-01 (sales 5) */
    ck_assert(ds->target[0] == 1 && ds->target[1] == 2 && ds->target[2] == 5);
    ck_assert_int_eq(ds->date[0], 16436);
    ck_assert_int_eq(ds->date[1], 16437);
    ck_assert_int_eq(ds->date[2], 16436);
    ck_assert(ds->features[0][0] == 1.5f && ds->features[0][2] == 3.5f);
    ck_assert(ds->features[1][1] == 1 && isnan(ds->features[2][2]));
    ck_assert(ds->series[0] == 0 && ds->series[1] == 0 && ds->series[2] == 1);
    ck_assert_str_eq(ds->feature_names[1], "promo");
    ck_assert_uint_eq(strlen(ds->sha256), 64);
}

START_TEST(test_keep_series)
{
    char *p = test_write(dir, "k.csv",
                         HEADER "2015-01-02,A,1,x,2,1.5,1,0\n"
                                "2015-01-01,B,2,x,9,9,9,9\n"
                                "2015-01-01,C,3,x,5,3.5,0,NA\n"
                                "2015-01-01,A,1,x,1,1.5,0,0\n"
                                "2015-01-02,B,2,x,9,9,9,9\n");
    struct fc_data_spec s = spec_for(p);
    s.cache = 1;
    unsigned char keep[3] = {1, 0, 1};
    struct fc_dataset *ds = fc_dataset_open(&s, 1);
    ck_assert_ptr_nonnull(ds);
    ck_assert_str_eq(ds->series_key[1], "B:2");
    fc_dataset_cache_store(&s, 1, ds);
    ds = fc_dataset_keep_series(ds, keep);
    check_kept(ds);
    fc_dataset_free(ds);
    ds = fc_dataset_open(&s, 1);
    ck_assert(ds->from_cache);
    ds = fc_dataset_keep_series(ds, keep);
    ck_assert_ptr_null(ds->map);
    check_kept(ds);
    fc_dataset_free(ds);
    free(p);
}
END_TEST

START_TEST(test_binary_cache)
{
    const char *text = HEADER "2015-01-02,FOODS_3_090,CA_3,a,3,1.5,0,NA\n"
                              "2015-01-01,FOODS_3_090,CA_3,b,2,1.25,1,\n"
                              "2015-01-01,80558,2,c,5,2.0,0,0.5\n";
    char *p = test_write(dir, "d.csv", text);
    struct fc_data_spec s = spec_for(p);
    s.cache = 1;
    struct fc_dataset *a = fc_dataset_open(&s, 1);
    ck_assert_ptr_nonnull(a);
    ck_assert(!a->from_cache);
    fc_dataset_cache_store(&s, 1, a);
    struct fc_dataset *b = fc_dataset_open(&s, 1);
    ck_assert(b->from_cache);
    same_dataset(a, b);
    fc_dataset_free(b);
    /* other column roles: not this cache */
    char *fe[] = {"price"};
    struct fc_data_spec s2 = s;
    s2.features = fe;
    s2.n_features = 1;
    b = fc_dataset_open(&s2, 1);
    ck_assert(!b->from_cache && b->n_features == 1);
    fc_dataset_free(b);
    /* a damaged cache is not used */
    char *cp = fc_xasprintf("%s.fccache", p);
    FILE *f = fopen(cp, "r+b");
    fseek(f, -3, SEEK_END);
    fputc('X', f);
    fclose(f);
    b = fc_dataset_open(&s, 1);
    ck_assert(!b->from_cache);
    same_dataset(a, b);
    fc_dataset_cache_store(&s, 1, b); /* rebuilt */
    fc_dataset_free(b);
    b = fc_dataset_open(&s, 1);
    ck_assert(b->from_cache);
    fc_dataset_free(b);
    /* a changed source is not served from the old cache, even when only its
     * modification time tells: same size, same inode, one byte changed */
    struct stat st;
    ck_assert_int_eq(stat(p, &st), 0);
    f = fopen(p, "r+b");
    fseek(f, (long)strlen(HEADER) + (long)strlen("2015-01-02,FOODS_3_090,CA_3,a,"), SEEK_SET);
    fputc('7', f); /* sales 3 -> 7 */
    fclose(f);
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    times[1].tv_sec += 5;
    ck_assert_int_eq(utimensat(AT_FDCWD, p, times, 0), 0);
    b = fc_dataset_open(&s, 1);
    ck_assert(!b->from_cache);
    ck_assert_uint_eq(b->n_rows, 3);
    long k = fc_dataset_find_series(b, "FOODS_3_090:CA_3");
    ck_assert(b->target[b->series_start[k] + 1] == 7); /* the 2015-01-02 row */
    fc_dataset_free(b);
    /* a replaced source too */
    free(test_write(dir, "d.csv", HEADER "2015-01-01,1,1,x,9,1.5,0,1\n"));
    b = fc_dataset_open(&s, 1);
    ck_assert(!b->from_cache);
    ck_assert_uint_eq(b->n_rows, 1);
    ck_assert(b->target[0] == 9);
    fc_dataset_free(b);
    /* a cache directory instead of beside the data */
    s.cache_dir = fc_xasprintf("%s/cachedir", dir);
    b = fc_dataset_open(&s, 1);
    fc_dataset_cache_store(&s, 1, b);
    fc_dataset_free(b);
    b = fc_dataset_open(&s, 1);
    ck_assert(b->from_cache);
    fc_dataset_free(b);
    free(s.cache_dir);
    free(cp);
    fc_dataset_free(a);
    free(p);
}
END_TEST

/* the text of row r's cell of text column t ("" when missing) */
static const char *text_at(const struct fc_dataset *ds, size_t t, size_t r)
{
    float c = ds->text[t][r];
    return c != c ? "" : fc_text_value((uint32_t)c);
}

/* a text column of features.categorical (data.text_cols): read as text
 * even though data.ignore-d "item" is what the spec ignores by default;
 * missing cells missing; the same texts from the CSV, the cache and the
 * parallel parse of a large file */
START_TEST(test_text_columns)
{
    const char *text = HEADER "2015-01-02,FOODS_3_090,CA_3,\"b, quoted\",3,1.5,0,NA\n"
                              "2015-01-01,FOODS_3_090,CA_3,NA,2,1.25,1,\n"
                              "2015-01-01,80558,2,a,5,2.0,0,0.5\n";
    char *p = test_write(dir, "text.csv", text);
    struct fc_data_spec s = spec_for(p);
    s.n_ignore = 0;
    char *tc[] = {"item"};
    s.text_cols = tc;
    s.n_text_cols = 1;
    s.cache = 1;
    struct fc_dataset *a = fc_dataset_open(&s, 1);
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(a->n_text, 1);
    ck_assert_str_eq(a->text_names[0], "item");
    ck_assert_uint_eq(a->n_features, 3); /* price, promo, feature_x: not the text */
    long k = fc_dataset_find_series(a, "FOODS_3_090:CA_3");
    size_t r = a->series_start[k];
    ck_assert_str_eq(text_at(a, 0, r), "");              /* 2015-01-01: NA */
    ck_assert_str_eq(text_at(a, 0, r + 1), "b, quoted"); /* 2015-01-02 */
    ck_assert_str_eq(text_at(a, 0, a->series_start[fc_dataset_find_series(a, "80558:2")]), "a");
    fc_dataset_cache_store(&s, 1, a);
    struct fc_dataset *b = fc_dataset_open(&s, 1);
    ck_assert(b->from_cache);
    same_dataset(a, b);
    ck_assert_uint_eq(b->n_text, 1);
    for (size_t i = 0; i < a->n_rows; i++)
        ck_assert_str_eq(text_at(a, 0, i), text_at(b, 0, i));
    fc_dataset_free(b);
    fc_dataset_free(a);
    free(p);
    /* > 8 MiB: the parallel parse, its chunks' codes the sequential's */
    char *big = fc_xasprintf("%s/big_text.csv", dir);
    FILE *f = fopen(big, "w");
    fputs(HEADER, f);
    for (int i = 0; i < 260000; i++)
        fprintf(f, "2015-%02d-%02d,%d,1,item_%d,%d,1.5,0,0.25\n", 1 + (i / 28) % 12,
                1 + i % 28, i / 336, i % 7, i % 5);
    fclose(f);
    struct stat st;
    ck_assert(stat(big, &st) == 0 && st.st_size > (8 << 20));
    s.path = big;
    s.cache = 0;
    a = fc_dataset_open(&s, 1);
    ck_assert_ptr_nonnull(a);
    for (size_t i = 0; i < a->n_rows; i++) {
        char want[32];
        /* product i / 336's rows; the row's day d of month m was line
         * i with (i / 28) % 12 == m - 1 and i % 28 == d - 1 */
        int y, m, d;
        fc_civil_from_days(a->date[i], &y, &m, &d);
        long prod = strtol(a->series_key[a->series[i]], NULL, 10);
        long line = prod * 336 + (m - 1) * 28 + (d - 1);
        snprintf(want, sizeof want, "item_%ld", line % 7);
        ck_assert_str_eq(text_at(a, 0, i), want);
    }
    fc_dataset_free(a);
    free(big);
}
END_TEST

/* a large plain file (the parallel parse's fast path: no libcsv; forced
 * with FORECAST_PARSE_THREADS=4 whatever the cores) with spaces and tabs
 * around fields, blank and whitespace-only lines and CRLF endings loads
 * exactly as its gzip copy, which libcsv reads sequentially; a duplicate
 * row late in it, reported after a successful parse with the lines the
 * parse recorded, names the same lines as the sequential parse's */
START_TEST(test_fast_path_equals_libcsv)
{
    char *plain = fc_xasprintf("%s/fast.csv", dir), *gz = fc_xasprintf("%s/fast.csv.gz", dir);
    FILE *f = fopen(plain, "w");
    gzFile g = gzopen(gz, "wb1");
    struct fc_buf b;
    fc_buf_init(&b);
    fc_buf_puts(&b, HEADER);
    for (int i = 0; i < 240000; i++) {
        if (i % 1000 == 7)
            fc_buf_puts(&b, i % 2000 == 7 ? "\n" : " \t \r\n");
        fc_buf_printf(&b, "2015-%02d-%02d, %d ,1,\titem\t,%d,%.2f , %d,%s%s", 1 + (i / 28) % 12,
                      1 + i % 28, i / 336, i % 7, 0.25 * (i % 9), i % 2, i % 5 ? "0.5" : "",
                      i % 3 ? "\n" : "\r\n");
        if (b.len > (1 << 16)) {
            fwrite(b.s, 1, b.len, f);
            gzwrite(g, b.s, (unsigned)b.len);
            b.len = 0;
        }
    }
    fwrite(b.s, 1, b.len, f);
    gzwrite(g, b.s, (unsigned)b.len);
    fclose(f);
    gzclose(g);
    fc_buf_free(&b);
    struct stat st;
    ck_assert(stat(plain, &st) == 0 && st.st_size > (8 << 20));
    struct fc_data_spec s1 = spec_for(plain), s2 = spec_for(gz);
    setenv("FORECAST_PARSE_THREADS", "4", 1);
    struct fc_dataset *a = fc_dataset_open(&s1, 1), *c = fc_dataset_open(&s2, 1);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(a->n_rows, 240000);
    ck_assert_uint_eq(a->n_rows, c->n_rows);
    ck_assert_uint_eq(a->n_series, c->n_series);
    ck_assert_uint_eq(a->n_features, c->n_features);
    ck_assert_mem_eq(a->date, c->date, a->n_rows * sizeof *a->date);
    ck_assert_mem_eq(a->series, c->series, a->n_rows * sizeof *a->series);
    ck_assert_mem_eq(a->target, c->target, a->n_rows * sizeof *a->target);
    for (size_t j = 0; j < a->n_features; j++)
        ck_assert_mem_eq(a->features[j], c->features[j], a->n_rows * sizeof **a->features);
    for (size_t k = 0; k < a->n_series; k++)
        ck_assert_str_eq(a->series_key[k], c->series_key[k]);
    fc_dataset_free(a);
    fc_dataset_free(c);
    /* a duplicate of the first data row, after 240,000 rows and 240 blank
     * lines: group_rows names its line and the first's from the lines the
     * parse recorded, the fast path's in the parallel parse */
    f = fopen(plain, "a");
    fputs("2015-01-01,0,1,item,3,1.5,0,0.5\n", f);
    fclose(f);
    ck_assert_ptr_null(fc_dataset_open(&s1, 1));
    char *fast = xstrdup(fc_last_error);
    setenv("FORECAST_PARSE_THREADS", "1", 1);
    ck_assert_ptr_null(fc_dataset_open(&s1, 1));
    unsetenv("FORECAST_PARSE_THREADS");
    ck_assert_str_eq(fast, fc_last_error);
    char *want = fc_xasprintf("fast.csv:%d: duplicate row for series 0:1 on 2015-01-01 (first "
                              "on line 2)",
                              1 + 240000 + 240 + 1);
    ck_assert_msg(strstr(fast, want), "%s", fast);
    free(want);
    free(fast);
    free(plain);
    free(gz);
}
END_TEST

/* one cache serves train (target required) and predict (optional) when
 * every row has its target, and is rebuilt when some rows have none */
START_TEST(test_cache_train_and_predict)
{
    char *p = test_write(dir, "t.csv", HEADER "2015-01-01,1,1,x,2,1.5,0,1\n"
                                              "2015-01-02,1,1,x,3,1.5,0,1\n");
    struct fc_data_spec s = spec_for(p);
    s.cache = 1;
    struct fc_dataset *a = fc_dataset_open(&s, 1);
    fc_dataset_cache_store(&s, 1, a);
    struct fc_dataset *b = fc_dataset_open(&s, 0);
    ck_assert(b->from_cache);
    same_dataset(a, b);
    fc_dataset_free(a);
    fc_dataset_free(b);
    free(test_write(dir, "t.csv", HEADER "2015-01-01,1,1,x,2,1.5,0,1\n"
                                         "2015-01-02,1,1,x,,1.5,0,1\n"));
    s.drop_missing_target = 1;
    a = fc_dataset_open(&s, 1); /* train: the row without a target dropped */
    ck_assert_uint_eq(a->n_rows, 1);
    fc_dataset_cache_store(&s, 1, a);
    b = fc_dataset_open(&s, 0); /* predict: keeps it, so not from train's cache */
    ck_assert(!b->from_cache);
    ck_assert_uint_eq(b->n_rows, 2);
    ck_assert(isnan(b->target[1]));
    fc_dataset_cache_store(&s, 0, b);
    fc_dataset_free(b);
    b = fc_dataset_open(&s, 1); /* and train again: not from predict's */
    ck_assert(!b->from_cache);
    same_dataset(a, b);
    fc_dataset_free(a);
    fc_dataset_free(b);
    free(p);
}
END_TEST

START_TEST(test_gzip_input)
{
    char *p = test_write(dir, "d.csv", HEADER "2015-01-01,1,1,x,2,1.5,0,1\n");
    char *cmd = fc_xasprintf("gzip -k '%s'", p);
    ck_assert_int_eq(system(cmd), 0);
    char *gz = fc_xasprintf("%s.gz", p);
    struct fc_data_spec s = spec_for(gz);
    struct fc_dataset *ds = fc_dataset_open(&s, 1);
    ck_assert_ptr_nonnull(ds);
    ck_assert(ds->target[0] == 2);
    fc_dataset_free(ds);
    free(gz);
    free(cmd);
    free(p);
}
END_TEST

Suite *suite_dataset(void)
{
    Suite *s = suite_create("dataset");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_load_and_group);
    tcase_add_test(tc, test_text_columns);
    tcase_add_test(tc, test_fast_path_equals_libcsv);
    tcase_add_test(tc, test_all_remaining_columns_are_features);
    tcase_add_test(tc, test_target_file_join);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_float32_limits);
    tcase_add_test(tc, test_missing_file);
    tcase_add_test(tc, test_predict_without_target);
    tcase_add_test(tc, test_binary_cache);
    tcase_add_test(tc, test_keep_series);
    tcase_add_test(tc, test_cache_train_and_predict);
    tcase_add_test(tc, test_gzip_input);
    suite_add_tcase(s, tc);
    return s;
}
