#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/manifest.h"
#include "sign/kms.h"
#include "tests/helpers/testutil.h"

#define H64 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define XY H64 H64
#define IMAGE(extra) "format: stm32-sign-manifest/1\nrelease: r\nimages:\n- id: a\n  file: a.stm32\n  file_sha256: " H64 \
	"\n  header: \"2.2\"\n  binary_type: 0x10\n  image_version: 1\n  signed_range: [0x48, 0x300]\n  digest: " H64 \
	"\n  algorithm: ecdsa-p256-sha256\n  key:\n    uri: awskms:///alias/k\n    index: 0\n    public_key: " XY \
	"\n    table_hash: " H64 "\n" extra

#define H96 H64 "00112233445566778899aabbccddeeff"
#define IMAGE2(hdr, segs, alg, dig, digest, xy) "format: stm32-sign-manifest/2\nrelease: r\nimages:\n- id: a\n  file: a.stm32\n  file_sha256: " H64 \
	"\n  header: \"" hdr "\"\n  binary_type: 0x10\n  image_version: 1\n  load: 0x0e002600\n  entry: 0x0e003000\n  signed: " segs \
	"\n  digest_algorithm: " dig "\n  digest: " digest "\n  algorithm: " alg "\n  key:\n    uri: awskms:///alias/k\n    index: 0\n    public_key: " xy \
	"\n    table_hash: " H64 "\n"

static struct mf_image sample(const char *header, uint32_t algo)
{
	struct mf_image im = { .id = "fsbl-a", .file = "fsbl-a.prepared.stm32", .binary_type = 0x10,
			       .image_version = 3, .has_addresses = 1, .load = 0x0e002600,
			       .entry = 0x0e003000, .nsegs = 2, .key_uri = "awskms:///alias/k5",
			       .key_index = 5 };
	snprintf(im.header, sizeof im.header, "%s", header);
	im.segs[0] = (struct mf_seg){ 0x48, 0x78 };
	im.segs[1] = (struct mf_seg){ 0x80, 0x3a5f0 };
	im.key.algo = algo;
	memset(im.digest, 0xab, ecc_digest_len(algo));
	memset(im.file_sha256, 0xcd, 32);
	memset(im.table_hash, 0xef, 32);
	memset(im.key.xy, 0x42, ecc_xy_len(algo));
	return im;
}

Test(manifest, write_then_read_gives_back_every_field_of_a_p384_image)
{
	struct manifest m, back;
	struct mf_image im = sample("2.3", ECC_P384);
	manifest_init(&m);
	cr_assert_eq(manifest_add(&m, &im, NULL), 0);
	const char *dir = tmpdir_new();
	struct err e = { 0 };
	cr_assert_eq(manifest_write(&m, pjoin(dir, "m.yaml"), &e), 0, "%s", e.msg);
	cr_assert_eq(manifest_read(pjoin(dir, "m.yaml"), &back, &e), 0, "%s", e.msg);
	cr_expect_eq(memcmp(&back.images[0], &im, sizeof im), 0);
	size_t len;
	char *text = (char *)read_file(pjoin(dir, "m.yaml"), &len);
	cr_expect(strstr(text, "signed: [[0x48, 0x78], [0x80, 0x3a5f0]]") != NULL, "%s", text);
	cr_expect(strstr(text, "digest_algorithm: sha384") != NULL, "%s", text);
	free(text);
	manifest_free(&m);
	manifest_free(&back);
	tmpdir_rm(dir);
}

Test(manifest, regression_a_format_1_manifest_of_a_v22_image_is_refused_before_anything_is_signed)
{
	struct manifest m;
	struct err e = { 0 };
	const char *doc = IMAGE("");
	cr_expect_eq(manifest_parse((const uint8_t *)doc, strlen(doc), "m.yaml", &m, &e), ERR_INPUT);
	cr_expect(strstr(e.msg, "m.yaml: image a: a format 1 manifest signs header 2.2 over 0x78..0x7F") != NULL, "%s", e.msg);
}

Test(manifest, a_format_1_manifest_still_reads_as_one_segment)
{
	struct manifest m;
	struct err e = { 0 };
	char doc[2048];
	snprintf(doc, sizeof doc, "%s", IMAGE(""));
	memcpy(strstr(doc, "header: \"2.2\""), "header: \"2.0\"", 13);
	cr_assert_eq(manifest_parse((const uint8_t *)doc, strlen(doc), "m.yaml", &m, &e), 0, "%s", e.msg);
	cr_expect_eq(m.images[0].nsegs, 1);
	cr_expect_eq(m.images[0].segs[0].start, 0x48);
	cr_expect_eq(m.images[0].segs[0].end, 0x300);
	cr_expect_eq(m.images[0].has_addresses, 0);
	manifest_free(&m);
}

Test(manifest, write_then_read_gives_back_every_field)
{
	struct manifest m, back;
	struct mf_image im = sample("2.2", ECC_P256);
	manifest_init(&m);
	snprintf(m.release, sizeof m.release, "2026.11-rc1 \"quoted\": yes");
	cr_assert_eq(manifest_add(&m, &im, NULL), 0);
	const char *dir = tmpdir_new();
	struct err e = { 0 };
	cr_assert_eq(manifest_write(&m, pjoin(dir, "m.yaml"), &e), 0, "%s", e.msg);
	cr_assert_eq(manifest_read(pjoin(dir, "m.yaml"), &back, &e), 0, "%s", e.msg);
	cr_expect_str_eq(back.release, m.release);
	cr_expect_eq(back.n, 1);
	cr_expect_eq(memcmp(&back.images[0], &im, sizeof im), 0);
	manifest_free(&m);
	manifest_free(&back);
	tmpdir_rm(dir);
}

struct bad_doc {
	char name[48];
	char text[1200];
	char msg[96];
};

static struct bad_doc bad_docs[] = {
	{ "format_1_v22_manifest_is_refused", IMAGE(""), "a format 1 manifest signs header 2.2" },
	{ "unknown_field", IMAGE("  colour: red\n"), "image a: line 18: unknown field 'colour'" },
	{ "duplicate_key", IMAGE("  digest: " H64 "\n"), "duplicate key 'digest'" },
	{ "short_digest", "format: stm32-sign-manifest/1\nimages:\n- id: a\n  file: a\n  file_sha256: " H64 "\n  header: \"2.0\"\n  binary_type: 0\n  image_version: 0\n  signed_range: [0x48, 0x300]\n  algorithm: ecdsa-p256-sha256\n  digest: 0011\n", "image a: line 11: 'digest' must be 64 hex digits" },
	{ "non_hex_digest", "format: stm32-sign-manifest/1\nimages:\n- id: a\n  file: a\n  file_sha256: zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", "'file_sha256' must be 64 hex digits" },
	{ "missing_field", "format: stm32-sign-manifest/1\nimages:\n- id: a\n", "image a: missing field 'file'" },
	{ "wrong_type", "format: stm32-sign-manifest/1\nimages: {a: 1}\n", "'images' must be a list" },
	{ "alias", "format: stm32-sign-manifest/1\nx: &a [1]\nimages: *a\n", "anchors are not accepted" },
	{ "bad_id", "format: stm32-sign-manifest/1\nimages:\n- id: ../x\n", "id '../x' must be" },
	{ "another_format", "format: stm32-sign-manifest/4\nimages: []\n", "format 'stm32-sign-manifest/4' is not" },
	{ "valid_format_2_p384", IMAGE2("2.3", "[[0x68, 0x98], [0xa0, 0x1440]]", "ecdsa-p384-sha384", "sha384", H96, H96 H96), "" },
	{ "digest_algorithm_that_does_not_go_with_the_curve", IMAGE2("2.3", "[[0x68, 0x98], [0xa0, 0x1440]]", "ecdsa-p384-sha384", "sha256", H96, H96 H96), "digest_algorithm 'sha256' does not go with ecdsa-p384-sha384" },
	{ "p384_digest_of_32_bytes", IMAGE2("2.3", "[[0x68, 0x98], [0xa0, 0x1440]]", "ecdsa-p384-sha384", "sha384", H64, H96 H96), "'digest' must be 96 hex digits" },
	{ "overlapping_segments", IMAGE2("2.2", "[[0x48, 0x80], [0x78, 0x1440]]", "ecdsa-p256-sha256", "sha256", H64, XY), "signed segments overlap or are out of order" },
	{ "empty_segment", IMAGE2("2.2", "[[0x48, 0x48]]", "ecdsa-p256-sha256", "sha256", H64, XY), "is empty" },
	{ "unknown_header", IMAGE2("2.1", "[[0x48, 0x1440]]", "ecdsa-p256-sha256", "sha256", H64, XY), "header '2.1' is not 1.0, 2.0, 2.2 or 2.3" },
	{ "not_yaml", "format: [\n", "YAML error" },
	{ "two_documents", "format: stm32-sign-manifest/1\nimages: []\n---\nformat: x\n", "more than one YAML document" },
	{ "deep_nesting", "a: [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]\n", "nested deeper than 16" },
};

ParameterizedTestParameters(manifest_bad, is_refused_with_its_line_and_field)
{
	return cr_make_param_array(struct bad_doc, bad_docs, sizeof bad_docs / sizeof bad_docs[0]);
}

ParameterizedTest(struct bad_doc *c, manifest_bad, is_refused_with_its_line_and_field)
{
	struct manifest m;
	struct err e = { 0 };
	int rc = manifest_parse((const uint8_t *)c->text, strlen(c->text), "m.yaml", &m, &e);
	if (!c->msg[0]) {
		cr_expect_eq(rc, 0, "%s: %s", c->name, e.msg);
		if (!rc)
			manifest_free(&m);
		return;
	}
	cr_expect_eq(rc, ERR_INPUT, "%s accepted", c->name);
	cr_expect(strstr(e.msg, c->msg) != NULL, "%s: '%s' lacks '%s'", c->name, e.msg, c->msg);
}

Test(manifest_bad, very_long_scalar_is_refused)
{
	static char doc[10000];
	int n = snprintf(doc, sizeof doc, "format: ");
	memset(doc + n, 'x', 6000);
	struct manifest m;
	struct err e = { 0 };
	cr_expect_eq(manifest_parse((const uint8_t *)doc, strlen(doc), "m.yaml", &m, &e), ERR_INPUT);
	cr_expect(strstr(e.msg, "longer than 4096") != NULL, "%s", e.msg);
}

struct klass {
	long status;
	char type[40];
	int expect;
};

static struct klass klasses[] = {
	{ 400, "ThrottlingException", KMS_RETRY },      { 500, "KMSInternalException", KMS_RETRY },
	{ 503, "", KMS_RETRY },                         { 429, "", KMS_RETRY },
	{ 400, "DependencyTimeoutException", KMS_RETRY }, { 400, "KeyUnavailableException", KMS_RETRY },
	{ 400, "ExpiredTokenException", KMS_REFRESH },  { 400, "AccessDeniedException", KMS_FATAL },
	{ 400, "NotFoundException", KMS_FATAL },        { 400, "DisabledException", KMS_FATAL },
	{ 400, "KMSInvalidStateException", KMS_FATAL }, { 400, "InvalidKeyUsageException", KMS_FATAL },
	{ 400, "ValidationException", KMS_FATAL },      { 400, "InvalidSignatureException", KMS_FATAL },
	{ 400, "UnrecognizedClientException", KMS_FATAL }, { 400, "IncompleteSignatureException", KMS_FATAL },
};

ParameterizedTestParameters(kms, classifies_errors_as_the_spec_says)
{
	return cr_make_param_array(struct klass, klasses, sizeof klasses / sizeof klasses[0]);
}

ParameterizedTest(struct klass *k, kms, classifies_errors_as_the_spec_says)
{
	cr_expect_eq((int)kms_classify(k->status, k->type), k->expect, "%ld %s", k->status, k->type);
}

static struct mf_image cert_entry(int root)
{
	struct mf_image im = { .kind = MF_KIND_TBBR_CERT, .fip = "fip", .key_uri = "awskms:///alias/tw" };
	snprintf(im.id, sizeof im.id, "fip.%s", root ? "trusted_key" : "tos_fw_key");
	snprintf(im.cert, sizeof im.cert, "%s", root ? "trusted_key" : "tos_fw_key");
	snprintf(im.role, sizeof im.role, "%s", root ? "root" : "trusted-world");
	snprintf(im.file, sizeof im.file, "%s.tbs", im.id);
	im.key.algo = ECC_P256;
	memset(im.digest, root ? 0x11 : 0x22, 32);
	memcpy(im.file_sha256, im.digest, 32);
	memset(im.key.xy, 0x42, 64);
	im.has_key_index = root;
	im.key_index = root ? 5 : 0;
	if (root)
		memset(im.table_hash, 0xef, 32);
	return im;
}

Test(manifest, format_3_carries_tf_a_certificates_and_their_fip_and_reads_back)
{
	const char *dir = tmpdir_new();
	struct manifest m, back;
	manifest_init(&m);
	struct err e = { 0 };
	struct mf_image fsbl = sample("2.2", ECC_P256), root = cert_entry(1), tw = cert_entry(0);
	struct mf_fip f = { .id = "fip", .chain = "stm32mp2", .fsbl = "fsbl-a", .nv_trusted = 7, .nv_non_trusted = 8,
			    .nimages = 1 };
	snprintf(f.images[0].name, sizeof f.images[0].name, "bl33");
	snprintf(f.images[0].file, sizeof f.images[0].file, "fip.bl33.bin");
	memset(f.images[0].sha256, 0x33, 32);
	cr_assert_eq(manifest_add(&m, &fsbl, &e) || manifest_add(&m, &root, &e) || manifest_add(&m, &tw, &e) ||
		     manifest_add_fip(&m, &f, &e), 0, "%s", e.msg);
	cr_assert_eq(manifest_write(&m, pjoin(dir, "m.yaml"), &e), 0, "%s", e.msg);
	size_t len;
	char *text = (char *)read_file(pjoin(dir, "m.yaml"), &len);
	cr_assert(strstr(text, "format: stm32-sign-manifest/3\n"), "%s", text);
	cr_assert(strstr(text, "kind: tbbr-cert"), "%s", text);
	free(text);
	cr_assert_eq(manifest_read(pjoin(dir, "m.yaml"), &back, &e), 0, "%s", e.msg);
	cr_assert_eq(back.n, 3);
	const struct mf_image *r = manifest_find(&back, "fip.trusted_key"), *t = manifest_find(&back, "fip.tos_fw_key");
	cr_assert(r && t);
	cr_assert(r->kind == MF_KIND_TBBR_CERT && r->has_key_index && r->key_index == 5 && !strcmp(r->role, "root"));
	cr_assert(!t->has_key_index && !strcmp(t->cert, "tos_fw_key") && !strcmp(t->fip, "fip"));
	cr_assert(!memcmp(r->digest, root.digest, 32) && pubkey_equal(&r->key, &root.key));
	cr_assert_eq(manifest_find(&back, "fsbl-a")->kind, MF_KIND_STM32);
	const struct mf_fip *bf = manifest_find_fip(&back, "fip");
	cr_assert(bf && bf->nv_trusted == 7 && bf->nv_non_trusted == 8 && bf->nimages == 1 && !strcmp(bf->fsbl, "fsbl-a"));
	cr_assert(!strcmp(bf->images[0].file, "fip.bl33.bin") && bf->images[0].sha256[0] == 0x33);
	manifest_free(&m);
	manifest_free(&back);
	tmpdir_rm(dir);
}

Test(manifest, a_manifest_of_stm32_images_alone_is_still_written_as_format_2)
{
	const char *dir = tmpdir_new();
	struct manifest m;
	manifest_init(&m);
	struct err e = { 0 };
	struct mf_image fsbl = sample("2.2", ECC_P256);
	cr_assert_eq(manifest_add(&m, &fsbl, &e), 0);
	cr_assert_eq(manifest_write(&m, pjoin(dir, "m.yaml"), &e), 0, "%s", e.msg);
	size_t len;
	char *text = (char *)read_file(pjoin(dir, "m.yaml"), &len);
	cr_assert(strstr(text, "format: stm32-sign-manifest/2\n"), "%s", text);
	free(text);
	manifest_free(&m);
	tmpdir_rm(dir);
}

Test(manifest_bad, a_certificate_entry_in_a_format_2_manifest_is_refused)
{
	const char *doc = "format: stm32-sign-manifest/2\nrelease: r\nimages:\n- id: fip.trusted_key\n  kind: tbbr-cert\n";
	struct manifest m;
	struct err e = { 0 };
	cr_assert_eq(manifest_parse((const uint8_t *)doc, strlen(doc), "m.yaml", &m, &e), ERR_INPUT);
	cr_assert(strstr(e.msg, "'kind' needs format stm32-sign-manifest/3"), "%s", e.msg);
}

Test(manifest_bad, a_certificate_name_that_would_leave_the_output_directory_is_refused)
{
	const char *doc = "format: stm32-sign-manifest/3\nrelease: r\nimages:\n- id: fip.x\n  kind: tbbr-cert\n  fip: fip\n"
			  "  certificate: ../../x\n  role: root\n  file: a.tbs\n  file_sha256: " H64 "\n  digest_algorithm: sha256\n"
			  "  digest: " H64 "\n  algorithm: ecdsa-p256-sha256\n  key:\n    uri: file:k\n    public_key: " XY "\n";
	struct manifest m;
	struct err e = { 0 };
	cr_assert_eq(manifest_parse((const uint8_t *)doc, strlen(doc), "m.yaml", &m, &e), ERR_INPUT);
	cr_assert(strstr(e.msg, "image fip.x: fip, certificate and role must be 1-63 of"), "%s", e.msg);
}
