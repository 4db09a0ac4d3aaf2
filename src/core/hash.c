/*
 * hash.c — SHA-256 through OpenSSL's EVP interface.
 */
#include "forecast/core/hash.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/util.h"

struct fc_sha256 {
    EVP_MD_CTX *ctx;
};

struct fc_sha256 *fc_sha256_new(void)
{
    struct fc_sha256 *h = xmalloc(sizeof *h);
    h->ctx = EVP_MD_CTX_new();
    FC_ASSERT(h->ctx);
    FC_ASSERT(EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) == 1);
    return h;
}

void fc_sha256_update(struct fc_sha256 *h, const void *data, size_t len)
{
    FC_ASSERT(EVP_DigestUpdate(h->ctx, data, len) == 1);
}

void fc_sha256_final(struct fc_sha256 *h, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    FC_ASSERT(EVP_DigestFinal_ex(h->ctx, md, &n) == 1 && n == 32);
    for (unsigned i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    EVP_MD_CTX_free(h->ctx);
    free(h);
}

int fc_sha256_file(const char *path, char hex[65], size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fc_error("%s: cannot open: %s", path, strerror(errno));
    struct fc_sha256 *h = fc_sha256_new();
    char buf[1 << 16];
    size_t n, total = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        fc_sha256_update(h, buf, n);
        total += n;
    }
    int err = ferror(f);
    fclose(f);
    fc_sha256_final(h, hex);
    if (err)
        return fc_error("%s: read error", path);
    if (size)
        *size = total;
    return 0;
}

void fc_sha256_buf(const void *data, size_t len, char hex[65])
{
    struct fc_sha256 *h = fc_sha256_new();
    fc_sha256_update(h, data, len);
    fc_sha256_final(h, hex);
}
