/* Strict header parsing: every field the ROM reads, every reserved word and
 * pad, and the extension chain. Messages name the offset and the value. */
#include <string.h>

#include "common/bytes.h"
#include "image.h"

static int need(size_t hdr_len, size_t end, const char *what, struct err *e)
{
	if (hdr_len < end)
		return err_set(e, ERR_INPUT, "truncated: %s needs %zu bytes, file has %zu",
			       what, end, hdr_len);
	return 0;
}

static int zero_word(const uint8_t *h, size_t off, const char *what, struct err *e)
{
	uint32_t v = le32_get(h, off);
	if (v)
		return err_set(e, ERR_INPUT, "%s at 0x%02zx is 0x%08x, expected 0", what, off, v);
	return 0;
}

static int zero_bytes(const uint8_t *h, size_t off, size_t len, const char *what,
		      struct err *e)
{
	for (size_t i = 0; i < len; i++)
		if (h[off + i])
			return err_set(e, ERR_INPUT, "%s byte at 0x%02zx is 0x%02x, expected 0",
				       what, off + i, h[off + i]);
	return 0;
}

static int parse_common(const uint8_t *h, size_t n, struct stm32_image *img,
			struct err *e)
{
	int rc = need(n, 0x68, "the base header", e);
	if (rc)
		return rc;
	if (memcmp(h + OFF_MAGIC, STM32_MAGIC, 4))
		return err_set(e, ERR_INPUT, "magic at 0x00 is %02x %02x %02x %02x, expected 'STM2'",
			       h[0], h[1], h[2], h[3]);
	uint32_t word = le32_get(h, OFF_VERSION);
	img->layout = layout_by_version_word(word);
	if (!img->layout)
		return err_set(e, ERR_INPUT,
			       "header version at 0x48 is 0x%08x: not 1.0, 2.0 or 2.2", word);
	memcpy(img->signature, h + OFF_SIGNATURE, ECC_RAW_SIG);
	img->checksum = le32_get(h, OFF_CHECKSUM);
	img->image_length = le32_get(h, OFF_LENGTH);
	img->entry = le32_get(h, OFF_ENTRY);
	img->load = le32_get(h, OFF_LOAD);
	img->image_version = le32_get(h, OFF_IMAGE_VERSION);
	img->flags = le32_get(h, OFF_FLAGS);
	if ((rc = zero_word(h, OFF_RESERVED1, "reserved word", e)) ||
	    (rc = zero_word(h, OFF_RESERVED2, "reserved word", e)))
		return rc;
	return 0;
}

static int parse_v1(const uint8_t *h, size_t n, struct stm32_image *img, struct err *e)
{
	int rc = need(n, 0x100, "the v1.0 header", e);
	if (rc)
		return rc;
	img->ext_len = 0;
	img->header_size = 0x100;
	img->key.algo = le32_get(h, V1_OFF_ALGO);
	if (img->key.algo != ECC_P256 && img->key.algo != ECC_BRAINPOOL_P256T1)
		return err_set(e, ERR_INPUT, "ECDSA algorithm at 0x68 is %u, expected 1 or 2",
			       img->key.algo);
	memcpy(img->key.xy, h + V1_OFF_PUBKEY, ECC_XY);
	if (img->flags & ~(uint32_t)V1_FLAG_NO_SIG_CHECK)
		return err_set(e, ERR_INPUT, "option flags at 0x64 are 0x%08x: only bit 0 is defined",
			       img->flags);
	img->has_auth = !(img->flags & V1_FLAG_NO_SIG_CHECK);
	img->nb_pk = img->has_auth ? 1 : 0;
	if (img->has_auth)
		stm32_key_entry(&img->key, img->table[0]);
	else if ((rc = zero_bytes(h, V1_OFF_PUBKEY, ECC_XY, "public key of an unsigned image", e)))
		return rc;
	img->binary_type = h[V1_OFF_BINARY_TYPE];
	return zero_bytes(h, V1_OFF_PAD, V1_OFF_BINARY_TYPE - V1_OFF_PAD, "padding", e);
}

static int parse_auth(const uint8_t *x, uint32_t off, uint32_t len,
		      struct stm32_image *img, struct err *e)
{
	if (len < AUTH_OFF_TABLE)
		return err_set(e, ERR_INPUT, "authentication extension at 0x%x: length 0x%x too short",
			       off, len);
	img->pk_idx = le32_get(x, AUTH_OFF_PK_IDX);
	img->nb_pk = le32_get(x, AUTH_OFF_NB_PK);
	img->key.algo = le32_get(x, AUTH_OFF_ALGO);
	if (img->nb_pk < 1 || img->nb_pk > STM32_MAX_KEYS)
		return err_set(e, ERR_INPUT, "nb_pk at 0x%x is %u, expected 1 to 8",
			       off + AUTH_OFF_NB_PK, img->nb_pk);
	if (img->pk_idx >= img->nb_pk)
		return err_set(e, ERR_INPUT, "pk_idx at 0x%x is %u, must be below nb_pk %u",
			       off + AUTH_OFF_PK_IDX, img->pk_idx, img->nb_pk);
	if (img->key.algo != ECC_P256 && img->key.algo != ECC_BRAINPOOL_P256T1)
		return err_set(e, ERR_INPUT, "ecc_algo at 0x%x is %u, expected 1 or 2",
			       off + AUTH_OFF_ALGO, img->key.algo);
	uint32_t want = AUTH_OFF_TABLE + 32 * img->nb_pk;
	if (len != want)
		return err_set(e, ERR_INPUT,
			       "authentication extension at 0x%x: length 0x%x, expected 0x%x for %u keys",
			       off, len, want, img->nb_pk);
	memcpy(img->key.xy, x + AUTH_OFF_PUBKEY, ECC_XY);
	memcpy(img->table, x + AUTH_OFF_TABLE, (size_t)32 * img->nb_pk);
	img->has_auth = 1;
	return 0;
}

static int parse_one_ext(const uint8_t *h, uint32_t off, uint32_t type, uint32_t len,
			 struct stm32_image *img, struct err *e)
{
	switch (type) {
	case EXT_TYPE_AUTH:
		if (off != V2_OFF_EXT)
			return err_set(e, ERR_INPUT,
				       "authentication extension at 0x%x: the ROM reads it only as the first extension (0x80)",
				       off);
		return parse_auth(h + off, off, len, img, e);
	case EXT_TYPE_DECRYPT:
		if (len != DECRYPT_LEN || img->has_decrypt)
			return err_set(e, ERR_INPUT, "decryption extension at 0x%x: length 0x%x, expected 0x20",
				       off, len);
		img->has_decrypt = 1;
		return 0;
	case EXT_TYPE_PADDING:
		if (off + len != img->header_size)
			return err_set(e, ERR_INPUT, "padding extension at 0x%x is not the last one", off);
		img->has_padding = 1;
		img->pad_off = off;
		img->pad_len = len;
		img->pad_nonzero = !bytes_all_zero(h + off + EXT_HDR, len - EXT_HDR);
		return 0;
	}
	return err_set(e, ERR_INPUT, "extension at 0x%x has unknown type %02x %02x %02x %02x",
		       off, h[off], h[off + 1], h[off + 2], h[off + 3]);
}

static int parse_extensions(const uint8_t *h, struct stm32_image *img, struct err *e)
{
	uint32_t off = V2_OFF_EXT, end = img->header_size;
	while (off < end) {
		if (end - off < EXT_HDR)
			return err_set(e, ERR_INPUT, "extension at 0x%x: %u bytes left, a header needs 8",
				       off, end - off);
		uint32_t type = le32_get(h, off), len = le32_get(h, off + 4);
		if (len < EXT_HDR || len > end - off)
			return err_set(e, ERR_INPUT,
				       "extension at 0x%x: length 0x%x out of range (8 to 0x%x)",
				       off, len, end - off);
		int rc = parse_one_ext(h, off, type, len, img, e);
		if (rc)
			return rc;
		off += len;
	}
	return 0;
}

static int check_v2_flags(const struct stm32_image *img, struct err *e)
{
	uint32_t known = V2_FLAG_AUTH | V2_FLAG_DECRYPT | V2_FLAG_PADDING;
	if (img->flags & ~known)
		return err_set(e, ERR_INPUT, "extension flags at 0x64 are 0x%08x: unknown bits 0x%08x",
			       img->flags, img->flags & ~known);
	if (!!(img->flags & V2_FLAG_AUTH) != img->has_auth ||
	    !!(img->flags & V2_FLAG_DECRYPT) != img->has_decrypt ||
	    !!(img->flags & V2_FLAG_PADDING) != img->has_padding)
		return err_set(e, ERR_INPUT,
			       "extension flags at 0x64 are 0x%08x but the extensions present are%s%s%s",
			       img->flags, img->has_auth ? " authentication" : "",
			       img->has_decrypt ? " decryption" : "",
			       img->has_padding ? " padding" : (img->has_auth || img->has_decrypt ? "" : " none"));
	return 0;
}

static int parse_v2(const uint8_t *h, size_t n, struct stm32_image *img, struct err *e)
{
	int rc = need(n, V2_OFF_EXT, "the v2 base header", e);
	if (rc)
		return rc;
	img->ext_len = le32_get(h, V2_OFF_EXT_LEN);
	img->binary_type = le32_get(h, V2_OFF_BINARY_TYPE);
	if (img->ext_len > STM32_MAX_EXT_LEN || img->ext_len % 4)
		return err_set(e, ERR_INPUT,
			       "extension headers length at 0x68 is 0x%x: not a multiple of 4 up to 0x%x",
			       img->ext_len, STM32_MAX_EXT_LEN);
	if (img->binary_type > 0xFF)
		return err_set(e, ERR_INPUT, "binary type at 0x6c is 0x%08x, expected a byte",
			       img->binary_type);
	if ((rc = zero_bytes(h, V2_OFF_ZERO, V2_ZERO_LEN, "reserved", e)))
		return rc;
	img->header_size = V2_OFF_EXT + img->ext_len;
	if ((rc = need(n, img->header_size, "the extension headers", e)) ||
	    (rc = parse_extensions(h, img, e)))
		return rc;
	return check_v2_flags(img, e);
}

int stm32_parse(const uint8_t *hdr, size_t hdr_len, uint64_t file_size,
		struct stm32_image *img, struct err *e)
{
	memset(img, 0, sizeof *img);
	img->file_size = file_size;
	int rc = parse_common(hdr, hdr_len, img, e);
	if (!rc)
		rc = img->layout->id == HDR_V10 ? parse_v1(hdr, hdr_len, img, e)
						: parse_v2(hdr, hdr_len, img, e);
	if (rc)
		return rc;
	uint64_t start, end;
	stm32_hashed_range(img, &start, &end);
	if (end > file_size)
		return err_set(e, ERR_INPUT,
			       "image length at 0x4c is 0x%x: header 0x%x + length runs to 0x%llx, past the end of the file (0x%llx)",
			       img->image_length, img->header_size, (unsigned long long)end,
			       (unsigned long long)file_size);
	return 0;
}
