/* stm32-prep keys: the key table, the OTP value and how to fuse it. */
#include <stdio.h>
#include <string.h>

#include "common/bytes.h"
#include "common/hex.h"
#include "common/jsonrun.h"
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
	struct err e = { 0 };
	if (!l || !o->keyset.n)
		return prep_fail(&(struct err){ ERR_USAGE, "keys needs --header (or --soc) and at least one --pubkey" });
	if (o->keyset.n > l->max_keys) {
		err_set(&e, ERR_USAGE, "header %s takes %s%u key(s), got %u", l->name,
			l->max_keys == 1 ? "exactly " : "up to ", l->max_keys, o->keyset.n);
		return prep_fail(&e);
	}
	return 0;
}

static void print_text(const struct prep_opts *o, const struct stm32_image *img, const uint8_t otp[32])
{
	const struct stm32_layout *l = o->spec.layout;
	char hex[65];
	printf("Header %s (%s), %u key(s), %s\n", l->name, l->socs, o->keyset.n,
	       ecc_algo_name(o->keyset.keys[0].algo));
	for (uint32_t i = 0; l->otp == OTP_TABLE_HASH && i < o->keyset.n; i++) {
		hex_encode(img->table[i], 32, hex);
		printf("Table entry %u: %s  SHA-256(LE32(algo)||X||Y) of %s\n", i, hex, o->keyset.paths[i]);
	}
	hex_encode(otp, 32, hex);
	printf("Table hash (OTP value, ST KeyGen's publicKeysHashHashes.bin): %s\n", hex);
	print_fuse_lines(l, o->soc, otp);
	if (l->otp == OTP_TABLE_HASH)
		fprintf(stderr, "Note: ST KeyGen's publicKeyHashNN.bin files hold SHA-256(X||Y) without the "
				"algorithm prefix: they are NOT table entries. Fuse only the table hash above.\n");
}

/* --json: header, algorithm, keys, table_hash, otp_words (8 numbers) and, per SoC,
 * the first OTP word to fuse. */
static void add_json(const struct prep_opts *o, const uint8_t otp[32])
{
	const struct stm32_layout *l = o->spec.layout;
	const struct stm32_soc *soc;
	json_object *d = jsonrun_doc(), *words = json_object_new_array(), *socs = json_object_new_array();
	char hex[65];
	hex_encode(otp, 32, hex);
	json_object_object_add(d, "header", json_object_new_string(l->name));
	json_object_object_add(d, "algorithm", json_object_new_string(ecc_algo_name(o->keyset.keys[0].algo)));
	json_object_object_add(d, "keys", json_object_new_int((int)o->keyset.n));
	json_object_object_add(d, "table_hash", json_object_new_string(hex));
	for (int i = 0; i < 8; i++)
		json_object_array_add(words, json_object_new_int64(be32_get(otp, 4 * (size_t)i)));
	json_object_object_add(d, "otp_words", words);
	for (unsigned k = 0; (soc = layout_soc(l, k)); k++) {
		if (o->soc && o->soc != soc)
			continue;
		json_object *s = json_object_new_object();
		json_object_object_add(s, "soc", json_object_new_string(soc->name));
		json_object_object_add(s, "otp_word", json_object_new_int64(soc->otp_word));
		json_object_array_add(socs, s);
	}
	json_object_object_add(d, "socs", socs);
}

int cmd_keys(struct prep_opts *o)
{
	struct err e = { 0 };
	struct stm32_image img;
	int rc = check_request(o);
	if (rc)
		return rc;
	if (prep_keyset_load(&o->keyset, &e))
		return prep_fail(&e);
	stm32_init(&img, o->spec.layout);
	if (stm32_set_keys(&img, o->keyset.keys, o->keyset.n, 0, &e))
		return prep_fail(&e);
	uint8_t otp[32];
	stm32_table_hash(&img, otp);
	if (o->json)
		add_json(o, otp);
	else
		print_text(o, &img, otp);
	char made[4096] = "";
	if (o->output && (dir_ensure_parent(o->output, made, sizeof made, &e) ||
			  file_write_atomic(o->output, otp, 32, &e))) {
		dir_remove_made(o->output, made);
		return prep_fail(&e);
	}
	return 0;
}
