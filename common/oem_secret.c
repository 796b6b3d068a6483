#include "oem_secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "bytes.h"
#include "fileio.h"
#include "p11.h"

/* KDF block fields (SP 800-108: counter || label || 00 || context || L). */
#define KDF_COUNTER_OFF 0 /* big-endian 1 */
#define KDF_LABEL_OFF 4
#define KDF_SEP_OFF 23
#define KDF_DC_OFF 24     /* the derivation constant, little-endian */
#define KDF_L_OFF 28      /* big-endian output length in bits: 128 */
static const char kdf_label[] = "BL2 encryption key.";

static void be32_put(uint8_t *p, size_t off, uint32_t v)
{
	p[off] = (uint8_t)(v >> 24);
	p[off + 1] = (uint8_t)(v >> 16);
	p[off + 2] = (uint8_t)(v >> 8);
	p[off + 3] = (uint8_t)v;
}

void oem_kdf_block(uint32_t dc, uint8_t out[OEM_KDF_BLOCK_LEN])
{
	_Static_assert(sizeof kdf_label - 1 == KDF_SEP_OFF - KDF_LABEL_OFF, "label fills 4..22");
	be32_put(out, KDF_COUNTER_OFF, 1);
	memcpy(out + KDF_LABEL_OFF, kdf_label, sizeof kdf_label - 1);
	out[KDF_SEP_OFF] = 0;
	le32_put(out, KDF_DC_OFF, dc);
	be32_put(out, KDF_L_OFF, OEM_KEY_LEN * 8);
}

int oem_kdf(const uint8_t secret[OEM_SECRET_LEN], uint32_t dc, struct oem_key *key, struct err *e)
{
	uint8_t block[OEM_KDF_BLOCK_LEN];
	oem_kdf_block(dc, block);
	char cipher[] = "AES-128-CBC";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	size_t len = 0;
	int ok = ctx && EVP_MAC_init(ctx, secret, OEM_SECRET_LEN, params) == 1 &&
		 EVP_MAC_update(ctx, block, sizeof block) == 1 &&
		 EVP_MAC_final(ctx, key->k, &len, sizeof key->k) == 1 && len == OEM_KEY_LEN;
	EVP_MAC_CTX_free(ctx); /* cleanses the CMAC state */
	EVP_MAC_free(mac);
	if (!ok) {
		oem_key_clear(key);
		return err_set(e, ERR_INTERNAL, "AES-CMAC key derivation failed (OpenSSL CMAC)");
	}
	return 0;
}

#define SIZE_MSG "%s: OEM secret file is %lld bytes; expected 16 (or 32, of which the first 16 are used)"

int oem_secret_read(const char *path, uint8_t secret[OEM_SECRET_LEN], char *warn, struct err *e)
{
	warn[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, ERR_IO, "%s: cannot open the OEM secret file: %s", path, strerror(errno));
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		rc = err_set(e, ERR_INPUT, "%s: the OEM secret is not a regular file", path);
	else if (st.st_size != OEM_SECRET_LEN && st.st_size != OEM_SECRET_LEN_ST_LONG)
		rc = err_set(e, ERR_INPUT, SIZE_MSG, path, (long long)st.st_size);
	uint8_t buf[OEM_SECRET_LEN_ST_LONG];
	if (!rc && fd_read_full(fd, buf, (size_t)st.st_size) != (long)st.st_size)
		rc = err_set(e, ERR_IO, "%s: short read of the OEM secret file", path);
	close(fd);
	if (!rc) {
		memcpy(secret, buf, OEM_SECRET_LEN);
		if (st.st_size == OEM_SECRET_LEN_ST_LONG)
			snprintf(warn, OEM_WARN_MAX,
				 "%s: OEM secret file is 32 bytes: using its first 16 bytes, as ST's signing tool does",
				 path);
	}
	OPENSSL_cleanse(buf, sizeof buf);
	return rc;
}

int oem_src_is_pkcs11(const char *src)
{
	return !strncmp(src, "pkcs11:", 7);
}

int oem_derive_key(const char *src, uint32_t dc, struct oem_key *key, char *warn, struct err *e)
{
	warn[0] = '\0';
	if (!src || !*src)
		return err_set(e, ERR_USAGE, "no OEM secret given (a file or a pkcs11: URI)");
	if (oem_src_is_pkcs11(src))
		return oem_derive_pkcs11(src, dc, key, e);
	uint8_t secret[OEM_SECRET_LEN];
	int rc = oem_secret_read(src, secret, warn, e);
	if (!rc) {
		rc = oem_kdf(secret, dc, key, e);
		if (rc)
			err_prefix(e, "%s", src);
	}
	OPENSSL_cleanse(secret, sizeof secret);
	return rc;
}

void oem_key_clear(struct oem_key *key)
{
	OPENSSL_cleanse(key->k, sizeof key->k);
}
