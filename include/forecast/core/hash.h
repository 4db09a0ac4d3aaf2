/*
 * hash.h — SHA-256 (OpenSSL's libcrypto) for data fingerprints and manifest
 * checksums.
 */
#ifndef FORECAST_HASH_H
#define FORECAST_HASH_H

#include <stddef.h>

struct fc_sha256; /* opaque */

struct fc_sha256 *fc_sha256_new(void);
void fc_sha256_update(struct fc_sha256 *h, const void *data, size_t len);
/* Writes 64 hex digits + NUL into hex and frees h. */
void fc_sha256_final(struct fc_sha256 *h, char hex[65]);
/* Whole file: 0, or -1 after fc_error. size may be NULL. */
int fc_sha256_file(const char *path, char hex[65], size_t *size);
void fc_sha256_buf(const void *data, size_t len, char hex[65]);

#endif
