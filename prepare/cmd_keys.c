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

static void print_fuse_lines(const struct stm32_layout *l, const uint8_t otp[32])
{
	printf("OTP words %u-%u (big-endian per word):", l->otp_word, l->otp_word + 7);
	print_words(otp);
	printf("\nU-Boot, fuse the words directly (irreversible):\n  fuse prog -y 0 %u", l->otp_word);
	print_words(otp);
	printf("\nU-Boot, or with stm32key from the 32-byte file loaded at ${loadaddr}:\n"
	       "  load mmc 0 ${loadaddr} publicKeysHashHashes.bin\n"
	       "  stm32key read ${loadaddr}\n"
	       "  stm32key fuse ${loadaddr}\n");
}

static int check_keys(const struct prep_opts *o, struct pubkey keys[STM32_MAX_KEYS], struct err *e)
{
	const struct stm32_layout *l = o->spec.layout;
	if (!l || !o->spec.nkeys)
		return err_set(e, ERR_USAGE, "keys needs --header (or --soc) and at least one --pubkey");
	if (o->spec.nkeys > l->max_keys)
		return err_set(e, ERR_USAGE, "header %s takes %u key(s), got %u", l->name, l->max_keys, o->spec.nkeys);
	int rc = prep_load_keys(&o->spec, keys, e);
	for (uint32_t i = 1; !rc && i < o->spec.nkeys; i++)
		if (keys[i].algo != keys[0].algo)
			rc = err_set(e, ERR_USAGE, "%s is %s but %s is %s: one curve per table", o->spec.pubkeys[i],
				     ecc_algo_name(keys[i].algo), o->spec.pubkeys[0], ecc_algo_name(keys[0].algo));
	return rc;
}

static void print_text(const struct prep_opts *o, const struct pubkey *keys, const uint8_t otp[32])
{
	const struct stm32_layout *l = o->spec.layout;
	uint8_t entry[32];
	char hex[65];
	printf("Header %s (%s), %u key(s), %s\n", l->name, l->socs, o->spec.nkeys,
	       ecc_algo_name(keys[0].algo));
	for (uint32_t i = 0; l->id != HDR_V10 && i < o->spec.nkeys; i++) {
		stm32_key_entry(&keys[i], entry);
		hex_encode(entry, 32, hex);
		printf("Table entry %u: %s  SHA-256(LE32(algo)||X||Y) of %s\n", i, hex, o->spec.pubkeys[i]);
	}
	hex_encode(otp, 32, hex);
	printf("Table hash (OTP value, ST KeyGen's publicKeysHashHashes.bin): %s\n", hex);
	print_fuse_lines(l, otp);
	if (l->id != HDR_V10)
		fprintf(stderr, "Note: ST KeyGen's publicKeyHashNN.bin files hold SHA-256(X||Y) without the "
				"algorithm prefix: they are NOT table entries. Fuse only the table hash above.\n");
}

/* --json: header, algorithm, table_hash, otp_word (the first), otp_words. */
static void add_json(const struct prep_opts *o, const struct pubkey *keys, const uint8_t otp[32])
{
	const struct stm32_layout *l = o->spec.layout;
	json_object *d = jsonrun_doc(), *words = json_object_new_array();
	char hex[65];
	hex_encode(otp, 32, hex);
	json_object_object_add(d, "header", json_object_new_string(l->name));
	json_object_object_add(d, "algorithm", json_object_new_string(ecc_algo_name(keys[0].algo)));
	json_object_object_add(d, "keys", json_object_new_int((int)o->spec.nkeys));
	json_object_object_add(d, "table_hash", json_object_new_string(hex));
	json_object_object_add(d, "otp_word", json_object_new_int((int)l->otp_word));
	for (int i = 0; i < 8; i++)
		json_object_array_add(words, json_object_new_int64(be32_get(otp, 4 * (size_t)i)));
	json_object_object_add(d, "otp_words", words);
}

int cmd_keys(struct prep_opts *o)
{
	struct err e = { 0 };
	struct pubkey keys[STM32_MAX_KEYS];
	if (check_keys(o, keys, &e))
		return prep_fail(&e);
	uint8_t otp[32];
	stm32_keys_otp(o->spec.layout, keys, o->spec.nkeys, otp);
	if (o->json)
		add_json(o, keys, otp);
	else
		print_text(o, keys, otp);
	char made[4096] = "";
	if (o->output && (dir_ensure_parent(o->output, made, sizeof made, &e) ||
			  file_write_atomic(o->output, otp, 32, &e))) {
		dir_remove_made(o->output, made);
		return prep_fail(&e);
	}
	return 0;
}
