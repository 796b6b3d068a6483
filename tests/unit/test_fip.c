/* The FIP format (tbbr/fip.c) against the FIPs Debian's fiptool made in
 * tests/vectors/tbbr (commands.txt), and malformed FIPs refused by name. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "common/bytes.h"
#include "tbbr/fip.h"
#include "tests/helpers/testutil.h"

#define VEC "vectors/tbbr/"
#define CFG_UUID "501d8dd2-8bce-49a5-84eb-559a9f2eaeaf"
#define MAX_E 16

struct part {
	const char *name; /* fiptool name, or "blob" (the cfg cert) */
	const char *file; /* under tests/vectors/tbbr */
	uint64_t offset, size; /* as `fiptool info` lists them */
};

/* commands.txt's order (not fiptool's: fip_sort_as_fiptool must reorder),
 * with the offsets `fiptool info` printed for the vector FIPs. */
static const struct part mp13[] = {
	{ "tos-fw", "images/bl32.bin", 0x1C8, 0x249F1 },
	{ "nt-fw", "images/bl33.bin", 0x24BB9, 0xC3503 },
	{ "hw-config", "images/hw.dtb", 0xE856D, 0xBB9 },
	{ "fw-config", "images/fwcfg.dtb", 0xE80BC, 0x4B1 },
	{ "trusted-key-cert", "mp13/trusted_key.crt", 0xE9126, 0x284 },
	{ "tos-fw-key-cert", "mp13/tos_fw_key.crt", 0xE93AA, 0x22C },
	{ "tos-fw-cert", "mp13/tos_fw_content.crt", 0xE9803, 0x2E3 },
	{ "nt-fw-key-cert", "mp13/nt_fw_key.crt", 0xE95D6, 0x22D },
	{ "nt-fw-cert", "mp13/nt_fw_content.crt", 0xE9AE6, 0x253 },
	{ "blob", "mp13/stm32mp_cfg_cert.crt", 0xE9D39, 0x23E },
};
static const struct part mp25[] = {
	{ "tos-fw", "images/bl32.bin", 0x161F9, 0x249F1 },
	{ "nt-fw", "images/bl33.bin", 0x3ABEA, 0xC3503 },
	{ "soc-fw", "images/bl31.bin", 0x268, 0x15F91 },
	{ "soc-fw-config", "images/socfwcfg.dtb", 0xFF157, 0x7D1 },
	{ "hw-config", "images/hw.dtb", 0xFE59E, 0xBB9 },
	{ "fw-config", "images/fwcfg.dtb", 0xFE0ED, 0x4B1 },
	{ "trusted-key-cert", "mp25/trusted_key.crt", 0xFF928, 0x284 },
	{ "tos-fw-key-cert", "mp25/tos_fw_key.crt", 0xFFDCA, 0x22B },
	{ "tos-fw-cert", "mp25/tos_fw_content.crt", 0x100467, 0x2E1 },
	{ "nt-fw-key-cert", "mp25/nt_fw_key.crt", 0xFFFF5, 0x22E },
	{ "nt-fw-cert", "mp25/nt_fw_content.crt", 0x100748, 0x254 },
	{ "soc-fw-key-cert", "mp25/soc_fw_key.crt", 0xFFBAC, 0x21E },
	{ "soc-fw-cert", "mp25/soc_fw_content.crt", 0x100223, 0x244 },
	{ "blob", "mp25/stm32mp_cfg_cert.crt", 0x10099C, 0x285 },
};

struct chip {
	const char *fip;
	const struct part *parts;
	size_t n;
};
static const struct chip chips[] = {
	{ "mp13/fip.bin", mp13, sizeof mp13 / sizeof mp13[0] },
	{ "mp25/fip.bin", mp25, sizeof mp25 / sizeof mp25[0] },
};

/* Parameters are indexes: criterion runs each test in a new process, where
 * pointers into the tables would not hold. */
static size_t idx[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

static uint8_t *load(const char *rel, size_t *len)
{
	char path[256];
	snprintf(path, sizeof path, VEC "%s", rel);
	uint8_t *b = read_file(fixture(path), len);
	cr_assert_not_null(b, "cannot read %s", path);
	return b;
}

static void part_uuid(const struct part *p, uint8_t uuid[FIP_UUID_LEN])
{
	int rc = strcmp(p->name, "blob") ? fip_name_uuid(p->name, uuid) : fip_uuid_parse(CFG_UUID, uuid);
	cr_assert_eq(rc, 0, "no UUID for %s", p->name);
}

ParameterizedTestParameters(fip, builds_the_vector_fip_byte_for_byte)
{
	return cr_make_param_array(size_t, idx, 2);
}

ParameterizedTest(size_t *k, fip, builds_the_vector_fip_byte_for_byte)
{
	const struct chip *c = &chips[*k];
	struct fip_entry v[MAX_E];
	uint8_t *data[MAX_E];
	for (size_t i = 0; i < c->n; i++) {
		part_uuid(&c->parts[i], v[i].uuid);
		data[i] = load(c->parts[i].file, &v[i].len);
		v[i].data = data[i];
		v[i].flags = 0;
	}
	fip_sort_as_fiptool(v, c->n);
	struct buf out;
	struct err e = { 0 };
	buf_init(&out, 1u << 24);
	cr_assert_eq(fip_build(v, c->n, &out, &e), 0, "%s", e.msg);
	size_t len;
	uint8_t *want = load(c->fip, &len);
	cr_assert_eq(buf_len(&out), len, "%s: %zu bytes, fiptool wrote %zu", c->fip, buf_len(&out), len);
	cr_expect(!memcmp(buf_cstr(&out), want, len), "%s differs from fiptool's", c->fip);
	buf_free(&out);
	free(want);
	for (size_t i = 0; i < c->n; i++)
		free(data[i]);
}

ParameterizedTestParameters(fip, parses_the_entries_fiptool_info_lists)
{
	return cr_make_param_array(size_t, idx, 2);
}

ParameterizedTest(size_t *k, fip, parses_the_entries_fiptool_info_lists)
{
	const struct chip *c = &chips[*k];
	size_t len, n;
	uint8_t *b = load(c->fip, &len);
	struct fip_entry v[MAX_E];
	struct err e = { 0 };
	cr_assert_eq(fip_parse(b, len, v, MAX_E, &n, &e), 0, "%s: %s", c->fip, e.msg);
	cr_assert_eq(n, c->n);
	for (size_t j = 0; j < c->n; j++) {
		const struct part *p = &c->parts[j];
		uint8_t uuid[FIP_UUID_LEN];
		part_uuid(p, uuid);
		size_t i = 0;
		while (i < n && memcmp(v[i].uuid, uuid, FIP_UUID_LEN))
			i++;
		cr_assert_lt(i, n, "%s: no %s entry", c->fip, p->name);
		cr_expect_eq((uint64_t)(v[i].data - b), p->offset, "%s: %s offset", c->fip, p->name);
		cr_expect_eq(v[i].len, p->size, "%s: %s size", c->fip, p->name);
		cr_expect_eq(v[i].flags, 0);
	}
	uint32_t serial;
	uint64_t flags;
	fip_header(b, &serial, &flags);
	cr_expect_eq(serial, FIP_TOC_SERIAL);
	cr_expect_eq(flags, 0);
	free(b);
}

Test(fip, names_the_stm32mp_cfg_cert_and_ddr_fw_as_st_fiptool_does)
{
	uint8_t u[FIP_UUID_LEN];
	char label[64];
	cr_assert_eq(fip_uuid_parse(CFG_UUID, u), 0);
	cr_expect_str_eq(fip_uuid_name(u), "stm32mp-cfg-cert");
	cr_assert_eq(fip_name_uuid("ddr-fw", u), 0);
	cr_expect_str_eq(fip_entry_label(u, label, sizeof label), "ddr-fw");
	cr_assert_eq(fip_uuid_parse("01234567-89AB-cdef-0123-456789abcdef", u), 0);
	cr_expect_null(fip_uuid_name(u));
	cr_expect_str_eq(fip_entry_label(u, label, sizeof label), "blob 01234567-89ab-cdef-0123-456789abcdef");
	cr_expect_eq(fip_name_uuid("no-such-image", u), -1);
}

Test(fip, formats_and_parses_uuids_in_fiptool_byte_order)
{
	uint8_t u[FIP_UUID_LEN];
	char text[37];
	cr_assert_eq(fip_name_uuid("tos-fw", u), 0);
	cr_expect_eq(u[0], 0x05, "the bytes are stored in the order printed");
	fip_uuid_format(u, text);
	cr_expect_str_eq(text, "05d0e189-53dc-1347-8d2b-500a4b7a3e38");
	static const char *bad[] = { "", "501d8dd2", "501d8dd2-8bce-49a5-84eb-559a9f2eaea",
				     "501d8dd2-8bce-49a5-84eb-559a9f2eaeafa", "501d8dd2x8bce-49a5-84eb-559a9f2eaeaf",
				     "501d8dd2-8bce-49a5-84eb-559a9f2eaeag", "501d8dd28bce49a584eb559a9f2eaeaf0000" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_expect_eq(fip_uuid_parse(bad[i], u), -1, "accepted '%s'", bad[i]);
}

Test(fip, sorts_in_table_order_then_blobs_in_the_order_given)
{
	static const char *given[] = { "blob:b", "stm32mp-cfg-cert", "nt-fw-cert", "blob:a", "tos-fw", "ddr-fw",
				       "fw-config", "soc-fw" };
	static const char *want[] = { "soc-fw", "tos-fw", "fw-config", "nt-fw-cert", "ddr-fw", "stm32mp-cfg-cert",
				      "blob:b", "blob:a" };
	struct fip_entry v[8] = { 0 };
	for (size_t i = 0; i < 8; i++) {
		if (!strncmp(given[i], "blob:", 5))
			memset(v[i].uuid, given[i][5], FIP_UUID_LEN);
		else
			cr_assert_eq(fip_name_uuid(given[i], v[i].uuid), 0);
		v[i].len = i; /* tags the entry */
	}
	fip_sort_as_fiptool(v, 8);
	for (size_t i = 0; i < 8; i++) {
		size_t k = v[i].len;
		cr_expect_str_eq(given[k], want[i], "position %zu", i);
	}
}

Test(fip, keeps_an_empty_entry_out_of_the_toc_but_in_its_size)
{
	struct fip_entry v[2] = { 0 };
	cr_assert_eq(fip_name_uuid("tos-fw", v[0].uuid), 0);
	cr_assert_eq(fip_name_uuid("nt-fw", v[1].uuid), 0);
	v[1].data = (const uint8_t *)"abc";
	v[1].len = 3;
	struct buf out;
	struct err e = { 0 };
	buf_init(&out, 4096);
	cr_assert_eq(fip_build(v, 2, &out, &e), 0, "%s", e.msg);
	const uint8_t *b = (const uint8_t *)buf_cstr(&out);
	/* header + 3 entry slots (2 images + terminator), nt-fw at 0x88 */
	cr_assert_eq(buf_len(&out), 16 + 3 * 40 + 3);
	cr_expect(!memcmp(b + 16, v[1].uuid, FIP_UUID_LEN));
	cr_expect_eq(le32_get(b, 16 + 16), 136);
	cr_expect(bytes_all_zero(b + 56, 16), "the terminator follows the one written entry");
	cr_expect_eq(le32_get(b, 56 + 16), 139, "the terminator's offset is the FIP's size");
	buf_free(&out);
}

Test(fip, aligns_payloads_as_fiptool_align_does)
{
	struct fip_entry v[2] = { 0 };
	cr_assert_eq(fip_name_uuid("tos-fw", v[0].uuid), 0);
	cr_assert_eq(fip_name_uuid("nt-fw", v[1].uuid), 0);
	v[0].data = v[1].data = (const uint8_t *)"abcde";
	v[0].len = v[1].len = 5;
	struct buf out;
	struct err e = { 0 };
	buf_init(&out, 4096);
	cr_assert_eq(fip_build_opts(v, 2, 64, 0x12ull << 32, &out, &e), 0, "%s", e.msg);
	const uint8_t *b = (const uint8_t *)buf_cstr(&out);
	cr_expect_eq(buf_len(&out), 320, "padded to the alignment at the end too");
	cr_expect_eq(le32_get(b, 12), 0x12);
	cr_expect_eq(le32_get(b, 16 + 16), 192);
	cr_expect_eq(le32_get(b, 56 + 16), 256);
	cr_expect_eq(fip_build_opts(v, 2, 24, 0, &out, &e), ERR_USAGE);
	cr_expect(strstr(e.msg, "power of two"), "%s", e.msg);
	buf_free(&out);
}

Test(fip, refuses_to_build_a_repeated_or_null_uuid)
{
	struct fip_entry v[2] = { 0 };
	struct buf out;
	struct err e = { 0 };
	buf_init(&out, 4096);
	cr_assert_eq(fip_name_uuid("nt-fw", v[0].uuid), 0);
	cr_expect_eq(fip_build(v, 2, &out, &e), ERR_INPUT);
	cr_expect(strstr(e.msg, "entry 1: null UUID"), "%s", e.msg);
	memcpy(v[1].uuid, v[0].uuid, FIP_UUID_LEN);
	cr_expect_eq(fip_build(v, 2, &out, &e), ERR_INPUT);
	cr_expect(strstr(e.msg, "entry 1 (nt-fw): same UUID as entry 0 (nt-fw)"), "%s", e.msg);
	buf_free(&out);
}

/* A malformed copy of the MP13 vector (ToC: header, then tos-fw, nt-fw,
 * fw-config, hw-config, the five certificates, the cfg cert blob, the
 * terminator at 0x1a0): what to change, the message. */
enum edit { KEEP, PUT, COPY };
struct bad {
	const char *what;
	size_t cut;       /* keep this many bytes (0: all) */
	enum edit edit;
	size_t at, width; /* PUT: write val (LE, width bytes) at; COPY: 16 bytes from val to at */
	uint64_t val;
	size_t max;       /* fip_parse's max (0: MAX_E) */
	const char *msg;
};
#define ENTRY(i) (16 + (i) * 40)
static const struct bad bads[] = {
	{ "truncated header", 10, KEEP, 0, 0, 0, 0, "FIP truncated: 10 bytes, the ToC header alone is 16" },
	{ "bad ToC name", 0, PUT, 0, 4, 0xaa640002, 0, "not a FIP: ToC name 0xaa640002 at offset 0 (expected 0xaa640001)" },
	{ "zero serial", 0, PUT, 4, 4, 0, 0, "FIP ToC serial number is 0 at offset 4: BL2 refuses it" },
	{ "truncated FIP", 100, KEEP, 0, 0, 0, 0, "FIP entry 0 (tos-fw): offset 0x1c8 size 0x249f1 ends past the end of the file (0x64 bytes)" },
	{ "terminator overwritten", 0, PUT, ENTRY(10), 1, 0x77, 0, "FIP entry 11 (blob " },
	{ "entry out of file", 0, PUT, ENTRY(1) + 24, 8, 0x1000c3503, 0, "FIP entry 1 (nt-fw): offset 0x24bb9 size 0x1000c3503 ends past the end of the file (0xe9f77 bytes)" },
	{ "offset overflow", 0, PUT, ENTRY(1) + 16, 8, UINT64_MAX - 2, 0, "FIP entry 1 (nt-fw): offset 0xfffffffffffffffd size 0xc3503 ends past" },
	{ "entry in the ToC", 0, PUT, ENTRY(2) + 16, 8, 0xbc, 0, "FIP entry 2 (fw-config): offset 0xbc is inside the ToC (which ends at 0x1c8)" },
	{ "overlap", 0, PUT, ENTRY(3) + 16, 8, 0xe85bd, 0, "FIP entry 4 (trusted-key-cert) [0xe9126, 0xe93aa) overlaps entry 3 (hw-config) [0xe85bd, 0xe9176)" },
	{ "repeated UUID", 0, COPY, ENTRY(1), 0, ENTRY(0), 0, "FIP entry 1 (tos-fw): same UUID as entry 0" },
	{ "too many entries", 0, KEEP, 0, 0, 0, 3, "FIP ToC has more than 3 entries" },
};

ParameterizedTestParameters(fip, refuses_a_malformed_fip_by_name)
{
	return cr_make_param_array(size_t, idx, sizeof bads / sizeof bads[0]);
}

ParameterizedTest(size_t *k, fip, refuses_a_malformed_fip_by_name)
{
	const struct bad *t = &bads[*k];
	size_t len, n = 99;
	uint8_t *b = load("mp13/fip.bin", &len);
	if (t->edit == PUT)
		for (size_t q = 0; q < t->width; q++)
			b[t->at + q] = (uint8_t)(t->val >> (8 * q));
	if (t->edit == COPY)
		memcpy(b + t->at, b + t->val, FIP_UUID_LEN);
	if (t->cut)
		len = t->cut;
	struct fip_entry v[MAX_E];
	struct err e = { 0 };
	cr_expect_eq(fip_parse(b, len, v, t->max ? t->max : MAX_E, &n, &e), ERR_INPUT, "%s accepted", t->what);
	cr_expect(strstr(e.msg, t->msg), "%s: '%s'", t->what, e.msg);
	cr_expect_eq(n, 0);
	free(b);
}

Test(fip, refuses_a_toc_without_terminator_by_name)
{
	/* two empty entries (inside the file) and then the end of the file */
	uint8_t b[16 + 2 * 40] = { 0 };
	le32_put(b, 0, FIP_TOC_NAME);
	le32_put(b, 4, FIP_TOC_SERIAL);
	cr_assert_eq(fip_name_uuid("tos-fw", b + 16), 0);
	cr_assert_eq(fip_name_uuid("nt-fw", b + 56), 0);
	struct fip_entry v[MAX_E];
	struct err e = { 0 };
	size_t n;
	cr_expect_eq(fip_parse(b, sizeof b, v, MAX_E, &n, &e), ERR_INPUT);
	cr_expect_str_eq(e.msg, "FIP ToC has no terminator: entry 2 at offset 0x60 runs past the end of the file (0x60 bytes)");
	memset(b + 16, 0, 16); /* entry 0 is now the terminator */
	cr_expect_eq(fip_parse(b, sizeof b, v, MAX_E, &n, &e), 0, "%s", e.msg);
	cr_expect_eq(n, 0);
}
