#include "dump.h"

#include <string.h>

#include "common/bytes.h"
#include "common/hex.h"

static void dump_key_table(FILE *out, const struct stm32_image *img)
{
	char hex[2 * ECC_XY_MAX + 1];
	hex_encode(img->key.xy, ecc_xy_len(img->key.algo), hex);
	fprintf(out, "  ECDSA algorithm:   %u (%s)\n", img->key.algo,
		ecc_algo_name(img->key.algo) ? ecc_algo_name(img->key.algo) : "unknown");
	fprintf(out, "  Public key X||Y:   %s\n", hex);
	if (img->layout->otp == OTP_KEY_HASH)
		return;
	uint8_t mine[32];
	stm32_key_entry(&img->key, mine);
	fprintf(out, "  Key index (pk_idx): %u of %u\n", img->pk_idx, img->nb_pk);
	for (uint32_t i = 0; i < img->nb_pk; i++) {
		hex_encode(img->table[i], 32, hex);
		fprintf(out, "  Key table[%u]:      %s%s\n", i, hex,
			memcmp(mine, img->table[i], 32) ? "" : "  <- embedded key");
	}
}

static void dump_otp(FILE *out, const struct stm32_image *img)
{
	uint8_t th[32];
	char hex[65];
	stm32_table_hash(img, th);
	hex_encode(th, 32, hex);
	fprintf(out, "  Table hash (OTP):  %s\n", hex);
	const struct stm32_soc *soc;
	for (unsigned k = 0; (soc = layout_soc(img->layout, k)); k++) {
		if (k && soc->otp_word == layout_soc(img->layout, k - 1)->otp_word)
			continue;
		fprintf(out, "  OTP words %u-%u:   ", soc->otp_word, soc->otp_word + 7);
		for (int i = 0; i < 8; i++)
			fprintf(out, " 0x%08x", be32_get(th, 4 * (size_t)i));
		fprintf(out, "  (%s)\n", soc->name);
	}
}

static void dump_extensions(FILE *out, const struct stm32_image *img)
{
	uint32_t off = img->layout->base_size;
	char hex[33];
	fprintf(out, "  Extension length:  0x%x\n", img->ext_len);
	if (img->has_auth) {
		uint32_t len = stm32_auth_len(img->layout, img->nb_pk);
		fprintf(out, "  Extension 0x%03x:   authentication, length 0x%x\n", off, len);
		off += len;
	}
	if (img->has_decrypt) {
		hex_encode(img->hash16, 16, hex);
		fprintf(out, "  Extension 0x%03x:   FSBL decryption (payload encrypted), key size %u, "
			"derivation constant 0x%08x, hash16 %s\n", off, img->dec_key_size, img->dec_dc, hex);
	}
	if (img->has_padding)
		fprintf(out, "  Extension 0x%03x:   padding, length 0x%x%s\n", img->pad_off,
			img->pad_len, img->pad_nonzero ? " (non-zero bytes, signed as they are)" : "");
}

static void dump_nonauth(FILE *out, const struct stm32_image *img)
{
	const struct stm32_layout *l = img->layout;
	if (!l->off_nonauth_len)
		return;
	fprintf(out, "  Non-auth length:   0x%08x at 0x%02x, hash 0x%08x at 0x%02x (not signed)%s\n",
		img->nonauth_len, l->off_nonauth_len, img->nonauth_hash, l->off_nonauth_hash,
		img->nonauth_len || img->nonauth_hash ? "  NON-ZERO: ST writes 0" : "");
}

static void dump_fields(FILE *out, const struct stm32_image *img, const struct image_sums *sums)
{
	char hex[2 * ECC_RAW_SIG_MAX + 1];
	fprintf(out, "  Header version:    %s (%s)\n", img->layout->name, img->layout->socs);
	fprintf(out, "  Header size:       0x%x\n", img->header_size);
	hex_encode(img->signature, stm32_sig_len(img), hex);
	fprintf(out, "  Signature r||s:    %s\n",
		bytes_all_zero(img->signature, img->layout->sig_field) ? "(zero: unsigned)" : hex);
	fprintf(out, "  Checksum:          0x%08x", img->checksum);
	if (sums)
		fprintf(out, " (%s)", sums->checksum == img->checksum ? "ok" : "MISMATCH");
	fprintf(out, "\n  Image length:      0x%x (%u)\n", img->image_length, img->image_length);
	fprintf(out, "  Entry point:       0x%08x\n", img->entry);
	fprintf(out, "  Load address:      0x%08x\n", img->load);
	fprintf(out, "  Image version:     %u\n", img->image_version);
	fprintf(out, "  %-18s 0x%08x\n", img->layout->flags_name, img->flags);
	fprintf(out, "  Binary type:       0x%02x (%s)\n", img->binary_type,
		stm32_binary_type_name(img->binary_type));
	dump_nonauth(out, img);
}

void stm32_dump(FILE *out, const char *name, const struct stm32_image *img,
		const struct image_sums *sums)
{
	char hex[2 * ECC_DIGEST_MAX + 1], text[128];
	struct seg segs[STM32_MAX_SEGS];
	fprintf(out, "%s\n", name);
	dump_fields(out, img, sums);
	if (img->layout->off_ext_len)
		dump_extensions(out, img);
	if (img->has_auth) {
		dump_key_table(out, img);
		dump_otp(out, img);
	}
	fprintf(out, "  Signed segments:   %s\n",
		segs_text(segs, stm32_signed_segments(img, segs), text, sizeof text));
	if (sums) {
		hex_encode(sums->digest, sums->digest_len, hex);
		fprintf(out, "  Digest (%s):  %s\n", sums->digest_len == 48 ? "SHA-384" : "SHA-256", hex);
		fprintf(out, "  Trailing bytes:    %llu%s\n", (unsigned long long)sums->trailing,
			sums->trailing ? " past image_length (never hashed)" : "");
	}
}

void stm32_dump_verdict(FILE *out, const struct rom_verdict *v)
{
	for (int c = 0; c < CHECK_COUNT; c++) {
		const char *state = !v->checked[c] ? "skip" : v->passed[c] ? "ok" : "FAIL";
		fprintf(out, "  check %-15s %-4s %s\n", rom_check_name((enum rom_check)c), state,
			v->msg[c]);
	}
	if (v->ok)
		fprintf(out, "  ROM verdict:       accepted%s\n",
			v->not_decrypted ? " (the decryption was not checked: no OEM secret given)" : "");
	else if (v->first_failed == CHECK_SIGNED)
		fprintf(out, "  ROM verdict:       unsigned: a closed chip rejects it, an open chip boots it\n");
	else
		fprintf(out, "  ROM verdict:       REJECTED at %s\n", rom_check_name(v->first_failed));
}
