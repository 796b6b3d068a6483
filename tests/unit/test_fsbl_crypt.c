/* FSBL encryption core: the KDF, the streaming cipher and the decryption
 * extension, against the four encrypted images ST's own signing tool made
 * (tests/vectors/st-signed, secret oem_secret.bin). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "common/bytes.h"
#include "common/hex.h"
#include "common/oem_secret.h"
#include "image/digest.h"
#include "image/fsbl_crypt.h"
#include "image/verify.h"
#include "tests/helpers/testutil.h"

#define VEC "vectors/st-signed/"

/* What ST's tool wrote, at offsets read off the images (not through image/). */
struct st_enc {
	const char *name;
	uint32_t dc;
	const char *key_hex;   /* K, computed independently with `openssl mac ... CMAC` */
	size_t header;         /* header size incl. extensions = where the ciphertext starts */
	size_t len_off;        /* image_length */
	size_t ext_off;        /* decryption extension */
	const char *payload;
	size_t head;           /* v2.3: zeros before the payload, up to file offset 0x400 */
};

static const struct st_enc st_enc[] = {
	{ "v20_enc", 0x0E5F2025, "79ae873486f1e278dd4a6e7831ac8a08", 0x200, 0x4C, 0x1D4, "pay_4660.bin", 0 },
	{ "v22_enc", 0x25205f0e, "c40835982cb43bdcff8e20fb0f17231a", 0x200, 0x4C, 0x1D4, "pay_4660.bin", 0 },
	{ "v22_enc_big", 0x12345678, "ab1a48087d3048a5c63e1ba23fb3b86b", 0x200, 0x4C, 0x1D4, "pay_200003.bin", 0 },
	{ "v23_enc", 0x25205f0e, "c40835982cb43bdcff8e20fb0f17231a", 0x240, 0x6C, 0x214, "pay_4660.bin", 0x1C0 },
};
#define N_ENC (sizeof st_enc / sizeof st_enc[0])

struct membuf {
	uint8_t *p;
	size_t n, cap;
};

static int mem_sink(const uint8_t *p, size_t n, void *arg, struct err *e)
{
	(void)e;
	struct membuf *m = arg;
	if (m->n + n > m->cap) {
		m->cap = (m->n + n) * 2;
		m->p = realloc(m->p, m->cap);
		cr_assert_not_null(m->p);
	}
	memcpy(m->p + m->n, p, n);
	m->n += n;
	return 0;
}

static uint8_t *vec(const char *rel, size_t *len)
{
	char path[256];
	snprintf(path, sizeof path, VEC "%s", rel);
	uint8_t *b = read_file(fixture(path), len);
	cr_assert_not_null(b, "cannot read %s", path);
	return b;
}

/* head zeros, payload, zeros to a multiple of 32: the plaintext ST encrypts */
static uint8_t *padded_plain(const struct st_enc *t, size_t *len)
{
	size_t n;
	uint8_t *pay = vec(t->payload, &n);
	*len = (size_t)fsbl_padded_len(t->head + n);
	uint8_t *p = calloc(1, *len);
	memcpy(p + t->head, pay, n);
	free(pay);
	return p;
}

static void secret_hex(char *lower, char *upper)
{
	size_t n;
	uint8_t *s = vec("oem_secret.bin", &n);
	cr_assert_eq(n, OEM_SECRET_LEN);
	hex_encode(s, n, lower);
	for (size_t i = 0; i <= 2 * n; i++)
		upper[i] = lower[i] >= 'a' && lower[i] <= 'f' ? (char)(lower[i] - 32) : lower[i];
	free(s);
}

/* No message may carry the secret (either case) or a derived key. */
static void expect_no_secret(const char *msg)
{
	char lo[33], up[33];
	secret_hex(lo, up);
	cr_expect_null(strstr(msg, lo), "secret in: %s", msg);
	cr_expect_null(strstr(msg, up), "secret in: %s", msg);
	for (size_t i = 0; i < N_ENC; i++)
		cr_expect_null(strstr(msg, st_enc[i].key_hex), "derived key in: %s", msg);
}

static void derive(uint32_t dc, struct oem_key *k)
{
	char warn[OEM_WARN_MAX];
	struct err e = { 0 };
	cr_assert_eq(oem_derive_key(fixture(VEC "oem_secret.bin"), dc, k, warn, &e), 0, "%s", e.msg);
	cr_expect_str_eq(warn, "");
}

Test(fsbl_kdf, block_is_the_sp800_108_block_st_hashes)
{
	uint8_t b[OEM_KDF_BLOCK_LEN];
	char hex[2 * OEM_KDF_BLOCK_LEN + 1];
	oem_kdf_block(0x25205f0e, b);
	hex_encode(b, sizeof b, hex);
	/* 00000001 || "BL2 encryption key." || 00 || LE32(dc) || 00000080 */
	cr_expect_str_eq(hex, "00000001424c3220656e6372797074696f6e206b65792e000e5f202500000080");
}

Test(fsbl_kdf, derives_the_key_of_each_st_encrypted_image)
{
	for (size_t i = 0; i < N_ENC; i++) {
		struct oem_key k;
		char hex[33];
		derive(st_enc[i].dc, &k);
		hex_encode(k.k, sizeof k.k, hex);
		cr_expect_str_eq(hex, st_enc[i].key_hex, "%s (dc 0x%08X)", st_enc[i].name, st_enc[i].dc);
		oem_key_clear(&k);
		cr_expect(bytes_all_zero(k.k, sizeof k.k), "oem_key_clear zeroes the key");
	}
}

/* Decrypt the ciphertext of an ST image; returns the stream's final code. */
static int decrypt_st(const struct st_enc *t, const struct oem_key *k, struct membuf *out, struct err *e)
{
	size_t flen;
	char rel[64];
	snprintf(rel, sizeof rel, "out/%s.stm32", t->name);
	uint8_t *img = vec(rel, &flen);
	uint32_t len = le32_get(img, t->len_off);
	uint8_t hash16[FSBL_HASH16_LEN], got[FSBL_HASH16_LEN];
	struct stm32_image hdr;
	cr_assert_eq(stm32_parse(img, flen < STM32_MAX_HEADER ? flen : STM32_MAX_HEADER, flen, &hdr, e), 0, "%s", e->msg);
	cr_assert(hdr.has_decrypt, "%s: decryption extension", t->name);
	cr_assert_eq(hdr.dec_dc, t->dc, "%s: dc", t->name);
	memcpy(hash16, hdr.hash16, sizeof hash16);
	cr_assert_leq(t->header + len, flen);
	struct fsbl_stream *s;
	cr_assert_eq(fsbl_stream_new(&s, FSBL_DECRYPT, k, hash16, mem_sink, out, e), 0, "%s", e->msg);
	int rc = fsbl_stream_update(s, img + t->header, len, e);
	if (!rc)
		rc = fsbl_stream_final(s, got, e);
	if (!rc)
		cr_expect_eq(memcmp(got, hash16, sizeof got), 0, "%s: hash16", t->name);
	fsbl_stream_free(s);
	free(img);
	return rc;
}

Test(fsbl_crypt, decrypts_each_st_image_to_the_zero_padded_payload_with_its_hash16)
{
	for (size_t i = 0; i < N_ENC; i++) {
		const struct st_enc *t = &st_enc[i];
		struct oem_key k;
		struct membuf out = { 0 };
		struct err e = { 0 };
		derive(t->dc, &k);
		cr_expect_eq(decrypt_st(t, &k, &out, &e), 0, "%s: %s", t->name, e.msg);
		size_t plen;
		uint8_t *plain = padded_plain(t, &plen);
		cr_expect_eq(out.n, plen, "%s: %zu bytes decrypted, %zu expected", t->name, out.n, plen);
		cr_expect(out.n == plen && !memcmp(out.p, plain, plen), "%s: plaintext differs", t->name);
		oem_key_clear(&k);
		free(plain);
		free(out.p);
	}
}

/* Our two passes (hash, then encrypt) reproduce ST's ciphertext and hash16. */
static void encrypt_like_st(const struct st_enc *t, size_t chunk)
{
	size_t plen, flen;
	uint8_t *plain = padded_plain(t, &plen);
	char rel[64];
	snprintf(rel, sizeof rel, "out/%s.stm32", t->name);
	uint8_t *img = vec(rel, &flen);
	struct oem_key k;
	derive(t->dc, &k);
	struct err e = { 0 };
	struct fsbl_stream *h, *c;
	uint8_t hash16[FSBL_HASH16_LEN];
	struct membuf out = { 0 };
	cr_assert_eq(fsbl_stream_new(&h, FSBL_HASH, NULL, NULL, NULL, NULL, &e), 0, "%s", e.msg);
	cr_assert_eq(fsbl_stream_zeros(h, t->head, &e), 0);
	cr_assert_eq(fsbl_stream_update(h, plain + t->head, plen - t->head, &e), 0);
	cr_assert_eq(fsbl_stream_final(h, hash16, &e), 0, "%s", e.msg);
	fsbl_stream_free(h);
	cr_assert_eq(fsbl_stream_new(&c, FSBL_ENCRYPT, &k, hash16, mem_sink, &out, &e), 0, "%s", e.msg);
	for (size_t off = 0; off < plen; off += chunk)
		cr_assert_eq(fsbl_stream_update(c, plain + off, off + chunk < plen ? chunk : plen - off, &e), 0);
	cr_assert_eq(fsbl_stream_final(c, NULL, &e), 0, "%s", e.msg);
	cr_expect_eq(fsbl_stream_len(c), plen);
	fsbl_stream_free(c);
	cr_expect_eq(memcmp(hash16, img + t->ext_off + DECRYPT_OFF_HASH16, sizeof hash16), 0, "%s: hash16", t->name);
	cr_expect(out.n == plen && !memcmp(out.p, img + t->header, plen), "%s (chunks of %zu): ciphertext",
		  t->name, chunk);
	oem_key_clear(&k);
	free(out.p);
	free(plain);
	free(img);
}

Test(fsbl_crypt, encrypting_the_padded_payload_gives_st_ciphertext_and_extension_byte_for_byte)
{
	static const size_t chunks[] = { 1, 15, 4096, 65537, 1 << 20 };
	for (size_t i = 0; i < N_ENC; i++)
		for (size_t j = i == 2 ? 1 : 0; j < sizeof chunks / sizeof chunks[0]; j++)
			encrypt_like_st(&st_enc[i], chunks[j]);
}

Test(fsbl_crypt, round_trip_of_a_random_payload_in_odd_chunks)
{
	const size_t n = 300000 + 13, padded = (size_t)fsbl_padded_len(n);
	uint8_t *p = calloc(1, padded);
	struct oem_key k;
	RAND_bytes(p, (int)n);
	RAND_bytes(k.k, sizeof k.k);
	uint8_t iv[FSBL_HASH16_LEN];
	struct err e = { 0 };
	struct fsbl_stream *s;
	struct membuf ct = { 0 }, pt = { 0 };
	cr_assert_eq(fsbl_stream_new(&s, FSBL_HASH, NULL, NULL, NULL, NULL, &e), 0);
	cr_assert_eq(fsbl_stream_update(s, p, n, &e), 0);
	cr_assert_eq(fsbl_stream_zeros(s, padded - n, &e), 0);
	cr_assert_eq(fsbl_stream_final(s, iv, &e), 0);
	fsbl_stream_free(s);
	cr_assert_eq(fsbl_stream_new(&s, FSBL_ENCRYPT, &k, iv, mem_sink, &ct, &e), 0);
	for (size_t off = 0; off < n; off += 7777)
		cr_assert_eq(fsbl_stream_chunk(p + off, off + 7777 < n ? 7777 : n - off, s, &e), 0);
	cr_assert_eq(fsbl_stream_zeros(s, padded - n, &e), 0);
	cr_assert_eq(fsbl_stream_final(s, NULL, &e), 0, "%s", e.msg);
	fsbl_stream_free(s);
	cr_assert_eq(ct.n, padded);
	cr_expect_neq(memcmp(ct.p, p, padded), 0);
	cr_assert_eq(fsbl_stream_new(&s, FSBL_DECRYPT, &k, iv, mem_sink, &pt, &e), 0);
	cr_assert_eq(fsbl_stream_update(s, ct.p, ct.n, &e), 0);
	cr_assert_eq(fsbl_stream_final(s, NULL, &e), 0, "%s", e.msg);
	fsbl_stream_free(s);
	cr_expect(pt.n == padded && !memcmp(pt.p, p, padded));
	free(p);
	free(ct.p);
	free(pt.p);
}

Test(fsbl_crypt, wrong_secret_fails_the_hash16_check_without_printing_the_secret)
{
	struct oem_key k;
	derive(0x0E5F2025, &k); /* v22_enc was made with 0x25205f0e: a wrong constant */
	struct membuf out = { 0 };
	struct err e = { 0 };
	cr_expect_eq(decrypt_st(&st_enc[1], &k, &out, &e), ERR_VERIFY);
	cr_expect(strstr(e.msg, "wrong OEM secret or derivation constant") != NULL, "%s", e.msg);
	cr_expect(strstr(e.msg, "7673afc45817a624fdd2a7ae28d55466") != NULL, "names hash16: %s", e.msg);
	expect_no_secret(e.msg);
	oem_key_clear(&k);
	free(out.p);
}

Test(fsbl_crypt, payload_that_changes_between_the_passes_is_refused)
{
	uint8_t p[64] = { 1 }, iv[FSBL_HASH16_LEN];
	struct oem_key k = { { 0 } };
	struct membuf out = { 0 };
	struct err e = { 0 };
	struct fsbl_stream *s;
	cr_assert_eq(fsbl_stream_new(&s, FSBL_HASH, NULL, NULL, NULL, NULL, &e), 0);
	cr_assert_eq(fsbl_stream_update(s, p, sizeof p, &e), 0);
	cr_assert_eq(fsbl_stream_final(s, iv, &e), 0);
	fsbl_stream_free(s);
	p[40] ^= 1;
	cr_assert_eq(fsbl_stream_new(&s, FSBL_ENCRYPT, &k, iv, mem_sink, &out, &e), 0);
	cr_assert_eq(fsbl_stream_update(s, p, sizeof p, &e), 0);
	cr_expect_eq(fsbl_stream_final(s, NULL, &e), ERR_IO);
	cr_expect(strstr(e.msg, "changed during the run") != NULL, "%s", e.msg);
	fsbl_stream_free(s);
	free(out.p);
}

Test(fsbl_crypt, length_that_is_not_whole_aes_blocks_is_refused)
{
	uint8_t p[40] = { 0 }, iv[FSBL_HASH16_LEN] = { 0 };
	struct oem_key k = { { 0 } };
	struct membuf out = { 0 };
	struct err e = { 0 };
	struct fsbl_stream *s;
	cr_assert_eq(fsbl_stream_new(&s, FSBL_DECRYPT, &k, iv, mem_sink, &out, &e), 0);
	cr_assert_eq(fsbl_stream_update(s, p, sizeof p, &e), 0);
	cr_expect_eq(fsbl_stream_final(s, NULL, &e), ERR_INPUT);
	cr_expect(strstr(e.msg, "40 bytes is not a multiple of 16") != NULL, "%s", e.msg);
	fsbl_stream_free(s);
	free(out.p);
}

/* ---- secret files ---- */

static int derive_from_bytes(const char *dir, const char *name, const uint8_t *b, size_t n,
			     struct oem_key *k, char *warn, struct err *e)
{
	const char *path = pjoin(dir, name);
	write_file(path, b, n);
	return oem_derive_key(path, 0x25205f0e, k, warn, e);
}

Test(oem_secret, files_of_other_sizes_than_16_or_32_are_refused_naming_file_and_size)
{
	const char *dir = tmpdir_new();
	size_t n;
	uint8_t *sec = vec("oem_secret.bin", &n), buf[64];
	memcpy(buf, sec, 16);
	memcpy(buf + 16, sec, 16);
	memcpy(buf + 32, sec, 16);
	free(sec);
	static const size_t sizes[] = { 0, 1, 15, 17, 31, 33, 48 };
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		char name[32], want[128];
		snprintf(name, sizeof name, "s%zu.bin", sizes[i]);
		struct oem_key k;
		char warn[OEM_WARN_MAX];
		struct err e = { 0 };
		cr_expect_eq(derive_from_bytes(dir, name, buf, sizes[i], &k, warn, &e), ERR_INPUT, "%zu bytes", sizes[i]);
		snprintf(want, sizeof want, "%s: OEM secret file is %zu bytes; expected 16 (or 32", pjoin(dir, name), sizes[i]);
		cr_expect(strstr(e.msg, want) != NULL, "want '%s' in: %s", want, e.msg);
		expect_no_secret(e.msg);
	}
	tmpdir_rm(dir);
}

Test(oem_secret, file_of_32_bytes_uses_the_first_16_with_a_warning)
{
	const char *dir = tmpdir_new();
	size_t n;
	uint8_t *sec = vec("oem_secret.bin", &n), buf[32];
	memcpy(buf, sec, 16);
	memset(buf + 16, 0x5A, 16);
	free(sec);
	struct oem_key k, want;
	char warn[OEM_WARN_MAX];
	struct err e = { 0 };
	cr_assert_eq(derive_from_bytes(dir, "s32.bin", buf, 32, &k, warn, &e), 0, "%s", e.msg);
	derive(0x25205f0e, &want);
	cr_expect_eq(memcmp(k.k, want.k, sizeof k.k), 0, "same key as the 16-byte file");
	cr_expect(strstr(warn, "s32.bin: OEM secret file is 32 bytes: using its first 16 bytes") != NULL, "%s", warn);
	expect_no_secret(warn);
	oem_key_clear(&k);
	oem_key_clear(&want);
	tmpdir_rm(dir);
}

Test(oem_secret, missing_file_is_an_io_error_and_empty_source_a_usage_error)
{
	struct oem_key k;
	char warn[OEM_WARN_MAX];
	struct err e = { 0 };
	cr_expect_eq(oem_derive_key("/nonexistent/oem.bin", 1, &k, warn, &e), ERR_IO);
	cr_expect(strstr(e.msg, "/nonexistent/oem.bin: cannot open the OEM secret file") != NULL, "%s", e.msg);
	cr_expect_eq(oem_derive_key("", 1, &k, warn, &e), ERR_USAGE);
	cr_expect_eq(oem_derive_key(fixture(VEC), 1, &k, warn, &e), ERR_INPUT, "a directory: %s", e.msg);
}

/* ---- the secret in a SoftHSM2 token ---- */

#define MODULE "/usr/lib/softhsm/libsofthsm2.so"

static const char *hsm_dir;

static void make_token(void)
{
	hsm_dir = tmpdir_new();
	struct run r = run_cmd(
		"cd %s && mkdir tokens && printf 'directories.tokendir = %s/tokens\\nobjectstore.backend = file\\nlog.level = ERROR\\n' > softhsm2.conf && "
		"export SOFTHSM2_CONF=$PWD/softhsm2.conf && "
		"softhsm2-util --init-token --free --label oem --pin 123456 --so-pin 654321 >/dev/null && "
		"softhsm2-util --import %s --aes --token oem --label oem-secret --id 01 --pin 123456 >/dev/null && "
		/* softhsm2-util --aes reads the file up to its first newline: an AES-256 key
		 * without one, and a 16-byte secret with one (imported as 3 bytes) */
		"printf 'abcdefghijklmnopqrstuvwxyz012345' > k256.bin && "
		"softhsm2-util --import k256.bin --aes --token oem --label oem-256 --id 02 --pin 123456 >/dev/null && "
		"printf 'ab\\ncdefghijklmno' > nl.bin && "
		"softhsm2-util --import nl.bin --aes --token oem --label oem-cut --id 03 --pin 123456 >/dev/null && "
		"echo 123456 > pin.txt",
		hsm_dir, hsm_dir, fixture(VEC "oem_secret.bin"));
	cr_assert_eq(r.code, 0, "SoftHSM2 token: %s%s", r.out, r.err);
	run_free(&r);
	setenv("SOFTHSM2_CONF", pjoin(hsm_dir, "softhsm2.conf"), 1);
}

static void drop_token(void)
{
	tmpdir_rm(hsm_dir);
}

static int derive_uri(const char *object, const char *pin_part, uint32_t dc, struct oem_key *k, struct err *e)
{
	char uri[1024], warn[OEM_WARN_MAX];
	snprintf(uri, sizeof uri, "pkcs11:token=oem;object=%s?module-path=" MODULE "&%s", object, pin_part);
	int rc = oem_derive_key(uri, dc, k, warn, e);
	cr_expect_str_eq(warn, "");
	return rc;
}

Test(oem_pkcs11, aes_key_in_the_token_derives_the_same_key_as_the_file, .init = make_token, .fini = drop_token)
{
	char pin[512];
	snprintf(pin, sizeof pin, "pin-source=file:%s", pjoin(hsm_dir, "pin.txt"));
	for (size_t i = 0; i < N_ENC; i++) {
		struct oem_key tok, file;
		struct err e = { 0 };
		cr_assert_eq(derive_uri("oem-secret", pin, st_enc[i].dc, &tok, &e), 0, "%s", e.msg);
		derive(st_enc[i].dc, &file);
		cr_expect_eq(memcmp(tok.k, file.k, sizeof tok.k), 0, "%s: token and file keys differ", st_enc[i].name);
		oem_key_clear(&tok);
		oem_key_clear(&file);
	}
}

Test(oem_pkcs11, token_refusals_name_the_uri_but_never_the_pin_or_secret, .init = make_token, .fini = drop_token)
{
	static const struct { const char *object, *pin, *msg; int code; } bad[] = {
		{ "oem-256", "pin-value=123456", "is 32 bytes, expected an AES-128 key (16)", ERR_KEYSTORE },
		{ "oem-cut", "pin-value=123456", "is 3 bytes, expected an AES-128 key (16)", ERR_KEYSTORE },
		{ "nosuch", "pin-value=123456", "no key object matches", ERR_KEYSTORE },
		{ "oem-secret", "pin-value=987654", "login failed", ERR_KEYSTORE },
		{ "oem-secret", "pin-source=file:/nonexistent/pin", "cannot read the PIN", ERR_KEYSTORE },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct oem_key k;
		struct err e = { 0 };
		cr_expect_eq(derive_uri(bad[i].object, bad[i].pin, 0x25205f0e, &k, &e), bad[i].code, "case %zu: %s", i, e.msg);
		cr_expect(strstr(e.msg, bad[i].msg) != NULL, "case %zu: want '%s' in: %s", i, bad[i].msg, e.msg);
		cr_expect(strstr(e.msg, "pkcs11:token=oem") != NULL, "case %zu names the URI: %s", i, e.msg);
		cr_expect_null(strstr(e.msg, "987654"), "PIN in: %s", e.msg);
		cr_expect_null(strstr(e.msg, "123456"), "PIN in: %s", e.msg);
		expect_no_secret(e.msg);
	}
	struct oem_key k;
	char warn[OEM_WARN_MAX];
	struct err e = { 0 };
	unsetenv("PKCS11_MODULE_PATH");
	cr_expect_eq(oem_derive_key("pkcs11:token=oem;object=oem-secret?pin-value=123456", 1, &k, warn, &e), ERR_USAGE);
	cr_expect(strstr(e.msg, "module-path") != NULL, "%s", e.msg);
	cr_expect_null(strstr(e.msg, "123456"), "PIN in: %s", e.msg);
	cr_expect_eq(oem_derive_key("pkcs11:%zz", 1, &k, warn, &e), ERR_USAGE);
	cr_expect(strstr(e.msg, "not a PKCS#11 URI") != NULL, "%s", e.msg);
}

/* ---- the ROM's decryption check in the verdict (image/verify.c) ---- */

enum key_kind { NO_KEY, RIGHT_KEY, WRONG_KEY };

static void verdict_of(const char *image, enum key_kind kind, uint32_t dc, struct rom_verdict *v)
{
	struct image_file f;
	struct image_sums sums;
	struct err e = { 0 };
	char rel[64];
	snprintf(rel, sizeof rel, VEC "out/%s.stm32", image);
	cr_assert_eq(image_file_open(fixture(rel), &f, &e), 0, "%s", e.msg);
	cr_assert_eq(stm32_file_sums(f.fd, &f.img, f.hdr, &sums, &e), 0, "%s", e.msg);
	if (kind != NO_KEY) {
		struct oem_key k;
		derive(dc, &k);
		k.k[0] ^= kind == WRONG_KEY;
		cr_assert_eq(stm32_file_decrypt(f.fd, &f.img, &k, &sums, &e), 0, "%s", e.msg);
		oem_key_clear(&k);
	}
	stm32_rom_verify(&f.img, &sums, NULL, v);
	image_file_close(&f);
}

Test(fsbl_verdict, decryption_check_passes_fails_or_is_skipped_by_the_key_given)
{
	static const struct {
		const char *image;
		enum key_kind kind;
		int ok, checked, passed;
		const char *msg;
	} rows[] = {
		{ "v22_enc", RIGHT_KEY, 1, 1, 1, "SHA-256 of the decrypted payload starts with the extension's hash16 7673afc4" },
		{ "v23_enc", RIGHT_KEY, 1, 1, 1, "starts with the extension's hash16" },
		{ "v22_enc", WRONG_KEY, 0, 1, 0, "the extension's hash16 is 7673afc45817a624fdd2a7ae28d55466: wrong OEM secret or derivation constant" },
		{ "v22_enc", NO_KEY, 1, 0, 0, "payload encrypted (derivation constant 0x25205f0e, hash16 7673afc45817a624fdd2a7ae28d55466): not decrypted, no OEM secret given" },
		{ "v22_p256", NO_KEY, 1, 0, 0, "payload not encrypted" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct rom_verdict v;
		verdict_of(rows[i].image, rows[i].kind, 0x25205f0e, &v);
		cr_expect_eq(v.ok, rows[i].ok, "row %zu: ok", i);
		cr_expect_eq(v.checked[CHECK_DECRYPT], rows[i].checked, "row %zu: checked", i);
		cr_expect_eq(v.passed[CHECK_DECRYPT], rows[i].passed, "row %zu: passed", i);
		cr_expect(strstr(v.msg[CHECK_DECRYPT], rows[i].msg) != NULL, "row %zu: %s", i, v.msg[CHECK_DECRYPT]);
		if (!rows[i].ok)
			cr_expect_eq(v.first_failed, CHECK_DECRYPT, "row %zu: first failed %s", i, rom_check_name(v.first_failed));
		cr_expect_eq(v.not_decrypted, rows[i].kind == NO_KEY && strstr(rows[i].image, "enc") != NULL, "row %zu", i);
		expect_no_secret(v.msg[CHECK_DECRYPT]);
	}
	cr_expect_str_eq(rom_check_name(CHECK_DECRYPT), "decryption");
	cr_expect_lt(CHECK_SIGNATURE, CHECK_DECRYPT, "the ROM decrypts after the signature verifies");
}

Test(fsbl_verdict, regression_sums_of_a_reused_struct_start_not_decrypted)
{
	/* stm32-assemble's sums lived on the stack: a stale 'decrypted' failed the
	 * decryption check of an encrypted image at random */
	struct image_file f;
	struct image_sums sums;
	struct err e = { 0 };
	struct rom_verdict v;
	memset(&sums, 0xA5, sizeof sums);
	cr_assert_eq(image_file_open(fixture(VEC "out/v22_enc.stm32"), &f, &e), 0, "%s", e.msg);
	cr_assert_eq(stm32_file_sums(f.fd, &f.img, f.hdr, &sums, &e), 0, "%s", e.msg);
	cr_expect_eq(sums.decrypted, 0);
	stm32_rom_verify(&f.img, &sums, NULL, &v);
	image_file_close(&f);
	cr_expect(v.ok, "%s", v.msg[CHECK_DECRYPT]);
	cr_expect(strstr(v.msg[CHECK_DECRYPT], "not decrypted, no OEM secret given") != NULL, "%s", v.msg[CHECK_DECRYPT]);
}
