/* TF-A's Firmware Image Package, byte for byte as fiptool writes it: a 16-byte
 * ToC header (name 0xAA640001, serial 0x12345678, flags), one 40-byte entry per
 * image (UUID, offset, size, flags, little-endian), a null-UUID terminator whose
 * offset is the end of the file, then the images (fiptool's default --align 1:
 * back to back). fiptool packs in its table order, then blobs (fiptool.c
 * fill_image_descs, create_cmd, pack_images). */
#include "fip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"

/* fiptool's table (TF-A 2.8 tools/fiptool/tbbr_config.c, in Debian's
 * arm-trusted-firmware-tools 2.8.0), then ST's plat_def_toc_entries for
 * STM32MP (tools/fiptool/plat_fiptool/st/). The UUID bytes are stored in the
 * order printed. tests/cli/test_fip.c checks the generic rows against Debian's
 * fiptool itself. */
static const struct fip_name table[] = {
	{ "scp-fwu-cfg", "SCP Firmware Updater Configuration FWU SCP_BL2U",
	  "65922703-2f74-e644-8dff-579ac1ff0610", 0 },
	{ "ap-fwu-cfg", "AP Firmware Updater Configuration BL2U",
	  "60b3eb37-c1e5-ea41-9df3-19eda11f6801", 0 },
	{ "fwu", "Firmware Updater NS_BL2U",
	  "4f511d11-2be5-4e49-b4c5-83c2f715840a", 0 },
	{ "fwu-cert", "Non-Trusted Firmware Updater certificate",
	  "71408ab2-18d6-874c-8b2e-c6dccd50f096", 0 },
	{ "tb-fw", "Trusted Boot Firmware BL2",
	  "5ff9ec0b-4d22-3e4d-a544-c39d81c73f0a", 0 },
	{ "scp-fw", "SCP Firmware SCP_BL2",
	  "9766fd3d-89be-e849-ae5d-78a140608213", 0 },
	{ "soc-fw", "EL3 Runtime Firmware BL31",
	  "47d4086d-4cfe-9846-9b95-2950cbbd5a00", 0 },
	{ "tos-fw", "Secure Payload BL32 (Trusted OS)",
	  "05d0e189-53dc-1347-8d2b-500a4b7a3e38", 0 },
	{ "tos-fw-extra1", "Secure Payload BL32 Extra1 (Trusted OS Extra1)",
	  "0b70c29b-2a5a-7840-9f65-0a5682738288", 0 },
	{ "tos-fw-extra2", "Secure Payload BL32 Extra2 (Trusted OS Extra2)",
	  "8ea87bb1-cfa2-3f4d-85fd-e7bba50220d9", 0 },
	{ "nt-fw", "Non-Trusted Firmware BL33",
	  "d6d0eea7-fcea-d54b-9782-9934f234b6e4", 0 },
	{ "rmm-fw", "Realm Monitor Management Firmware",
	  "6c0762a6-12f2-4b56-92cb-ba8f633606d9", 0 },
	{ "fw-config", "FW_CONFIG",
	  "5807e16a-8459-47be-8ed5-648e8dddab0e", 0 },
	{ "hw-config", "HW_CONFIG",
	  "08b8f1d9-c9cf-9349-a962-6fbc6b7265cc", 0 },
	{ "tb-fw-config", "TB_FW_CONFIG",
	  "6c0458ff-af6b-7d4f-82ed-aa27bc69bfd2", 0 },
	{ "soc-fw-config", "SOC_FW_CONFIG",
	  "9979814b-0376-fb46-8c8e-8d267f7859e0", 0 },
	{ "tos-fw-config", "TOS_FW_CONFIG",
	  "26257c1a-dbc6-7f47-8d96-c4c4b0248021", 0 },
	{ "nt-fw-config", "NT_FW_CONFIG",
	  "28da9815-93e8-7e44-ac66-1aaf801550f9", 0 },
	{ "rot-cert", "Root Of Trust key certificate",
	  "862d1d72-f860-e411-920b-8be762160f24", 0 },
	{ "trusted-key-cert", "Trusted key certificate",
	  "827ee890-f860-e411-a1b4-777a21b4f94c", 0 },
	{ "scp-fw-key-cert", "SCP Firmware key certificate",
	  "024221a1-f860-e411-8d9b-f33c0e15a014", 0 },
	{ "soc-fw-key-cert", "SoC Firmware key certificate",
	  "8ab8becc-f960-e411-9ad0-eb4822d8dcf8", 0 },
	{ "tos-fw-key-cert", "Trusted OS Firmware key certificate",
	  "9477d603-fb60-e411-85dd-b7105b8cee04", 0 },
	{ "nt-fw-key-cert", "Non-Trusted Firmware key certificate",
	  "8ad5832a-fb60-e411-8aaf-df30bbc49859", 0 },
	{ "tb-fw-cert", "Trusted Boot Firmware BL2 certificate",
	  "d6e269ea-5d63-e411-8d8c-9fbabe9956a5", 0 },
	{ "scp-fw-cert", "SCP Firmware content certificate",
	  "44be6f04-5e63-e411-b28b-73d8eaae9656", 0 },
	{ "soc-fw-cert", "SoC Firmware content certificate",
	  "e2b20c20-5e63-e411-9ce8-abccf92bb666", 0 },
	{ "tos-fw-cert", "Trusted OS Firmware content certificate",
	  "a49f4411-5e63-e411-8728-3f05722af33d", 0 },
	{ "nt-fw-cert", "Non-Trusted Firmware content certificate",
	  "8ec4c1f3-5d63-e411-a7a9-87ee40b23fa7", 0 },
	{ "sip-sp-cert", "SiP owned Secure Partition content certificate",
	  "776dfd44-8697-4c3b-91eb-c13e025a2a6f", 0 },
	{ "plat-sp-cert", "Platform owned Secure Partition content certificate",
	  "ddcbbf4a-cad6-11ea-87d0-0242ac130003", 0 },
	{ "cca-cert", "CCA Content Certificate",
	  "36d83d85-761d-4daf-96f1-cd99d6569b00", 0 },
	{ "core-swd-cert", "Core Secure World Key Certificate",
	  "52222d31-820f-494d-8bbc-ea6825d3c35a", 0 },
	{ "plat-key-cert", "Platform Key Certificate",
	  "d43cd902-5b9f-412e-8ac6-92b6d18be60d", 0 },
	{ "ddr-fw", "DDR_FW", "b11249be-92dd-4b10-867c-2c6a4b47a7fb", 1 },
	{ "stm32mp-cfg-cert", "STM32MP CONFIG CERT", "501d8dd2-8bce-49a5-84eb-559a9f2eaeaf", 1 },
};
#define TABLE_N (sizeof table / sizeof table[0])

static inline uint64_t le64_get(const uint8_t *p, size_t off)
{
	return (uint64_t)le32_get(p, off) | (uint64_t)le32_get(p, off + 4) << 32;
}

static inline void le64_put(uint8_t *p, size_t off, uint64_t v)
{
	le32_put(p, off, (uint32_t)v);
	le32_put(p, off + 4, (uint32_t)(v >> 32));
}

const struct fip_name *fip_table(size_t *n)
{
	*n = TABLE_N;
	return table;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 8-4-4-4-12 hex digits, either case; bytes in the order written. */
int fip_uuid_parse(const char *text, uint8_t uuid[FIP_UUID_LEN])
{
	size_t i = 0;
	for (size_t k = 0; k < FIP_UUID_LEN; k++, i += 2) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (text[i] != '-')
				return -1;
			i++;
		}
		int hi = hexval(text[i]);
		int lo = hi < 0 ? -1 : hexval(text[i + 1]);
		if (lo < 0)
			return -1;
		uuid[k] = (uint8_t)(hi << 4 | lo);
	}
	return text[i] == '\0' ? 0 : -1;
}

void fip_uuid_format(const uint8_t u[FIP_UUID_LEN], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
}

/* Index in the table, or TABLE_N for a blob. */
static size_t rank(const uint8_t uuid[FIP_UUID_LEN])
{
	for (size_t i = 0; i < TABLE_N; i++) {
		uint8_t u[FIP_UUID_LEN];
		if (!fip_uuid_parse(table[i].uuid_text, u) && !memcmp(u, uuid, FIP_UUID_LEN))
			return i;
	}
	return TABLE_N;
}

const char *fip_uuid_name(const uint8_t uuid[FIP_UUID_LEN])
{
	size_t i = rank(uuid);
	return i < TABLE_N ? table[i].name : NULL;
}

int fip_name_uuid(const char *name, uint8_t uuid[FIP_UUID_LEN])
{
	for (size_t i = 0; i < TABLE_N; i++)
		if (!strcmp(table[i].name, name))
			return fip_uuid_parse(table[i].uuid_text, uuid);
	return -1;
}

const char *fip_entry_label(const uint8_t uuid[FIP_UUID_LEN], char *out, size_t outsz)
{
	const char *name = fip_uuid_name(uuid);
	char text[37];
	fip_uuid_format(uuid, text);
	snprintf(out, outsz, "%s%s", name ? name : "blob ", name ? "" : text);
	return out;
}

/* Stable insertion sort by table rank: the table's order, then the blobs in
 * the order given (as fiptool appends each --blob to its list). */
void fip_sort_as_fiptool(struct fip_entry *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct fip_entry x = v[i];
		size_t r = rank(x.uuid), j = i;
		while (j > 0 && rank(v[j - 1].uuid) > r) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

static int check_entries(const struct fip_entry *v, size_t n, struct err *e)
{
	char a[64], b[64];
	for (size_t i = 0; i < n; i++) {
		if (bytes_all_zero(v[i].uuid, FIP_UUID_LEN))
			return err_set(e, ERR_INPUT, "FIP entry %zu: null UUID (it would end the ToC)", i);
		for (size_t j = 0; j < i; j++)
			if (!memcmp(v[i].uuid, v[j].uuid, FIP_UUID_LEN))
				return err_set(e, ERR_INPUT, "FIP entry %zu (%s): same UUID as entry %zu (%s)", i,
					       fip_entry_label(v[i].uuid, a, sizeof a), j,
					       fip_entry_label(v[j].uuid, b, sizeof b));
	}
	return 0;
}

static uint64_t align_up(uint64_t x, uint64_t align)
{
	return (x + align - 1) & ~(align - 1);
}

static int add_zeros(struct buf *out, uint64_t n)
{
	static const uint8_t zero[4096];
	while (n) {
		size_t k = n < sizeof zero ? (size_t)n : sizeof zero;
		if (buf_add(out, zero, k))
			return -1;
		n -= k;
	}
	return 0;
}

/* The ToC: room for every entry and the terminator (empty ones too, as
 * pack_images counts them), then the offsets of the non-empty ones. */
static int build_toc(const struct fip_entry *v, size_t n, uint64_t align, uint64_t toc_flags,
		     uint8_t *toc, uint64_t *end)
{
	uint64_t off = FIP_HEADER_LEN + (uint64_t)FIP_ENTRY_LEN * (n + 1);
	uint8_t *p = toc + FIP_HEADER_LEN;
	le32_put(toc, 0, FIP_TOC_NAME);
	le32_put(toc, 4, FIP_TOC_SERIAL);
	le64_put(toc, 8, toc_flags);
	for (size_t i = 0; i < n; i++) {
		if (!v[i].len)
			continue;
		off = align_up(off, align);
		memcpy(p, v[i].uuid, FIP_UUID_LEN);
		le64_put(p, 16, off);
		le64_put(p, 24, v[i].len);
		le64_put(p, 32, v[i].flags);
		p += FIP_ENTRY_LEN;
		off += v[i].len;
	}
	le64_put(p, 16, align_up(off, align)); /* the terminator: the FIP's size */
	*end = align_up(off, align);
	return 0;
}

int fip_build_opts(const struct fip_entry *v, size_t n, uint64_t align, uint64_t toc_flags,
		   struct buf *out, struct err *e)
{
	if (!align || (align & (align - 1)))
		return err_set(e, ERR_USAGE, "FIP alignment %llu is not a power of two", (unsigned long long)align);
	if (n > (SIZE_MAX - FIP_HEADER_LEN) / FIP_ENTRY_LEN - 1)
		return err_set(e, ERR_INPUT, "FIP: %zu entries is too many", n);
	int rc = check_entries(v, n, e);
	if (rc)
		return rc;
	size_t toc_len = FIP_HEADER_LEN + FIP_ENTRY_LEN * (n + 1);
	uint8_t *toc = calloc(1, toc_len);
	uint64_t end, at = toc_len;
	if (!toc)
		return err_set(e, ERR_INTERNAL, "FIP: out of memory");
	build_toc(v, n, align, toc_flags, toc, &end);
	int bad = buf_add(out, toc, toc_len);
	for (size_t i = 0; i < n && !bad; i++) {
		if (!v[i].len)
			continue;
		bad = add_zeros(out, align_up(at, align) - at) || buf_add(out, v[i].data, v[i].len);
		at = align_up(at, align) + v[i].len;
	}
	bad = bad || add_zeros(out, end - at);
	free(toc);
	if (bad)
		return err_set(e, ERR_INTERNAL, "FIP: out of memory or over the size limit");
	return 0;
}

int fip_build(const struct fip_entry *v, size_t n, struct buf *out, struct err *e)
{
	return fip_build_opts(v, n, 1, 0, out, e);
}

int fip_is_fip(const uint8_t *buf, size_t len)
{
	return len >= 4 && le32_get(buf, 0) == FIP_TOC_NAME;
}

void fip_header(const uint8_t *buf, uint32_t *serial, uint64_t *flags)
{
	*serial = le32_get(buf, 4);
	*flags = le64_get(buf, 8);
}

static int check_header(const uint8_t *buf, size_t len, struct err *e)
{
	if (len < FIP_HEADER_LEN)
		return err_set(e, ERR_INPUT, "FIP truncated: %zu bytes, the ToC header alone is %d", len,
			       FIP_HEADER_LEN);
	if (le32_get(buf, 0) != FIP_TOC_NAME)
		return err_set(e, ERR_INPUT, "not a FIP: ToC name 0x%08x at offset 0 (expected 0x%08x)",
			       le32_get(buf, 0), FIP_TOC_NAME);
	/* TF-A's io_fip (is_valid_header) refuses a zero serial number */
	if (le32_get(buf, 4) == 0)
		return err_set(e, ERR_INPUT, "FIP ToC serial number is 0 at offset 4: BL2 refuses it");
	return 0;
}

/* One entry's payload: inside the file. */
static int check_in_file(const uint8_t *p, size_t i, size_t len, struct err *e)
{
	char label[64];
	uint64_t off = le64_get(p, 16), size = le64_get(p, 24);
	if (size > UINT64_MAX - off || off + size > len)
		return err_set(e, ERR_INPUT, "FIP entry %zu (%s): offset 0x%llx size 0x%llx ends past the end "
			       "of the file (0x%zx bytes)", i, fip_entry_label(p, label, sizeof label),
			       (unsigned long long)off, (unsigned long long)size, len);
	return 0;
}

/* Walk the ToC as fiptool does (each entry inside the file) up to the
 * null-UUID terminator: *n entries before it. */
static int walk_toc(const uint8_t *buf, size_t len, size_t max, size_t *n, struct err *e)
{
	for (size_t i = 0;; i++) {
		size_t at = FIP_HEADER_LEN + i * FIP_ENTRY_LEN;
		if (at > len || len - at < FIP_ENTRY_LEN)
			return err_set(e, ERR_INPUT, "FIP ToC has no terminator: entry %zu at offset 0x%zx runs past "
				       "the end of the file (0x%zx bytes)", i, at, len);
		if (bytes_all_zero(buf + at, FIP_UUID_LEN)) {
			*n = i;
			return 0;
		}
		if (i >= max)
			return err_set(e, ERR_INPUT, "FIP ToC has more than %zu entries", max);
		int rc = check_in_file(buf + at, i, len, e);
		if (rc)
			return rc;
	}
}

/* After the ToC; no byte shared with another non-empty payload, no UUID
 * shared with another entry. */
static int check_entry(const struct fip_entry *v, const uint8_t *buf, size_t i, uint64_t toc_end,
		       struct err *e)
{
	char a[64], b[64];
	size_t si = (size_t)(v[i].data - buf);
	fip_entry_label(v[i].uuid, a, sizeof a);
	if (v[i].len && si < toc_end)
		return err_set(e, ERR_INPUT, "FIP entry %zu (%s): offset 0x%zx is inside the ToC (which ends "
			       "at 0x%llx)", i, a, si, (unsigned long long)toc_end);
	for (size_t j = 0; j < i; j++) {
		size_t sj = (size_t)(v[j].data - buf);
		fip_entry_label(v[j].uuid, b, sizeof b);
		if (!memcmp(v[i].uuid, v[j].uuid, FIP_UUID_LEN))
			return err_set(e, ERR_INPUT, "FIP entry %zu (%s): same UUID as entry %zu", i, a, j);
		if (v[i].len && v[j].len && si < sj + v[j].len && sj < si + v[i].len)
			return err_set(e, ERR_INPUT, "FIP entry %zu (%s) [0x%zx, 0x%zx) overlaps entry %zu (%s) "
				       "[0x%zx, 0x%zx)", i, a, si, si + v[i].len, j, b, sj, sj + v[j].len);
	}
	return 0;
}

int fip_parse(const uint8_t *buf, size_t len, struct fip_entry *out, size_t max,
	      size_t *n_out, struct err *e)
{
	size_t n = 0;
	*n_out = 0;
	int rc = check_header(buf, len, e);
	if (rc || (rc = walk_toc(buf, len, max, &n, e)))
		return rc;
	uint64_t toc_end = FIP_HEADER_LEN + (uint64_t)FIP_ENTRY_LEN * (n + 1);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = buf + FIP_HEADER_LEN + i * FIP_ENTRY_LEN;
		memcpy(out[i].uuid, p, FIP_UUID_LEN);
		out[i].data = buf + le64_get(p, 16);
		out[i].len = (size_t)le64_get(p, 24);
		out[i].flags = le64_get(p, 32);
		if ((rc = check_entry(out, buf, i, toc_end, e)))
			return rc;
	}
	*n_out = n;
	return 0;
}
