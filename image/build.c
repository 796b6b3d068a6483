/* Header building: the inverse of parse.c, field by field. */
#include <string.h>

#include "common/bytes.h"
#include "image.h"

static void build_v1(const struct stm32_image *img, uint8_t *h)
{
	le32_put(h, V1_OFF_ALGO, img->key.algo);
	if (img->has_auth)
		memcpy(h + V1_OFF_PUBKEY, img->key.xy, ECC_XY);
	h[V1_OFF_BINARY_TYPE] = (uint8_t)img->binary_type;
}

static void build_v2(const struct stm32_image *img, uint8_t *h)
{
	le32_put(h, V2_OFF_EXT_LEN, img->ext_len);
	le32_put(h, V2_OFF_BINARY_TYPE, img->binary_type);
	uint32_t off = V2_OFF_EXT;
	if (img->has_auth) {
		uint8_t *x = h + off;
		uint32_t len = AUTH_OFF_TABLE + 32 * img->nb_pk;
		le32_put(x, 0, EXT_TYPE_AUTH);
		le32_put(x, 4, len);
		le32_put(x, AUTH_OFF_PK_IDX, img->pk_idx);
		le32_put(x, AUTH_OFF_NB_PK, img->nb_pk);
		le32_put(x, AUTH_OFF_ALGO, img->key.algo);
		memcpy(x + AUTH_OFF_PUBKEY, img->key.xy, ECC_XY);
		memcpy(x + AUTH_OFF_TABLE, img->table, (size_t)32 * img->nb_pk);
		off += len;
	}
	/* padding fills the rest with zeros, as TF-A's stm32image writes it */
	le32_put(h, off, EXT_TYPE_PADDING);
	le32_put(h, off + 4, img->header_size - off);
}

int stm32_build_header(const struct stm32_image *img, uint8_t *out, size_t outsz,
		       struct err *e)
{
	if (outsz < img->header_size)
		return err_set(e, ERR_INTERNAL, "header buffer too small");
	if (img->layout->id != HDR_V10 &&
	    img->has_auth && AUTH_OFF_TABLE + 32 * img->nb_pk + EXT_HDR > img->ext_len)
		return err_set(e, ERR_INTERNAL, "extensions do not fit in 0x%x bytes", img->ext_len);
	if (img->binary_type > 0xFF)
		return err_set(e, ERR_USAGE, "binary type 0x%x does not fit in a byte",
			       img->binary_type);
	memset(out, 0, img->header_size);
	memcpy(out + OFF_MAGIC, STM32_MAGIC, 4);
	memcpy(out + OFF_SIGNATURE, img->signature, ECC_RAW_SIG);
	le32_put(out, OFF_CHECKSUM, img->checksum);
	le32_put(out, OFF_VERSION, img->layout->version_word);
	le32_put(out, OFF_LENGTH, img->image_length);
	le32_put(out, OFF_ENTRY, img->entry);
	le32_put(out, OFF_LOAD, img->load);
	le32_put(out, OFF_IMAGE_VERSION, img->image_version);
	le32_put(out, OFF_FLAGS, img->flags);
	if (img->layout->id == HDR_V10)
		build_v1(img, out);
	else
		build_v2(img, out);
	return 0;
}
