#include "inspect_json.h"

#include "common/hex.h"

static void add_hex(json_object *o, const char *k, const uint8_t *b, size_t n)
{
	char hex[2 * ECC_RAW_SIG_MAX + 1];
	hex_encode(b, n, hex);
	json_object_object_add(o, k, json_object_new_string(hex));
}

static json_object *verdict_json(const struct rom_verdict *v)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "accepted", json_object_new_boolean(v->ok));
	if (!v->ok)
		json_object_object_add(o, "first_failed", json_object_new_string(rom_check_name(v->first_failed)));
	json_object *checks = json_object_new_array();
	for (int c = 0; c < CHECK_COUNT; c++) {
		json_object *k = json_object_new_object();
		json_object_object_add(k, "check", json_object_new_string(rom_check_name((enum rom_check)c)));
		json_object_object_add(k, "result", json_object_new_string(
			!v->checked[c] ? "skipped" : v->passed[c] ? "ok" : "failed"));
		json_object_object_add(k, "detail", json_object_new_string(v->msg[c]));
		json_object_array_add(checks, k);
	}
	json_object_object_add(o, "checks", checks);
	return o;
}

static json_object *explain_json(const struct explanation *ex)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "matched", ex->matched >= 0
		? json_object_new_string(ex->tries[ex->matched].name) : NULL);
	json_object_object_add(o, "advice", json_object_new_string(ex->advice));
	if (ex->key_advice[0])
		json_object_object_add(o, "keys", json_object_new_string(ex->key_advice));
	return o;
}

static void add_keys(json_object *o, const struct stm32_image *img)
{
	uint8_t th[32];
	json_object_object_add(o, "ecc_algo", json_object_new_int((int)img->key.algo));
	add_hex(o, "public_key", img->key.xy, ecc_xy_len(img->key.algo));
	json_object_object_add(o, "pk_idx", json_object_new_int((int)img->pk_idx));
	json_object *t = json_object_new_array();
	for (uint32_t i = 0; i < img->nb_pk; i++) {
		char hex[65];
		hex_encode(img->table[i], 32, hex);
		json_object_array_add(t, json_object_new_string(hex));
	}
	json_object_object_add(o, "key_table", t);
	stm32_table_hash(img, th);
	add_hex(o, "table_hash", th, 32);
}

json_object *inspect_json(const char *path, const struct stm32_image *img,
			  const struct image_sums *sums, const struct rom_verdict *v,
			  const struct explanation *ex)
{
	struct seg segs[STM32_MAX_SEGS];
	size_t n = stm32_signed_segments(img, segs);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "file", json_object_new_string(path));
	json_object_object_add(o, "header", json_object_new_string(img->layout->name));
	json_object_object_add(o, "image_length", json_object_new_int64(img->image_length));
	json_object_object_add(o, "entry", json_object_new_int64(img->entry));
	json_object_object_add(o, "load", json_object_new_int64(img->load));
	json_object_object_add(o, "image_version", json_object_new_int64(img->image_version));
	json_object_object_add(o, "flags", json_object_new_int64(img->flags));
	json_object_object_add(o, "binary_type", json_object_new_int64(img->binary_type));
	json_object_object_add(o, "checksum", json_object_new_int64(img->checksum));
	if (img->layout->off_nonauth_len) {
		json_object_object_add(o, "nonauth_payload_length", json_object_new_int64(img->nonauth_len));
		json_object_object_add(o, "nonauth_payload_hash", json_object_new_int64(img->nonauth_hash));
	}
	json_object_object_add(o, "encrypted", json_object_new_boolean(img->has_decrypt));
	if (img->has_decrypt) {
		json_object_object_add(o, "derivation_constant", json_object_new_int64(img->dec_dc));
		add_hex(o, "hash16", img->hash16, 16);
	}
	json_object_object_add(o, "signed", json_object_new_boolean(img->has_auth));
	if (img->has_auth)
		add_keys(o, img);
	add_hex(o, "signature", img->signature, stm32_sig_len(img));
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *pair = json_object_new_array();
		json_object_array_add(pair, json_object_new_int64((int64_t)segs[i].start));
		json_object_array_add(pair, json_object_new_int64((int64_t)segs[i].end));
		json_object_array_add(arr, pair);
	}
	json_object_object_add(o, "signed_segments", arr);
	json_object_object_add(o, "digest_algorithm", json_object_new_string(sums->digest_len == 48 ? "sha384" : "sha256"));
	add_hex(o, "digest", sums->digest, sums->digest_len);
	json_object_object_add(o, "trailing_bytes", json_object_new_int64((int64_t)sums->trailing));
	json_object_object_add(o, "verdict", verdict_json(v));
	if (ex)
		json_object_object_add(o, "explain", explain_json(ex));
	return o;
}

json_object *inspect_json_error(const char *path, const struct err *e)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "file", json_object_new_string(path));
	json_object_object_add(o, "error", json_object_new_string(e->msg));
	json_object_object_add(o, "exit_code", json_object_new_int((int)e->code));
	return o;
}
