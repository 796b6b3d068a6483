#include "dump.h"

#include <string.h>

#include "common/bytes.h"
#include "common/hex.h"

static int bytes_all_zero_sig(const struct stm32_image *img)
{
	return bytes_all_zero(img->signature, ECC_RAW_SIG);
}

static void dump_key_table(FILE *out, const struct stm32_image *img)
{
	char hex[129];
	hex_encode(img->key.xy, ECC_XY, hex);
	fprintf(out, "  ECDSA algorithm:   %u (%s)\n", img->key.algo,
		ecc_algo_name(img->key.algo) ? ecc_algo_name(img->key.algo) : "unknown");
	fprintf(out, "  Public key X||Y:   %s\n", hex);
	if (img->layout->id == HDR_V10)
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
	fprintf(out, "  OTP words %u-%u:   ", img->layout->otp_word, img->layout->otp_word + 7);
	for (int i = 0; i < 8; i++)
		fprintf(out, " 0x%08x", be32_get(th, 4 * (size_t)i));
	fprintf(out, "\n");
}

static void dump_extensions(FILE *out, const struct stm32_image *img)
{
	fprintf(out, "  Extension length:  0x%x\n", img->ext_len);
	if (img->has_auth)
		fprintf(out, "  Extension 0x080:   authentication, length 0x%x\n",
			AUTH_OFF_TABLE + 32 * img->nb_pk);
	if (img->has_decrypt)
		fprintf(out, "  Extension:         FSBL decryption (encrypted payload)\n");
	if (img->has_padding)
		fprintf(out, "  Extension 0x%03x:   padding, length 0x%x%s\n", img->pad_off,
			img->pad_len, img->pad_nonzero ? " (non-zero bytes, hashed as they are)" : "");
}

void stm32_dump(FILE *out, const char *name, const struct stm32_image *img,
		const struct image_sums *sums)
{
	char hex[129];
	uint64_t start, end;
	stm32_hashed_range(img, &start, &end);
	fprintf(out, "%s\n", name);
	fprintf(out, "  Header version:    %s (%s)\n", img->layout->name, img->layout->socs);
	fprintf(out, "  Header size:       0x%x\n", img->header_size);
	hex_encode(img->signature, ECC_RAW_SIG, hex);
	fprintf(out, "  Signature r||s:    %s\n", bytes_all_zero_sig(img) ? "(zero: unsigned)" : hex);
	fprintf(out, "  Checksum:          0x%08x", img->checksum);
	if (sums)
		fprintf(out, " (%s)", sums->checksum == img->checksum ? "ok" : "MISMATCH");
	fprintf(out, "\n  Image length:      0x%x (%u)\n", img->image_length, img->image_length);
	fprintf(out, "  Entry point:       0x%08x\n", img->entry);
	fprintf(out, "  Load address:      0x%08x\n", img->load);
	fprintf(out, "  Image version:     %u\n", img->image_version);
	fprintf(out, "  %-18s 0x%08x\n", img->layout->id == HDR_V10 ? "Option flags:" : "Extension flags:",
		img->flags);
	fprintf(out, "  Binary type:       0x%02x (%s)\n", img->binary_type,
		stm32_binary_type_name(img->binary_type));
	if (img->layout->id != HDR_V10)
		dump_extensions(out, img);
	if (img->has_auth) {
		dump_key_table(out, img);
		dump_otp(out, img);
	}
	fprintf(out, "  Hashed range:      [0x%llx, 0x%llx)\n", (unsigned long long)start,
		(unsigned long long)end);
	if (sums) {
		hex_encode(sums->digest, 32, hex);
		fprintf(out, "  Digest (SHA-256):  %s\n", hex);
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
		fprintf(out, "  ROM verdict:       accepted\n");
	else if (v->first_failed == CHECK_SIGNED)
		fprintf(out, "  ROM verdict:       unsigned: a closed chip rejects it, an open chip boots it\n");
	else
		fprintf(out, "  ROM verdict:       REJECTED at %s\n", rom_check_name(v->first_failed));
}
