/* Header building: the inverse of parse.c, field by field, at the offsets of
 * the image's layout row. */
#include <string.h>

#include "common/bytes.h"
#include "image.h"

static void put_key(uint8_t *h, uint32_t off_algo, uint32_t off_key, const struct stm32_image *img)
{
	le32_put(h, off_algo, img->key.algo);
	if (img->has_auth)
		memcpy(h + off_key, img->key.xy, ecc_xy_len(img->key.algo));
}

static uint32_t put_auth(const struct stm32_image *img, uint8_t *h, uint32_t off)
{
	const struct stm32_layout *l = img->layout;
	uint8_t *x = h + off;
	uint32_t len = stm32_auth_len(l, img->nb_pk);
	le32_put(x, 0, EXT_TYPE_AUTH);
	le32_put(x, 4, len);
	le32_put(x, AUTH_OFF_PK_IDX, img->pk_idx);
	le32_put(x, AUTH_OFF_NB_PK, img->nb_pk);
	put_key(h, off + AUTH_OFF_ALGO, off + AUTH_OFF_PUBKEY, img);
	memcpy(x + AUTH_OFF_PUBKEY + l->key_field, img->table, (size_t)32 * img->nb_pk);
	return len;
}

static uint32_t put_decrypt(const struct stm32_image *img, uint8_t *h, uint32_t off)
{
	le32_put(h, off, EXT_TYPE_DECRYPT);
	le32_put(h, off + 4, DECRYPT_LEN);
	le32_put(h, off + DECRYPT_OFF_KEY_SIZE, img->dec_key_size);
	le32_put(h, off + DECRYPT_OFF_DC, img->dec_dc);
	memcpy(h + off + DECRYPT_OFF_HASH16, img->hash16, 16);
	return DECRYPT_LEN;
}

/* Authentication, decryption, padding: the order of ST's tools. The padding
 * fills the rest with zeros, as TF-A's stm32image writes it. */
static void put_extensions(const struct stm32_image *img, uint8_t *h)
{
	const struct stm32_layout *l = img->layout;
	uint32_t off = l->base_size;
	le32_put(h, l->off_ext_len, img->ext_len);
	if (img->has_auth)
		off += put_auth(img, h, off);
	if (img->has_decrypt)
		off += put_decrypt(img, h, off);
	le32_put(h, off, EXT_TYPE_PADDING);
	le32_put(h, off + 4, img->header_size - off);
}

static int check_fits(const struct stm32_image *img, struct err *e)
{
	const struct stm32_layout *l = img->layout;
	uint32_t need = (img->has_auth ? stm32_auth_len(l, img->nb_pk) : 0) +
			(img->has_decrypt ? DECRYPT_LEN : 0) + EXT_HDR;
	if (l->off_ext_len && need > img->ext_len)
		return err_set(e, ERR_INTERNAL, "extensions do not fit in 0x%x bytes", img->ext_len);
	if (img->binary_type > 0xFF)
		return err_set(e, ERR_USAGE, "binary type 0x%x does not fit in a byte",
			       img->binary_type);
	return 0;
}

int stm32_build_header(const struct stm32_image *img, uint8_t *out, size_t outsz,
		       struct err *e)
{
	const struct stm32_layout *l = img->layout;
	if (outsz < img->header_size)
		return err_set(e, ERR_INTERNAL, "header buffer too small");
	int rc = check_fits(img, e);
	if (rc)
		return rc;
	memset(out, 0, img->header_size);
	memcpy(out + OFF_MAGIC, STM32_MAGIC, 4);
	memcpy(out + OFF_SIGNATURE, img->signature, l->sig_field);
	le32_put(out, l->off_checksum, img->checksum);
	le32_put(out, l->off_version, l->version_word);
	le32_put(out, l->off_length, img->image_length);
	le32_put(out, l->off_entry, img->entry);
	le32_put(out, l->off_load, img->load);
	le32_put(out, l->off_image_version, img->image_version);
	le32_put(out, l->off_flags, img->flags);
	if (l->binary_type_width == 1)
		out[l->off_binary_type] = (uint8_t)img->binary_type;
	else
		le32_put(out, l->off_binary_type, img->binary_type);
	if (l->off_nonauth_len) {
		le32_put(out, l->off_nonauth_len, img->nonauth_len);
		le32_put(out, l->off_nonauth_hash, img->nonauth_hash);
	}
	if (l->off_ext_len)
		put_extensions(img, out);
	else
		put_key(out, l->off_algo, l->off_key, img);
	return 0;
}
