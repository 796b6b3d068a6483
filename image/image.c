#include "image.h"

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
	if (l->id == HDR_V10) {
		img->flags = V1_FLAG_NO_SIG_CHECK;
		img->key.algo = ECC_P256; /* ST writes algorithm 1 even unsigned */
	} else {
		img->flags = V2_FLAG_PADDING;
		img->has_padding = 1;
	}
}

int stm32_set_keys(struct stm32_image *img, const struct pubkey *keys, uint32_t nb,
		   uint32_t pk_idx, struct err *e)
{
	const struct stm32_layout *l = img->layout;
	if ((nb < 1 || nb > l->max_keys) && l->max_keys == 1)
		return err_set(e, ERR_USAGE, "header %s takes exactly 1 public key, got %u", l->name, nb);
	if (nb < 1 || nb > l->max_keys)
		return err_set(e, ERR_USAGE, "header %s takes 1 to %u public keys, got %u",
			       l->name, l->max_keys, nb);
	if (pk_idx >= nb)
		return err_set(e, ERR_USAGE, "key index %u out of range: %u key(s) in the table",
			       pk_idx, nb);
	for (uint32_t i = 1; i < nb; i++)
		if (keys[i].algo != keys[0].algo)
			return err_set(e, ERR_USAGE,
				       "public key %u is %s but key 0 is %s: one curve per table",
				       i, ecc_algo_name(keys[i].algo), ecc_algo_name(keys[0].algo));
	img->has_auth = 1;
	img->nb_pk = nb;
	img->pk_idx = pk_idx;
	img->key = keys[pk_idx];
	for (uint32_t i = 0; i < nb; i++)
		stm32_key_entry(&keys[i], img->table[i]);
	if (l->id == HDR_V10)
		img->flags &= ~(uint32_t)V1_FLAG_NO_SIG_CHECK;
	else
		img->flags |= V2_FLAG_AUTH;
	return 0;
}

void stm32_hashed_range(const struct stm32_image *img, uint64_t *start, uint64_t *end)
{
	/* v1.0: [0x48, 0x100 + len); v2.0/v2.2: [0x48, 0x80 + ext_len + len).
	 * header_size is the row's base_size plus the extensions. */
	*start = img->layout->hash_start;
	*end = (uint64_t)img->header_size + img->image_length;
}

void stm32_key_entry(const struct pubkey *k, uint8_t out[32])
{
	uint8_t buf[4 + ECC_XY];
	le32_put(buf, 0, k->algo);
	memcpy(buf + 4, k->xy, ECC_XY);
	SHA256(buf, sizeof buf, out);
}

void stm32_table_hash(const struct stm32_image *img, uint8_t out[32])
{
	if (img->layout->id == HDR_V10) /* the OTP holds the hash of the one key */
		SHA256(img->key.xy, ECC_XY, out);
	else
		SHA256(&img->table[0][0], (size_t)img->nb_pk * 32, out);
}

void stm32_keys_otp(const struct stm32_layout *l, const struct pubkey *keys,
		    uint32_t nb, uint8_t out[32])
{
	struct stm32_image img;
	stm32_init(&img, l);
	if (stm32_set_keys(&img, keys, nb, 0, NULL)) {
		memset(out, 0, 32); /* callers check counts and curves first */
		return;
	}
	stm32_table_hash(&img, out);
}

static const struct {
	const char *name;
	uint32_t value;
} binary_types[] = {
	{ "ssbl", 0x00 }, { "u-boot", 0x00 }, { "fsbl", 0x10 }, { "tf-a", 0x10 },
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
	if (t >= 0x20 && t <= 0x2F)
		return "OP-TEE";
	if (t == 0x30)
		return "Cortex-M33";
	return "unknown";
}
