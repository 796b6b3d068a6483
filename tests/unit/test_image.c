#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "common/bytes.h"
#include "golden.h"
#include "image/digest.h"
#include "image/image.h"
#include "tests/helpers/testutil.h"

static uint8_t *load_golden(const struct golden *g, size_t *len)
{
	char rel[256];
	snprintf(rel, sizeof rel, "vectors/stm32/%s", g->file);
	uint8_t *b = read_file(fixture(rel), len);
	cr_assert_not_null(b, "cannot read %s", rel);
	return b;
}

ParameterizedTestParameters(golden, parses_with_st_field_values)
{
	return cr_make_param_array(struct golden, (void *)goldens, GOLDEN_COUNT);
}

ParameterizedTest(const struct golden *g, golden, parses_with_st_field_values)
{
	size_t len;
	uint8_t *b = load_golden(g, &len);
	struct stm32_image img;
	struct err e = { 0 };
	cr_assert_eq(stm32_parse(b, len, len, &img, &e), 0, "%s: %s", g->file, e.msg);
	cr_expect_str_eq(img.layout->name, g->header);
	cr_expect_eq(img.entry, g->entry);
	cr_expect_eq(img.load, g->load);
	cr_expect_eq(img.binary_type, g->type);
	cr_expect_eq(img.image_length, g->length);
	cr_expect_eq(img.checksum, g->checksum);
	cr_expect_not(img.has_auth);
	cr_expect_eq(checksum_update(0, b + img.header_size, img.image_length), g->checksum,
		     "%s: checksum does not hold", g->file);
	free(b);
}

ParameterizedTestParameters(golden, rebuilds_header_byte_for_byte)
{
	return cr_make_param_array(struct golden, (void *)goldens, GOLDEN_COUNT);
}

ParameterizedTest(const struct golden *g, golden, rebuilds_header_byte_for_byte)
{
	size_t len;
	uint8_t *b = load_golden(g, &len);
	struct stm32_image img;
	uint8_t hdr[STM32_MAX_HEADER];
	stm32_init(&img, layout_by_name(g->header));
	img.entry = g->entry;
	img.load = g->load;
	img.binary_type = g->type;
	img.image_length = g->length;
	img.checksum = checksum_update(0, b + img.header_size, g->length);
	cr_assert_eq(stm32_build_header(&img, hdr, sizeof hdr, NULL), 0);
	cr_expect_eq(memcmp(hdr, b, img.header_size), 0, "%s: header differs", g->file);
	free(b);
}

ParameterizedTestParameters(golden, truncated_at_every_header_offset_is_an_error)
{
	return cr_make_param_array(struct golden, (void *)goldens, GOLDEN_COUNT);
}

ParameterizedTest(const struct golden *g, golden, truncated_at_every_header_offset_is_an_error)
{
	size_t len;
	uint8_t *b = load_golden(g, &len);
	struct stm32_image img;
	struct err e;
	/* Every cut inside the header or the payload: an error, never a crash. */
	for (size_t cut = 0; cut < len; cut += (cut < 0x400 ? 1 : 97)) {
		e.code = ERR_OK;
		cr_assert_neq(stm32_parse(b, cut < STM32_MAX_HEADER ? cut : STM32_MAX_HEADER, cut, &img, &e), 0,
			      "%s cut at %zu parsed", g->file, cut);
		cr_assert_eq(e.code, ERR_INPUT);
	}
	free(b);
}

/* ---- build -> parse round trip, table-driven over the layout rows ---- */

static void make_keys(struct pubkey *k, int n)
{
	/* deterministic valid keys: the P-256 generator multiples are heavy to
	 * compute here, so load the fixtures generated with the OpenSSL CLI */
	for (int i = 0; i < n; i++) {
		char rel[64];
		snprintf(rel, sizeof rel, "fixtures/keys/k%d.pub.pem", i);
		struct err e = { 0 };
		cr_assert_eq(pubkey_load_file(fixture(rel), &k[i], &e), 0, "%s", e.msg);
	}
}

ParameterizedTestParameters(layout, roundtrip)
{
	static const enum hdr_version rows[] = { HDR_V10, HDR_V20, HDR_V22, HDR_V23 };
	return cr_make_param_array(enum hdr_version, (void *)rows, 4);
}

ParameterizedTest(const enum hdr_version *row, layout, roundtrip,
		  .description = "build then parse gives back every field, for every layout row")
{
	const struct stm32_layout *l = &stm32_layouts[*row];
	struct pubkey keys[8];
	make_keys(keys, (int)l->max_keys);
	struct stm32_image in, out;
	stm32_init(&in, l);
	in.entry = 0x0e003000;
	in.load = 0x0e002600;
	in.image_version = 7;
	in.binary_type = 0x10;
	in.image_length = 0x1234;
	in.checksum = 0xdeadbeef;
	uint32_t idx = l->max_keys - 1;
	cr_assert_eq(stm32_set_keys(&in, keys, l->max_keys, idx, NULL), 0);
	uint8_t buf[STM32_MAX_HEADER];
	cr_assert_eq(stm32_build_header(&in, buf, sizeof buf, NULL), 0);
	struct err e = { 0 };
	cr_assert_eq(stm32_parse(buf, in.header_size, in.header_size + 0x1234, &out, &e), 0, "%s", e.msg);
	cr_expect_eq(out.layout, l);
	cr_expect_eq(out.entry, in.entry);
	cr_expect_eq(out.load, in.load);
	cr_expect_eq(out.image_version, 7);
	cr_expect_eq(out.binary_type, 0x10);
	cr_expect_eq(out.checksum, 0xdeadbeef);
	cr_expect_eq(out.flags, in.flags);
	cr_expect(out.has_auth);
	cr_expect_eq(out.nb_pk, l->max_keys);
	cr_expect(pubkey_equal(&out.key, &keys[idx]));
	cr_expect_eq(memcmp(out.table, in.table, 32 * (size_t)l->max_keys), 0);
	cr_expect_eq(out.pk_idx, idx);
}

Test(image_v22, eight_keys_index_5_lays_out_extensions_as_st_does)
{
	struct pubkey keys[8];
	make_keys(keys, 8);
	struct stm32_image img;
	stm32_init(&img, layout_by_name("2.2"));
	cr_assert_eq(stm32_set_keys(&img, keys, 8, 5, NULL), 0);
	uint8_t h[STM32_MAX_HEADER];
	cr_assert_eq(stm32_build_header(&img, h, sizeof h, NULL), 0);
	cr_expect_eq(le32_get(h, 0x64), 0x80000001);
	cr_expect_eq(le32_get(h, 0x68), 0x180);
	cr_expect_eq(le32_get(h, 0x80), EXT_TYPE_AUTH);
	cr_expect_eq(le32_get(h, 0x84), 0x154);
	cr_expect_eq(le32_get(h, 0x88), 5);
	cr_expect_eq(le32_get(h, 0x8C), 8);
	cr_expect_eq(le32_get(h, 0x90), 1);
	cr_expect_eq(le32_get(h, 0x1D4), EXT_TYPE_PADDING);
	cr_expect_eq(le32_get(h, 0x1D8), 0x2C);
	cr_expect(bytes_all_zero(h + 4, 64));
	cr_expect_eq(memcmp(h + 0x94, keys[5].xy, 64), 0);
}

Test(image_keys, table_entry_hashes_algo_then_x_then_y)
{
	struct pubkey k;
	make_keys(&k, 1);
	uint8_t buf[68], want[32], got[32];
	le32_put(buf, 0, 1);
	memcpy(buf + 4, k.xy, 64);
	sha256(buf, 68, want);
	stm32_key_entry(&k, got);
	cr_expect_eq(memcmp(want, got, 32), 0);
}

/* What the ROM signs, per row (ST's tool, traced; ../shared/spec/stm32-image.md). */
static const struct {
	const char *row;
	size_t n;
	uint64_t seg[2][2];     /* end 0: header + image_length */
} signed_rows[] = {
	{ "1.0", 1, { { 0x48, 0 } } },
	{ "2.0", 1, { { 0x48, 0 } } },
	{ "2.2", 2, { { 0x48, 0x78 }, { 0x80, 0 } } },
	{ "2.3", 2, { { 0x68, 0x98 }, { 0xA0, 0 } } },
};

Test(image_segments, each_row_signs_exactly_the_segments_st_signs)
{
	for (size_t i = 0; i < sizeof signed_rows / sizeof signed_rows[0]; i++) {
		struct stm32_image img;
		struct seg s[STM32_MAX_SEGS];
		stm32_init(&img, layout_by_name(signed_rows[i].row));
		img.image_length = 1000;
		size_t n = stm32_signed_segments(&img, s);
		cr_assert_eq(n, signed_rows[i].n, "row %s", signed_rows[i].row);
		for (size_t k = 0; k < n; k++) {
			uint64_t end = signed_rows[i].seg[k][1] ? signed_rows[i].seg[k][1] : img.header_size + 1000u;
			cr_expect_eq(s[k].start, signed_rows[i].seg[k][0], "row %s segment %zu", signed_rows[i].row, k);
			cr_expect_eq(s[k].end, end, "row %s segment %zu", signed_rows[i].row, k);
		}
	}
}

Test(image_segments, every_row_covers_the_payload_exactly_once_and_in_one_piece)
{
	/* stm32-prep and the streaming digest read the payload once, in order */
	for (int i = 0; i < HDR_COUNT; i++) {
		struct stm32_image img;
		struct seg s[STM32_MAX_SEGS];
		stm32_init(&img, &stm32_layouts[i]);
		img.image_length = 4096;
		size_t n = stm32_signed_segments(&img, s), covering = 0;
		for (size_t k = 0; k < n; k++) {
			cr_expect(s[k].start < s[k].end);
			cr_expect(k == 0 || s[k].start >= s[k - 1].end, "row %s: segments in order", stm32_layouts[i].name);
			if (s[k].end > img.header_size) {
				covering++;
				cr_expect(s[k].start <= img.header_size && s[k].end == img.header_size + 4096u,
					  "row %s", stm32_layouts[i].name);
			}
		}
		cr_expect_eq(covering, 1, "row %s", stm32_layouts[i].name);
	}
}

Test(checksum, sum_equals_the_byte_sum_at_every_length_and_alignment)
{
	static uint8_t buf[5000];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(0xFF - (i * 7) % 3); /* mostly 0xFF: the worst case for the lanes */
	for (size_t off = 0; off < 9; off++)
		for (size_t n = 0; n + off <= sizeof buf; n += (n < 300 ? 1 : 997)) {
			uint32_t want = 0x12345678;
			for (size_t i = 0; i < n; i++)
				want += buf[off + i];
			cr_assert_eq(checksum_update(0x12345678, buf + off, n), want, "off %zu len %zu", off, n);
		}
}
