#include "verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/bytes.h"
#include "common/hex.h"

const char *rom_check_name(enum rom_check c)
{
	static const char *names[CHECK_COUNT] = {
		[CHECK_SIGNED] = "authentication",
		[CHECK_TABLE_HASH] = "table hash",
		[CHECK_KEY_ENTRY] = "key entry",
		[CHECK_SIGNATURE] = "signature",
		[CHECK_DECRYPT] = "decryption",
		[CHECK_CHECKSUM] = "checksum",
	};
	return c < CHECK_COUNT ? names[c] : "?";
}

static void record(struct rom_verdict *v, enum rom_check c, int passed, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void record(struct rom_verdict *v, enum rom_check c, int passed, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->msg[c], sizeof v->msg[c], fmt, ap);
	va_end(ap);
	v->checked[c] = 1;
	v->passed[c] = passed;
	if (!passed && v->ok) {
		v->ok = 0;
		v->first_failed = c;
	}
}

static void check_table(const struct stm32_image *img, const uint8_t *otp,
			struct rom_verdict *v)
{
	uint8_t th[32];
	char got[65], want[65];
	stm32_table_hash(img, th);
	hex_encode(th, 32, got);
	if (!otp) {
		v->checked[CHECK_TABLE_HASH] = 0;
		snprintf(v->msg[CHECK_TABLE_HASH], sizeof v->msg[0],
			 "not checked (no OTP value given); table hash %s", got);
		return;
	}
	hex_encode(otp, 32, want);
	int ok = !memcmp(th, otp, 32);
	record(v, CHECK_TABLE_HASH, ok, ok ? "table hash %s matches the OTP value"
					   : "table hash %s, expected OTP value %s",
	       got, want);
}

static void check_entry(const struct stm32_image *img, struct rom_verdict *v)
{
	if (img->layout->otp == OTP_KEY_HASH) {
		record(v, CHECK_KEY_ENTRY, 1, "header %s: the OTP value is the key hash itself",
		       img->layout->name);
		return;
	}
	uint8_t h[32];
	stm32_key_entry(&img->key, h);
	int ok = !memcmp(h, img->table[img->pk_idx], 32);
	record(v, CHECK_KEY_ENTRY, ok,
	       ok ? "SHA-256(algo||X||Y) of the embedded key equals table entry %u"
		  : "SHA-256(algo||X||Y) of the embedded key differs from table entry %u",
	       img->pk_idx);
}

static void check_signature(const struct stm32_image *img, const struct image_sums *sums,
			    struct rom_verdict *v)
{
	struct seg segs[STM32_MAX_SEGS];
	char text[128];
	segs_text(segs, stm32_signed_segments(img, segs), text, sizeof text);
	const char *md = stm32_digest_len(img) == 48 ? "SHA-384" : "SHA-256";
	if (bytes_all_zero(img->signature, img->layout->sig_field)) {
		record(v, CHECK_SIGNATURE, 0, "signature field is all zero: unsigned (a prepared file was flashed?)");
		return;
	}
	int rc = ecdsa_verify_digest(&img->key, sums->digest, img->signature, NULL);
	record(v, CHECK_SIGNATURE, rc == 0, "ECDSA %s over %s of %s %s", ecc_algo_name(img->key.algo),
	       md, text, rc == 0 ? "verifies" : "does not verify");
}

static void check_decrypt(const struct stm32_image *img, const struct image_sums *sums,
			  struct rom_verdict *v)
{
	char got[33], want[33];
	if (!img->has_decrypt) {
		snprintf(v->msg[CHECK_DECRYPT], sizeof v->msg[0], "payload not encrypted");
		return;
	}
	hex_encode(img->hash16, sizeof img->hash16, want);
	if (!sums->decrypted) {
		v->not_decrypted = 1;
		snprintf(v->msg[CHECK_DECRYPT], sizeof v->msg[0],
			 "payload encrypted (derivation constant 0x%08x, hash16 %s): not decrypted, no OEM secret given",
			 img->dec_dc, want);
		return;
	}
	hex_encode(sums->plain_hash16, sizeof sums->plain_hash16, got);
	int ok = !memcmp(sums->plain_hash16, img->hash16, sizeof img->hash16);
	if (ok)
		record(v, CHECK_DECRYPT, 1, "SHA-256 of the decrypted payload starts with the extension's hash16 %s", want);
	else
		record(v, CHECK_DECRYPT, 0, "SHA-256 of the decrypted payload starts %s, the extension's hash16 is %s: "
		       "wrong OEM secret or derivation constant", got, want);
}

void stm32_rom_verify(const struct stm32_image *img, const struct image_sums *sums,
		      const uint8_t *otp, struct rom_verdict *v)
{
	memset(v, 0, sizeof *v);
	v->ok = 1;
	record(v, CHECK_SIGNED, img->has_auth,
	       img->has_auth ? "authentication requested" : "image is not signed (no authentication)");
	if (img->has_auth) {
		check_table(img, otp, v);
		check_entry(img, v);
		check_signature(img, sums, v);
	}
	check_decrypt(img, sums, v);
	if (sums->checksum == img->checksum)
		record(v, CHECK_CHECKSUM, 1, "checksum 0x%08x matches", img->checksum);
	else
		record(v, CHECK_CHECKSUM, 0, "checksum at 0x%02x is 0x%08x, payload sums to 0x%08x",
		       img->layout->off_checksum, img->checksum, sums->checksum);
}
