/*
 * util.c — dates, number parsing, missing values, suggestions, string map.
 * Expected day numbers were computed with Python's datetime
 * (date(y, m, d) - date(1970, 1, 1)).days.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/util.h"
#include "test.h"

START_TEST(test_dates)
{
    int32_t d;
    ck_assert_int_eq(fc_parse_date("1970-01-01", &d), 0);
    ck_assert_int_eq(d, 0);
    ck_assert_int_eq(fc_parse_date("2000-03-01", &d), 0);
    ck_assert_int_eq(d, 11017);
    ck_assert_int_eq(fc_parse_date("2016-02-29", &d), 0);
    ck_assert_int_eq(d, 16860);
    ck_assert_int_eq(fc_parse_date("1969-12-31", &d), 0);
    ck_assert_int_eq(d, -1);
    /* ISO-8601 timestamps keep the day */
    ck_assert_int_eq(fc_parse_date("2000-01-01T08:00:00.000Z", &d), 0);
    ck_assert_int_eq(d, 10957);
    ck_assert_int_eq(fc_parse_date("2000-01-01T23:59", &d), 0);
    ck_assert_int_eq(d, 10957);
    ck_assert_int_eq(fc_parse_date("2000-01-01 08:00:00+02:00", &d), 0);
    /* rejected */
    const char *bad[] = {"2015-02-29", "2015-13-01", "2015-00-10", "2015-1-1", "20150101",
                         "2015-01-01T25:00", "2015-01-01x", "", "2015-01-32",
                         "2015-01-01T08:00:00.Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(fc_parse_date(bad[i], &d) == -1, "accepted %s", bad[i]);
    char out[11];
    fc_format_date(16860, out);
    ck_assert_str_eq(out, "2016-02-29");
    fc_format_date(-1, out);
    ck_assert_str_eq(out, "1969-12-31");
    /* 2015-12-04 was a Friday (Monday = 0) */
    ck_assert_int_eq(fc_parse_date("2015-12-04", &d), 0);
    ck_assert_int_eq(fc_weekday(d), 4);
    ck_assert_int_eq(fc_weekday(0), 3); /* 1970-01-01, a Thursday */
}
END_TEST

START_TEST(test_numbers)
{
    double x;
    ck_assert_int_eq(fc_parse_double("1.5", &x), 0);
    ck_assert(x == 1.5);
    ck_assert_int_eq(fc_parse_double("-2e3", &x), 0);
    ck_assert(x == -2000);
    const char *bad[] = {"", " 1", "1 ", "abc", "1,5", "inf", "nan", "0x10", "1e999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(fc_parse_double(bad[i], &x) == -1, "accepted '%s'", bad[i]);
    long l;
    ck_assert_int_eq(fc_parse_long("80558", &l), 0);
    ck_assert_int_eq(l, 80558);
    ck_assert_int_eq(fc_parse_long("8.5", &l), -1);
    ck_assert(fc_is_missing("") && fc_is_missing("NA") && fc_is_missing("NaN"));
    ck_assert(!fc_is_missing("0") && !fc_is_missing("none"));
}
END_TEST

START_TEST(test_suggest)
{
    ck_assert_uint_eq(fc_edit_distance("kitten", "sitting"), 3);
    ck_assert_uint_eq(fc_edit_distance("", "abc"), 3);
    const char *c[] = {"train", "predict", "list-models", "describe", "help"};
    ck_assert_str_eq(fc_suggest("trian", c, 5), "train");
    ck_assert_str_eq(fc_suggest("predcit", c, 5), "predict");
    ck_assert_ptr_null(fc_suggest("zzzzzzzz", c, 5));
}
END_TEST

START_TEST(test_strmap)
{
    struct fc_strmap m;
    fc_strmap_init(&m);
    char *keys[1000];
    for (int i = 0; i < 1000; i++) {
        keys[i] = fc_xasprintf("k%d", i);
        fc_strmap_put(&m, keys[i], (uint32_t)i * 3);
    }
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(fc_strmap_get(&m, keys[i]), i * 3);
    ck_assert_int_eq(fc_strmap_get(&m, "nope"), -1);
    fc_strmap_free(&m);
    for (int i = 0; i < 1000; i++)
        free(keys[i]);
}
END_TEST

START_TEST(test_series_key_parts)
{
    const char *cases[][3] = {{"80558", "2", "80558:2"},
                              {"a:b", "1", "a\\:b:1"},
                              {"a", "b:1", "a:b\\:1"},
                              {"x\\", "y", "x\\\\:y"}};
    for (size_t i = 0; i < 4; i++) {
        struct fc_buf b;
        fc_buf_init(&b);
        fc_buf_put_key_part(&b, cases[i][0], 1);
        fc_buf_put_key_part(&b, cases[i][1], 0);
        ck_assert_str_eq(b.s, cases[i][2]);
        fc_buf_free(&b);
    }
}
END_TEST

START_TEST(test_buf_csv_field)
{
    struct fc_buf b;
    fc_buf_init(&b);
    fc_buf_put_csv_field(&b, "plain");
    fc_buf_putc(&b, ',');
    fc_buf_put_csv_field(&b, "a,\"b\"");
    ck_assert_str_eq(b.s, "plain,\"a,\"\"b\"\"\"");
    fc_buf_free(&b);
}
END_TEST

/* The fast path must give strtod's double bit for bit: signs, exponents,
 * many digits, subnormals, overflow, the spellings it must refuse. */
static void same_as_strtod(const char *t)
{
    double a = 0;
    int rc = fc_parse_double(t, &a);
    char *end;
    errno = 0;
    double b = strtod(t, &end);
    int ok = *t && *end == '\0' && !(errno == ERANGE && isinf(b)) && !strpbrk(t, " infaINFAxX");
    ck_assert_msg(rc == (ok ? 0 : -1), "'%s': accepted %d, strtod says %d", t, rc == 0, ok);
    if (ok)
        ck_assert_msg(memcmp(&a, &b, sizeof a) == 0, "'%s': %.17g, strtod %.17g", t, a, b);
}

START_TEST(test_numbers_exact)
{
    const char *fixed[] = {"0", "-0", "+0", "0.0", "1", "-1", "3.14159", "1e22", "1e23",
                           "9007199254740993", "9007199254740992", "123456789012345678901",
                           "0.1", "0.30000000000000004", "2.2250738585072014e-308",
                           "4.9e-324", "1e-400", "1e400", "-1e400", "1.7976931348623157e308",
                           "1.8e308", ".5", "5.", "-.5e-3", "1e", "e5", ".", "-", "1.2.3",
                           "1e5.5", "00012.5000", "1E+05", "1e-22", "1e-23", "123.456e-20",
                           "0.000000000000000000000000000001", "99999999999999999999",
                           "7.450580596923828125e-9", "1 ", " 1", "0x10", "inf", "nan"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        same_as_strtod(fixed[i]);
    /* random decimals in the formats data files use */
    uint64_t st = 88172645463325252ULL;
    char buf[64];
    for (int i = 0; i < 200000; i++) {
        st ^= st << 13;
        st ^= st >> 7;
        st ^= st << 17;
        int kind = (int)(st % 4);
        double mant = (double)(st >> 11) / 9007199254740992.0;
        int digits = 1 + (int)((st >> 5) % 17);
        int e = (int)((st >> 23) % 80) - 40;
        if (kind == 0)
            snprintf(buf, sizeof buf, "%.*f", digits % 8, mant * 1000);
        else if (kind == 1)
            snprintf(buf, sizeof buf, "%.*e", digits, (st & 1 ? -mant : mant) * 10);
        else if (kind == 2)
            snprintf(buf, sizeof buf, "%lld", (long long)(st >> (st % 40)));
        else
            snprintf(buf, sizeof buf, "%.*ge%d", digits, mant, e);
        same_as_strtod(buf);
    }
}
END_TEST

/* UTF-8 by hand: valid text, then each kind of bad sequence at its offset;
 * the \\u0000 escape found inside strings only */
START_TEST(test_text_checks)
{
    size_t bad = 99;
    ck_assert(fc_utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, &bad));
    ck_assert(!fc_utf8_valid("ab\xff", 3, &bad) && bad == 2);        /* not a lead byte */
    ck_assert(!fc_utf8_valid("a\xc3", 2, &bad) && bad == 1);         /* truncated */
    ck_assert(!fc_utf8_valid("\xc0\xaf", 2, &bad) && bad == 0);      /* overlong '/' */
    ck_assert(!fc_utf8_valid("x\xed\xa0\x80", 4, &bad) && bad == 1); /* a surrogate */
    ck_assert(!fc_utf8_valid("\xf4\x90\x80\x80", 4, &bad) && bad == 0); /* > U+10FFFF */
    ck_assert_int_eq(fc_json_nul_escape("{\"a\": \"x\\u0000\"}"), 8);
    ck_assert_int_eq(fc_json_nul_escape("{\"a\": \"x\\\\u0000\"}"), -1); /* an escaped backslash */
    ck_assert_int_eq(fc_json_nul_escape("{\"a\": \"\\u0041\"}"), -1);
}
END_TEST

Suite *suite_util(void)
{
    Suite *s = suite_create("util");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_dates);
    tcase_add_test(tc, test_text_checks);
    tcase_add_test(tc, test_series_key_parts);
    tcase_add_test(tc, test_numbers);
    tcase_add_test(tc, test_numbers_exact);
    tcase_add_test(tc, test_suggest);
    tcase_add_test(tc, test_strmap);
    tcase_add_test(tc, test_buf_csv_field);
    suite_add_tcase(s, tc);
    return s;
}
