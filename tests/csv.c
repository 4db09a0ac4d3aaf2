/*
 * csv.c — the fast path of plain lines (src/data/csv.c) against libcsv in
 * strict mode, the reader it stands in for: on crafted texts (spaces and
 * tabs around fields, blank and whitespace-only lines, CRLF, empty and
 * trailing fields, no final newline) and on 20,000 random plain texts, both
 * must hand the row callback the same records, fields and physical lines;
 * and fc_csv_plain sends anything libcsv reads otherwise (a quote, a NUL, a
 * bare carriage return) to libcsv.
 */
#include <stdlib.h>
#include <string.h>

#include "forecast/core/util.h"
#include "forecast/data/csv.h"
#include "test.h"

/* every record as "line:field|field|...\n" */
static int collect(void *ctx, char **f, size_t n, long line)
{
    struct fc_buf *b = ctx;
    fc_buf_printf(b, "%ld:", line);
    for (size_t i = 0; i < n; i++)
        fc_buf_printf(b, "%s%s", i ? "|" : "", f[i]);
    fc_buf_putc(b, '\n');
    return 0;
}

static char *by_libcsv(const char *text, size_t len)
{
    struct fc_buf b;
    fc_buf_init(&b);
    struct fc_csv_reader r;
    ck_assert_int_eq(fc_csv_reader_open(&r, "text", collect, &b, 1), 0);
    ck_assert_uint_eq(csv_parse(&r.p, text, len, fc_csv_on_field, fc_csv_on_record, &r), len);
    ck_assert_int_eq(csv_fini(&r.p, fc_csv_on_field, fc_csv_on_record, &r), 0);
    fc_csv_reader_close(&r);
    return b.s;
}

static char *by_fast_path(const char *text, size_t len)
{
    struct fc_buf b;
    fc_buf_init(&b);
    long line = 1;
    ck_assert_int_ge(fc_csv_fast_parse(text, len, &line, collect, &b), 0);
    return b.s;
}

static void same(const char *text, size_t len)
{
    ck_assert_msg(fc_csv_plain(text, len), "not plain: \"%s\"", text);
    char *a = by_libcsv(text, len), *b = by_fast_path(text, len);
    ck_assert_msg(strcmp(a, b) == 0, "text \"%s\":\nlibcsv:\n%s\nfast path:\n%s", text, a, b);
    free(a);
    free(b);
}

START_TEST(test_crafted)
{
    const char *texts[] = {
        "a,b,c\n1,2,3\n",
        " a , b ,\tc\t\n 1,2 , 3 \n",       /* trimmed */
        "a,b\n\n1,2\n\n\n3,4\n",             /* blank lines counted */
        "a,b\n   \n\t\n1,2\n",               /* whitespace-only lines are blank */
        "a,b\r\n1,2\r\n\r\n3,4\r\n",         /* CRLF */
        "a,b,\n,,\n1,,3\n",                  /* empty and trailing fields */
        "a,b\n1,2",                          /* no final newline */
        "x\ny\n\nz",                         /* one field */
        "a, b c ,d\n",                       /* inner spaces kept */
        "",
        "\n\n",
    };
    for (size_t k = 0; k < sizeof texts / sizeof *texts; k++)
        same(texts[k], strlen(texts[k]));
}
END_TEST

START_TEST(test_random_plain_texts)
{
    /* texts of 0-60 tokens from an alphabet of the characters that matter */
    static const char *const tokens[] = {"a", "7", ".", "-", ",", ",", " ", "\t", "\n", "\r\n",
                                         "xyz", "1.5e3"};
    uint64_t st = 2026;
    char text[1024];
    for (int t = 0; t < 20000; t++) {
        size_t len = 0;
        st = st * 6364136223846793005ull + 1442695040888963407ull;
        int n = (int)((st >> 33) % 61);
        for (int i = 0; i < n; i++) {
            st = st * 6364136223846793005ull + 1442695040888963407ull;
            const char *tok = tokens[(st >> 33) % (sizeof tokens / sizeof *tokens)];
            memcpy(text + len, tok, strlen(tok));
            len += strlen(tok);
        }
        text[len] = '\0';
        same(text, len);
    }
}
END_TEST

START_TEST(test_not_plain)
{
    ck_assert(!fc_csv_plain("a,\"b\"\n", 6));
    ck_assert(!fc_csv_plain("a,b\0\n", 5));
    ck_assert(!fc_csv_plain("a\rb\n", 4));  /* a bare CR ends a record in libcsv */
    ck_assert(!fc_csv_plain("a,b\r", 4));
    ck_assert(fc_csv_plain("a,b\r\n", 5));
}
END_TEST

Suite *suite_csv(void)
{
    Suite *s = suite_create("csv");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_crafted);
    tcase_add_test(tc, test_random_plain_texts);
    tcase_add_test(tc, test_not_plain);
    suite_add_tcase(s, tc);
    return s;
}
