/* Strict header parsing: every field the ROM reads, every reserved word and
 * pad, and the extension chain, at the offsets of the image's layout row.
 * Messages name the offset and the value. */
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

static int detect(const uint8_t *h, size_t n, struct stm32_image *img, struct err *e)
{
	int rc = need(n, 0x70, "the base header", e);
	if (rc)
		return rc;
	if (memcmp(h + OFF_MAGIC, STM32_MAGIC, 4))
		return err_set(e, ERR_INPUT, "magic at 0x00 is %02x %02x %02x %02x, expected 'STM2'",
			       h[0], h[1], h[2], h[3]);
	img->layout = layout_detect(h, n);
	/* a refused version word may sit inside a v2.3 signature: ask only when
	 * no row claims the header */
	const char *why = img->layout ? NULL : layout_refused(h, n);
	if (why)
		return err_set(e, ERR_INPUT, "%s", why);
	if (!img->layout)
		return err_set(e, ERR_INPUT,
			       "header version at 0x48 is 0x%08x (0x%08x at 0x68): not %s",
			       le32_get(h, 0x48), le32_get(h, 0x68), layout_names());
	return need(n, img->layout->base_size, "the base header", e);
}

static int parse_binary_type(const uint8_t *h, struct stm32_image *img, struct err *e)
{
	const struct stm32_layout *l = img->layout;
	if (l->binary_type_width == 1) {
		img->binary_type = h[l->off_binary_type];
		return 0;
	}
	img->binary_type = le32_get(h, l->off_binary_type);
	if (img->binary_type > 0xFF)
		return err_set(e, ERR_INPUT, "binary type at 0x%02x is 0x%08x, expected a byte",
			       l->off_binary_type, img->binary_type);
	return 0;
}

static int parse_base(const uint8_t *h, struct stm32_image *img, struct err *e)
{
	const struct stm32_layout *l = img->layout;
	memcpy(img->signature, h + OFF_SIGNATURE, l->sig_field);
	img->checksum = le32_get(h, l->off_checksum);
	img->image_length = le32_get(h, l->off_length);
	img->entry = le32_get(h, l->off_entry);
	img->load = le32_get(h, l->off_load);
	img->image_version = le32_get(h, l->off_image_version);
	img->flags = le32_get(h, l->off_flags);
	if (l->off_nonauth_len) {
		img->nonauth_len = le32_get(h, l->off_nonauth_len);
		img->nonauth_hash = le32_get(h, l->off_nonauth_hash);
	}
	int rc;
	for (int i = 0; i < 2; i++)
		if ((rc = zero_word(h, l->off_reserved[i], "reserved word", e)))
			return rc;
	for (int i = 0; i < STM32_MAX_ZERO && l->zero[i].end; i++)
		if ((rc = zero_bytes(h, l->zero[i].start, l->zero[i].end - l->zero[i].start,
				     "reserved", e)))
			return rc;
	if (img->flags & ~l->flags_known)
		return err_set(e, ERR_INPUT, "flags at 0x%02x are 0x%08x: unknown bits 0x%08x",
			       l->off_flags, img->flags, img->flags & ~l->flags_known);
	return parse_binary_type(h, img, e);
}

/* The public-key field: X || Y at the curve's width, the rest zero. */
static int parse_key(const uint8_t *h, uint32_t off_algo, uint32_t off_key,
		     struct stm32_image *img, struct err *e)
{
	const struct stm32_layout *l = img->layout;
	char names[96];
	img->key.algo = le32_get(h, off_algo);
	if (!layout_allows_algo(l, img->key.algo))
		return err_set(e, ERR_INPUT, "ECDSA algorithm at 0x%x is %u: header %s takes %s",
			       off_algo, img->key.algo, l->name,
			       layout_algo_names(l, names, sizeof names));
	uint32_t n = ecc_xy_len(img->key.algo);
	memcpy(img->key.xy, h + off_key, n);
	return zero_bytes(h, off_key + n, l->key_field - n, "public key field padding", e);
}

/* A row without extensions (v1.0): the key sits in the base header. */
static int parse_key_in_header(const uint8_t *h, struct stm32_image *img, struct err *e)
{
	const struct stm32_layout *l = img->layout;
	img->ext_len = 0;
	img->header_size = l->base_size;
	img->has_auth = (img->flags & l->flag_auth) == l->flag_auth_value;
	int rc = parse_key(h, l->off_algo, l->off_key, img, e);
	if (rc)
		return rc;
	img->nb_pk = img->has_auth ? 1 : 0;
	if (img->has_auth)
		stm32_key_entry(&img->key, img->table[0]);
	else if ((rc = zero_bytes(h, l->off_key, l->key_field, "public key of an unsigned image", e)))
		return rc;
	return 0;
}

static int parse_auth(const uint8_t *h, uint32_t off, uint32_t len,
		      struct stm32_image *img, struct err *e)
{
	const struct stm32_layout *l = img->layout;
	const uint8_t *x = h + off;
	if (len < stm32_auth_len(l, 0))
		return err_set(e, ERR_INPUT, "authentication extension at 0x%x: length 0x%x too short",
			       off, len);
	img->pk_idx = le32_get(x, AUTH_OFF_PK_IDX);
	img->nb_pk = le32_get(x, AUTH_OFF_NB_PK);
	if (img->nb_pk < 1 || img->nb_pk > l->max_keys)
		return err_set(e, ERR_INPUT, "nb_pk at 0x%x is %u, expected 1 to %u",
			       off + AUTH_OFF_NB_PK, img->nb_pk, l->max_keys);
	if (img->pk_idx >= img->nb_pk)
		return err_set(e, ERR_INPUT, "pk_idx at 0x%x is %u, must be below nb_pk %u",
			       off + AUTH_OFF_PK_IDX, img->pk_idx, img->nb_pk);
	uint32_t want = stm32_auth_len(l, img->nb_pk);
	if (len != want)
		return err_set(e, ERR_INPUT,
			       "authentication extension at 0x%x: length 0x%x, expected 0x%x for %u keys",
			       off, len, want, img->nb_pk);
	int rc = parse_key(h, off + AUTH_OFF_ALGO, off + AUTH_OFF_PUBKEY, img, e);
	if (rc)
		return rc;
	memcpy(img->table, x + AUTH_OFF_PUBKEY + l->key_field, (size_t)32 * img->nb_pk);
	img->has_auth = 1;
	return 0;
}

static int parse_decrypt(const uint8_t *h, uint32_t off, uint32_t len,
			 struct stm32_image *img, struct err *e)
{
	if (len != DECRYPT_LEN || img->has_decrypt)
		return err_set(e, ERR_INPUT, "decryption extension at 0x%x: length 0x%x, expected 0x20 (once)",
			       off, len);
	img->has_decrypt = 1;
	img->dec_key_size = le32_get(h, off + DECRYPT_OFF_KEY_SIZE);
	img->dec_dc = le32_get(h, off + DECRYPT_OFF_DC);
	memcpy(img->hash16, h + off + DECRYPT_OFF_HASH16, 16);
	if (img->dec_key_size != 128)
		return err_set(e, ERR_INPUT, "decryption extension at 0x%x: key size %u, expected 128",
			       off, img->dec_key_size);
	return 0;
}

static int parse_one_ext(const uint8_t *h, uint32_t off, uint32_t type, uint32_t len,
			 struct stm32_image *img, struct err *e)
{
	switch (type) {
	case EXT_TYPE_AUTH:
		if (off != img->layout->base_size)
			return err_set(e, ERR_INPUT,
				       "authentication extension at 0x%x: the ROM reads it only as the first extension (0x%x)",
				       off, img->layout->base_size);
		return parse_auth(h, off, len, img, e);
	case EXT_TYPE_DECRYPT:
		return parse_decrypt(h, off, len, img, e);
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
	uint32_t off = img->layout->base_size, end = img->header_size;
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

static int check_ext_flags(const struct stm32_image *img, struct err *e)
{
	const struct stm32_layout *l = img->layout;
	if (((img->flags & l->flag_auth) == l->flag_auth_value) != img->has_auth ||
	    !!(img->flags & FLAG_DECRYPT) != img->has_decrypt ||
	    !!(img->flags & FLAG_PADDING) != img->has_padding)
		return err_set(e, ERR_INPUT,
			       "extension flags at 0x%02x are 0x%08x but the extensions present are%s%s%s",
			       l->off_flags, img->flags, img->has_auth ? " authentication" : "",
			       img->has_decrypt ? " decryption" : "",
			       img->has_padding ? " padding" : (img->has_auth || img->has_decrypt ? "" : " none"));
	return 0;
}

static int parse_ext_header(const uint8_t *h, size_t n, struct stm32_image *img, struct err *e)
{
	const struct stm32_layout *l = img->layout;
	img->ext_len = le32_get(h, l->off_ext_len);
	if (img->ext_len > STM32_MAX_EXT_LEN || img->ext_len % 4)
		return err_set(e, ERR_INPUT,
			       "extension headers length at 0x%02x is 0x%x: not a multiple of 4 up to 0x%x",
			       l->off_ext_len, img->ext_len, STM32_MAX_EXT_LEN);
	img->header_size = l->base_size + img->ext_len;
	int rc;
	if ((rc = need(n, img->header_size, "the extension headers", e)) ||
	    (rc = parse_extensions(h, img, e)))
		return rc;
	return check_ext_flags(img, e);
}

int stm32_parse(const uint8_t *hdr, size_t hdr_len, uint64_t file_size,
		struct stm32_image *img, struct err *e)
{
	memset(img, 0, sizeof *img);
	img->file_size = file_size;
	int rc = detect(hdr, hdr_len, img, e);
	if (!rc)
		rc = parse_base(hdr, img, e);
	if (!rc)
		rc = img->layout->off_ext_len ? parse_ext_header(hdr, hdr_len, img, e)
					      : parse_key_in_header(hdr, img, e);
	if (rc)
		return rc;
	uint64_t end = stm32_image_end(img);
	if (end > file_size)
		return err_set(e, ERR_INPUT,
			       "image length at 0x%02x is 0x%x: header 0x%x + length runs to 0x%llx, past the end of the file (0x%llx)",
			       img->layout->off_length, img->image_length, img->header_size,
			       (unsigned long long)end, (unsigned long long)file_size);
	return 0;
}
