#include "fsbl_crypt.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/bytes.h"
#include "common/hex.h"

#define OUT_CHUNK 65536


struct fsbl_stream {
	enum fsbl_mode mode;
	EVP_CIPHER_CTX *cipher;
	EVP_MD_CTX *md;
	uint8_t iv[FSBL_HASH16_LEN];
	chunk_fn sink;
	void *sink_arg;
	uint64_t len;
	uint8_t out[OUT_CHUNK + FSBL_BLOCK];
};

static int init_cipher(struct fsbl_stream *s, const struct oem_key *key, struct err *e)
{
	s->cipher = EVP_CIPHER_CTX_new();
	if (!s->cipher || EVP_CipherInit_ex(s->cipher, EVP_aes_128_cbc(), NULL, key->k, s->iv,
					    s->mode == FSBL_ENCRYPT) != 1 ||
	    EVP_CIPHER_CTX_set_padding(s->cipher, 0) != 1)
		return err_set(e, ERR_INTERNAL, "AES-128-CBC setup failed (OpenSSL)");
	return 0;
}

int fsbl_stream_new(struct fsbl_stream **out, enum fsbl_mode mode, const struct oem_key *key,
		    const uint8_t iv[FSBL_HASH16_LEN], chunk_fn sink, void *sink_arg, struct err *e)
{
	*out = NULL;
	if (mode != FSBL_HASH && (!key || !iv || !sink))
		return err_set(e, ERR_INTERNAL, "FSBL cipher stream without key, IV or output");
	struct fsbl_stream *s = calloc(1, sizeof *s);
	if (!s)
		return err_set(e, ERR_INTERNAL, "out of memory");
	s->mode = mode;
	s->sink = sink;
	s->sink_arg = sink_arg;
	if (iv)
		memcpy(s->iv, iv, sizeof s->iv);
	s->md = EVP_MD_CTX_new();
	int rc = !s->md || EVP_DigestInit_ex(s->md, EVP_sha256(), NULL) != 1
			 ? err_set(e, ERR_INTERNAL, "SHA-256 setup failed (OpenSSL)") : 0;
	if (!rc && mode != FSBL_HASH)
		rc = init_cipher(s, key, e);
	if (rc) {
		fsbl_stream_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* One piece of at most OUT_CHUNK bytes: hash the plaintext side, run the cipher. */
static int step(struct fsbl_stream *s, const uint8_t *p, size_t n, struct err *e)
{
	if (s->mode != FSBL_DECRYPT && EVP_DigestUpdate(s->md, p, n) != 1)
		return err_set(e, ERR_INTERNAL, "SHA-256 failed (OpenSSL)");
	s->len += n;
	if (s->mode == FSBL_HASH)
		return 0;
	int outl = 0;
	if (EVP_CipherUpdate(s->cipher, s->out, &outl, p, (int)n) != 1)
		return err_set(e, ERR_INTERNAL, "AES-128-CBC failed (OpenSSL)");
	if (s->mode == FSBL_DECRYPT && EVP_DigestUpdate(s->md, s->out, (size_t)outl) != 1)
		return err_set(e, ERR_INTERNAL, "SHA-256 failed (OpenSSL)");
	return outl ? s->sink(s->out, (size_t)outl, s->sink_arg, e) : 0;
}

int fsbl_stream_update(struct fsbl_stream *s, const uint8_t *p, size_t n, struct err *e)
{
	while (n) {
		size_t k = n < OUT_CHUNK ? n : OUT_CHUNK;
		int rc = step(s, p, k, e);
		if (rc)
			return rc;
		p += k;
		n -= k;
	}
	return 0;
}

int fsbl_stream_chunk(const uint8_t *p, size_t n, void *stream, struct err *e)
{
	return fsbl_stream_update(stream, p, n, e);
}

int fsbl_stream_zeros(struct fsbl_stream *s, uint64_t n, struct err *e)
{
	static const uint8_t zeros[4096];
	while (n) {
		size_t k = n < sizeof zeros ? (size_t)n : sizeof zeros;
		int rc = fsbl_stream_update(s, zeros, k, e);
		if (rc)
			return rc;
		n -= k;
	}
	return 0;
}

uint64_t fsbl_stream_len(const struct fsbl_stream *s)
{
	return s->len;
}

static int check_iv(const struct fsbl_stream *s, const uint8_t got[FSBL_HASH16_LEN], struct err *e)
{
	if (!CRYPTO_memcmp(got, s->iv, FSBL_HASH16_LEN))
		return 0;
	char g[2 * FSBL_HASH16_LEN + 1], w[2 * FSBL_HASH16_LEN + 1];
	hex_encode(got, FSBL_HASH16_LEN, g);
	hex_encode(s->iv, FSBL_HASH16_LEN, w);
	if (s->mode == FSBL_DECRYPT)
		return err_set(e, ERR_VERIFY, "decryption: SHA-256 of the decrypted payload starts %s, the "
			       "decryption extension's hash16 is %s (wrong OEM secret or derivation constant?)", g, w);
	return err_set(e, ERR_IO, "encryption: the payload hashed to %s on the first pass and %s while "
		       "encrypting: it changed during the run", w, g);
}

int fsbl_stream_final(struct fsbl_stream *s, uint8_t hash16[FSBL_HASH16_LEN], struct err *e)
{
	if (s->mode != FSBL_HASH && s->len % FSBL_BLOCK)
		return err_set(e, ERR_INPUT, "encrypted payload of %llu bytes is not a multiple of %d",
			       (unsigned long long)s->len, FSBL_BLOCK);
	int outl = 0;
	if (s->mode != FSBL_HASH && (EVP_CipherFinal_ex(s->cipher, s->out, &outl) != 1 || outl))
		return err_set(e, ERR_INTERNAL, "AES-128-CBC final block failed (OpenSSL)");
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	if (EVP_DigestFinal_ex(s->md, md, &mdlen) != 1)
		return err_set(e, ERR_INTERNAL, "SHA-256 failed (OpenSSL)");
	int rc = s->mode == FSBL_HASH ? 0 : check_iv(s, md, e);
	if (hash16)
		memcpy(hash16, md, FSBL_HASH16_LEN);
	OPENSSL_cleanse(md, sizeof md);
	return rc;
}

void fsbl_stream_free(struct fsbl_stream *s)
{
	if (!s)
		return;
	EVP_CIPHER_CTX_free(s->cipher); /* cleanses the key schedule */
	EVP_MD_CTX_free(s->md);
	OPENSSL_cleanse(s, sizeof *s);
	free(s);
}

uint64_t fsbl_padded_len(uint64_t n)
{
	return (n + FSBL_ALIGN - 1) / FSBL_ALIGN * FSBL_ALIGN;
}

