/*
 * args.c — option parsing: --name value, --name=value, flags, positionals,
 * "--", and unknown options reported with the nearest valid one.
 */
#include <string.h>

#include "forecast/cli/args.h"
#include "forecast/core/util.h"
#include "test.h"

static const struct fc_opt opts[] = {
    {"model", "NAME", "model"},
    {"quiet", NULL, "quiet"},
    {"split-date", "DATE", "split"},
};

START_TEST(test_parse)
{
    char *argv[] = {"train", "--model", "a", "--split-date=2015-01-01", "pos", "--quiet",
                    "--", "--model"};
    struct fc_args a;
    ck_assert_int_eq(fc_args_parse("train", opts, 3, 8, argv, &a), 0);
    ck_assert_uint_eq(a.n, 5);
    ck_assert_str_eq(a.items[0].opt->name, "model");
    ck_assert_str_eq(a.items[0].value, "a");
    ck_assert_str_eq(a.items[1].value, "2015-01-01");
    ck_assert_ptr_null(a.items[2].opt);
    ck_assert_str_eq(a.items[2].value, "pos");
    ck_assert_ptr_null(a.items[3].value);
    ck_assert_ptr_null(a.items[4].opt); /* after "--" */
    ck_assert_str_eq(a.items[4].value, "--model");
    ck_assert(!a.help);
    fc_args_free(&a);
}
END_TEST

START_TEST(test_errors)
{
    struct fc_args a;
    char *unknown[] = {"train", "--modle", "x"};
    ck_assert_int_eq(fc_args_parse("train", opts, 3, 3, unknown, &a), -1);
    ck_assert(strstr(fc_last_error, "unknown option '--modle'; did you mean '--model'?") != NULL);
    char *novalue[] = {"train", "--model"};
    ck_assert_int_eq(fc_args_parse("train", opts, 3, 2, novalue, &a), -1);
    ck_assert(strstr(fc_last_error, "'--model' needs a value") != NULL);
    char *flagvalue[] = {"train", "--quiet=yes"};
    ck_assert_int_eq(fc_args_parse("train", opts, 3, 2, flagvalue, &a), -1);
    ck_assert(strstr(fc_last_error, "takes no value") != NULL);
    char *shortopt[] = {"train", "-m"};
    ck_assert_int_eq(fc_args_parse("train", opts, 3, 2, shortopt, &a), -1);
    char *help[] = {"train", "-h"};
    ck_assert_int_eq(fc_args_parse("train", opts, 3, 2, help, &a), 0);
    ck_assert(a.help);
    fc_args_free(&a);
}
END_TEST

Suite *suite_args(void)
{
    Suite *s = suite_create("args");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_parse);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    return s;
}
