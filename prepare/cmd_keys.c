/* stm32-prep keys: the key table, the OTP value and how to fuse it. */
#include <stdio.h>
#include <string.h>

#include "common/bytes.h"
#include "common/hex.h"
#include "prepcmd.h"

static void print_words(const uint8_t otp[32])
{
	for (int i = 0; i < 8; i++)
		printf(" 0x%08x", be32_get(otp, 4 * (size_t)i)); /* OTP word i: big-endian bytes [4i, 4i+4) */
}

static void print_soc_words(const struct stm32_soc *soc, const uint8_t otp[32])
{
	printf("%s: %s (big-endian per word):", soc->name, soc->otp_name);
	print_words(otp);
	printf("\n  U-Boot, fuse the words directly (irreversible):\n    fuse prog -y 0 %u", soc->otp_word);
	print_words(otp);
	printf("\n");
}

static void print_fuse_lines(const struct stm32_layout *l, const struct stm32_soc *only,
			     const uint8_t otp[32])
{
	const struct stm32_soc *soc;
	for (unsigned k = 0; (soc = layout_soc(l, k)); k++)
		if (!only || only == soc)
			print_soc_words(soc, otp);
	printf("U-Boot, or with stm32key from the 32-byte file loaded at ${loadaddr}:\n"
	       "  load mmc 0 ${loadaddr} publicKeysHashHashes.bin\n"
	       "  stm32key read ${loadaddr}\n"
	       "  stm32key fuse ${loadaddr}\n");
}

static int check_request(const struct prep_opts *o)
{
	const struct stm32_layout *l = o->spec.layout;
	if (!l || !o->keyset.n) {
		fprintf(stderr, "stm32-prep: keys needs --header (or --soc) and at least one --pubkey\n");
		return ERR_USAGE;
	}
	if (o->keyset.n > l->max_keys) {
		fprintf(stderr, "stm32-prep: header %s takes %s%u key(s), got %u\n", l->name,
			l->max_keys == 1 ? "exactly " : "up to ", l->max_keys, o->keyset.n);
		return ERR_USAGE;
	}
	return 0;
}

int cmd_keys(struct prep_opts *o)
{
	struct err e = { 0 };
	const struct stm32_layout *l = o->spec.layout;
	struct stm32_image img;
	int rc = check_request(o);
	if (rc)
		return rc;
	if (prep_keyset_load(&o->keyset, &e))
		return prep_fail(&e);
	stm32_init(&img, l);
	if (stm32_set_keys(&img, o->keyset.keys, o->keyset.n, 0, &e))
		return prep_fail(&e);
	uint8_t otp[32];
	char hex[65];
	printf("Header %s (%s), %u key(s), %s\n", l->name, l->socs, o->keyset.n,
	       ecc_algo_name(o->keyset.keys[0].algo));
	for (uint32_t i = 0; l->otp == OTP_TABLE_HASH && i < o->keyset.n; i++) {
		hex_encode(img.table[i], 32, hex);
		printf("Table entry %u: %s  SHA-256(LE32(algo)||X||Y) of %s\n", i, hex, o->keyset.paths[i]);
	}
	stm32_table_hash(&img, otp);
	hex_encode(otp, 32, hex);
	printf("Table hash (OTP value, ST KeyGen's publicKeysHashHashes.bin): %s\n", hex);
	print_fuse_lines(l, o->soc, otp);
	if (l->otp == OTP_TABLE_HASH)
		fprintf(stderr, "Note: ST KeyGen's publicKeyHashNN.bin files hold SHA-256(X||Y) without the "
				"algorithm prefix: they are NOT table entries. Fuse only the table hash above.\n");
	if (o->output && file_write_atomic(o->output, otp, 32, &e))
		return prep_fail(&e);
	return 0;
}
