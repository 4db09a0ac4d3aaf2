/*
 * store.c — atomic writes and manifests: a changed, truncated, missing or
 * future-format file is detected.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "forecast/store/store.h"
#include "forecast/core/util.h"
#include "test.h"

static char *dir;

static void setup(void) { dir = test_tmpdir(); }
static void teardown(void)
{
    test_rmtree(dir);
    free(dir);
}

START_TEST(test_atomic_and_mkdir)
{
    char *sub = fc_xasprintf("%s/a/b/c", dir);
    ck_assert_int_eq(fc_mkdir_p(sub), 0);
    ck_assert_int_eq(fc_mkdir_p(sub), 0);
    char *f = fc_xasprintf("%s/x.txt", sub);
    ck_assert_int_eq(fc_write_atomic(f, "hello", 5), 0);
    ck_assert_int_eq(fc_write_atomic(f, "bye", 3), 0);
    size_t n;
    char *text = fc_read_file(f, &n);
    ck_assert_str_eq(text, "bye");
    free(text);
    /* a file where a directory should be */
    char *under = fc_xasprintf("%s/y", f);
    ck_assert_int_eq(fc_mkdir_p(under), -1);
    free(under);
    free(f);
    free(sub);
}
END_TEST

/* a file written piece by piece: all of it or, on failure, the old one and
 * no temporary file left */
START_TEST(test_atomic_stream)
{
    char *f = fc_xasprintf("%s/s.bin", dir);
    ck_assert_int_eq(fc_write_atomic(f, "old", 3), 0);
    struct fc_atomic a;
    ck_assert_int_eq(fc_atomic_open(&a, f), 0);
    fputs("half", a.f);
    ck_assert_int_eq(fc_atomic_close(&a, 1), -1);
    size_t n;
    char *text = fc_read_file(f, &n);
    ck_assert_str_eq(text, "old");
    free(text);
    char *tmp = fc_xasprintf("%s.tmp.%ld", f, (long)getpid());
    struct stat st;
    ck_assert_int_ne(stat(tmp, &st), 0);
    ck_assert_int_eq(fc_atomic_open(&a, f), 0);
    fputs("new ", a.f);
    fputs("text", a.f);
    ck_assert_int_eq(fc_atomic_close(&a, 0), 0);
    text = fc_read_file(f, &n);
    ck_assert_str_eq(text, "new text");
    ck_assert_int_ne(stat(tmp, &st), 0);
    free(text);
    free(tmp);
    free(f);
}
END_TEST

static void write_model(void)
{
    free(test_write(dir, "weights.bin", "0123456789"));
    cJSON *info = cJSON_CreateObject();
    cJSON_AddStringToObject(info, "kind", "forecast-model");
    ck_assert_int_eq(fc_manifest_write(dir, info), 0);
    cJSON_Delete(info);
}

START_TEST(test_manifest_roundtrip)
{
    write_model();
    cJSON *m = fc_manifest_verify(dir, "forecast-model");
    ck_assert_ptr_nonnull(m);
    /* sha256("0123456789") from sha256sum */
    const cJSON *f = cJSON_GetObjectItem(cJSON_GetObjectItem(m, "files"), "weights.bin");
    ck_assert_str_eq(cJSON_GetObjectItem(f, "sha256")->valuestring,
                     "84d89877f0d4041efb6bf91a16f0248f2fd573e6af05c19f96bedb9f882f7882");
    cJSON_Delete(m);
    ck_assert_ptr_null(fc_manifest_verify(dir, "forecast-run"));
}
END_TEST

START_TEST(test_manifest_detects_damage)
{
    write_model();
    free(test_write(dir, "weights.bin", "0123456788")); /* one byte flipped */
    ck_assert_ptr_null(fc_manifest_verify(dir, "forecast-model"));
    ck_assert(strstr(fc_last_error, "checksum does not match") != NULL);
    free(test_write(dir, "weights.bin", "01234")); /* truncated */
    ck_assert_ptr_null(fc_manifest_verify(dir, "forecast-model"));
    char *w = fc_xasprintf("%s/weights.bin", dir);
    remove(w);
    free(w);
    ck_assert_ptr_null(fc_manifest_verify(dir, "forecast-model"));
    ck_assert(strstr(fc_last_error, "missing") != NULL);
}
END_TEST

START_TEST(test_manifest_future_version)
{
    write_model();
    char *path = fc_xasprintf("%s/manifest.json", dir);
    cJSON *m = fc_read_json(path);
    cJSON_ReplaceItemInObject(m, "format_version", cJSON_CreateNumber(99));
    fc_write_json(path, m);
    cJSON_Delete(m);
    ck_assert_ptr_null(fc_manifest_verify(dir, "forecast-model"));
    ck_assert(strstr(fc_last_error, "newer than this forecast") != NULL);
    free(test_write(dir, "manifest.json", "{\"format_version\": 1, \"ki"));
    ck_assert_ptr_null(fc_manifest_verify(dir, "forecast-model"));
    ck_assert(strstr(fc_last_error, "not a valid JSON file") != NULL);
    free(path);
}
END_TEST

Suite *suite_store(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_atomic_and_mkdir);
    tcase_add_test(tc, test_atomic_stream);
    tcase_add_test(tc, test_manifest_roundtrip);
    tcase_add_test(tc, test_manifest_detects_damage);
    tcase_add_test(tc, test_manifest_future_version);
    suite_add_tcase(s, tc);
    return s;
}
