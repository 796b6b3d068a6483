#include "image.h"

#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "common/bytes.h"
#include "common/num.h"

void stm32_init(struct stm32_image *img, const struct stm32_layout *l)
{
	memset(img, 0, sizeof *img);
	img->layout = l;
	img->ext_len = l->ext_len;
	img->header_size = l->base_size + l->ext_len;
	img->flags = l->flags_unsigned;
	img->has_padding = l->off_ext_len != 0;
	if (!l->off_ext_len)
		img->key.algo = ECC_P256; /* ST writes algorithm 1 even unsigned */
}

uint32_t stm32_auth_len(const struct stm32_layout *l, uint32_t nb)
{
	return AUTH_OFF_PUBKEY + l->key_field + 32 * nb;
}

static int check_keys(const struct stm32_layout *l, const struct pubkey *keys, uint32_t nb,
		      uint32_t pk_idx, struct err *e)
{
	char names[96];
	if (nb < 1 || nb > l->max_keys)
		return l->max_keys == 1
			? err_set(e, ERR_USAGE, "header %s takes exactly 1 public key, got %u", l->name, nb)
			: err_set(e, ERR_USAGE, "header %s takes 1 to %u public keys, got %u", l->name,
				  l->max_keys, nb);
	if (pk_idx >= nb)
		return err_set(e, ERR_USAGE, "key index %u out of range: %u key(s) in the table",
			       pk_idx, nb);
	for (uint32_t i = 0; i < nb; i++) {
		if (keys[i].algo != keys[0].algo)
			return err_set(e, ERR_USAGE,
				       "public key %u is %s but key 0 is %s: one curve per table",
				       i, ecc_algo_name(keys[i].algo), ecc_algo_name(keys[0].algo));
	}
	if (!layout_allows_algo(l, keys[0].algo))
		return err_set(e, ERR_USAGE, "header %s does not take %s keys (it takes %s)", l->name,
			       ecc_algo_name(keys[0].algo), layout_algo_names(l, names, sizeof names));
	return 0;
}

int stm32_set_keys(struct stm32_image *img, const struct pubkey *keys, uint32_t nb,
		   uint32_t pk_idx, struct err *e)
{
	const struct stm32_layout *l = img->layout;
	int rc = check_keys(l, keys, nb, pk_idx, e);
	if (rc)
		return rc;
	img->has_auth = 1;
	img->nb_pk = nb;
	img->pk_idx = pk_idx;
	img->key = keys[pk_idx];
	for (uint32_t i = 0; i < nb; i++)
		stm32_key_entry(&keys[i], img->table[i]);
	img->flags = (img->flags & ~l->flag_auth) | l->flag_auth_value;
	return 0;
}

int stm32_set_decrypt(struct stm32_image *img, uint32_t dc, const uint8_t hash16[16],
		      struct err *e)
{
	if (!img->layout->can_decrypt)
		return err_set(e, ERR_USAGE, "header %s has no FSBL decryption extension",
			       img->layout->name);
	img->has_decrypt = 1;
	img->dec_key_size = 128;
	img->dec_dc = dc;
	memcpy(img->hash16, hash16, 16);
	img->flags |= FLAG_DECRYPT;
	return 0;
}

uint64_t stm32_image_end(const struct stm32_image *img)
{
	return (uint64_t)img->header_size + img->image_length;
}

size_t stm32_signed_segments(const struct stm32_image *img, struct seg *out)
{
	const struct stm32_layout *l = img->layout;
	for (uint32_t i = 0; i < l->nsegs; i++) {
		out[i].start = l->signed_segs[i].start;
		out[i].end = l->signed_segs[i].end == SEG_TO_END ? stm32_image_end(img)
								: l->signed_segs[i].end;
	}
	return l->nsegs;
}

const char *segs_text(const struct seg *s, size_t n, char *out, size_t outsz)
{
	size_t k = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n && k < outsz; i++)
		k += (size_t)snprintf(out + k, outsz - k, "%s[0x%llx, 0x%llx)", i ? " + " : "",
				      (unsigned long long)s[i].start, (unsigned long long)s[i].end);
	return out;
}

const EVP_MD *stm32_md(const struct stm32_image *img)
{
	const EVP_MD *md = ecc_md(img->key.algo);
	return md ? md : EVP_sha256();
}

uint32_t stm32_digest_len(const struct stm32_image *img)
{
	return (uint32_t)EVP_MD_get_size(stm32_md(img));
}

uint32_t stm32_sig_len(const struct stm32_image *img)
{
	uint32_t n = ecc_sig_len(img->key.algo);
	return n && n <= img->layout->sig_field ? n : img->layout->sig_field;
}

void stm32_key_entry(const struct pubkey *k, uint8_t out[32])
{
	uint8_t buf[4 + ECC_XY_MAX];
	size_t n = ecc_xy_len(k->algo);
	le32_put(buf, 0, k->algo);
	memcpy(buf + 4, k->xy, n);
	SHA256(buf, 4 + n, out);
}

void stm32_table_hash(const struct stm32_image *img, uint8_t out[32])
{
	if (img->layout->otp == OTP_KEY_HASH) /* the OTP holds the hash of the one key */
		SHA256(img->key.xy, ecc_xy_len(img->key.algo), out);
	else
		SHA256(&img->table[0][0], (size_t)img->nb_pk * 32, out);
}

/* ST's -t names first (STM32_SigningTool_CLI), then ours. */
static const struct {
	const char *name;
	uint32_t value;
} binary_types[] = {
	{ "ssbl", 0x00 }, { "fsbl", 0x10 }, { "teeh", 0x20 }, { "teed", 0x21 },
	{ "teex", 0x22 }, { "copro", 0x30 }, { "u-boot", 0x00 }, { "tf-a", 0x10 },
	{ "optee", 0x20 }, { "m33", 0x30 },
};

int stm32_binary_type_parse(const char *s, uint32_t *out)
{
	for (size_t i = 0; i < sizeof binary_types / sizeof binary_types[0]; i++)
		if (!strcmp(s, binary_types[i].name)) {
			*out = binary_types[i].value;
			return 0;
		}
	uint32_t v;
	if (num_parse_u32(s, &v) || v > 0xFF)
		return -1;
	*out = v;
	return 0;
}

const char *stm32_binary_type_name(uint32_t t)
{
	if (t == 0x00)
		return "U-Boot (ssbl)";
	if (t == 0x10)
		return "TF-A BL2 (fsbl)";
	if (t >= 0x11 && t <= 0x1F)
		return "TF-A";
	if (t == 0x20)
		return "OP-TEE header (teeh)";
	if (t == 0x21)
		return "OP-TEE pager (teed)";
	if (t == 0x22)
		return "OP-TEE pageable (teex)";
	if (t >= 0x23 && t <= 0x2F)
		return "OP-TEE";
	if (t == 0x30)
		return "Cortex-M33 (copro)";
	return "unknown";
}
