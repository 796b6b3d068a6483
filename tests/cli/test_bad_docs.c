/* Bad input to stm32-assemble, kms-sign-digest and stm32-inspect: each case
 * checks the exit code, a message naming the file, image and field, that no
 * file appears and that every input is left untouched. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers/testutil.h"

struct bad {
	char name[64];
	char setup[360]; /* shell in the test directory: m.yaml, s.yaml, a.prepared.stm32, b.prepared.stm32 */
	char cmd[200];
	int code;
	char msg[140];
};

#define ASM "stm32-assemble m.yaml s.yaml --out-dir signed"
#define SIGN "kms-sign-digest m.yaml -o new.yaml"
/* edit the first line matching a pattern in a document */
#define ED(file, from, to) "sed -i '0,/" from "/s//" to "/' " file

static struct bad cases[] = {
	/* the signatures document */
	{ "sigs_wrong_format", ED("s.yaml", "stm32-sign-signatures\\/2", "other\\/1"), ASM, 3, "s.yaml: format 'other/1' is not stm32-sign-signatures/2" },
	{ "sigs_missing_manifest_hash", "sed -i '/^manifest_sha256/d' s.yaml", ASM, 3, "s.yaml: missing field 'manifest_sha256'" },
	{ "sigs_short_manifest_hash", ED("s.yaml", "manifest_sha256: ..", "manifest_sha256: "), ASM, 3, "'manifest_sha256' must be 64 hex digits" },
	{ "sigs_non_hex_digest", ED("s.yaml", "  digest: .", "  digest: g"), ASM, 3, "s.yaml: image a: line 8: 'digest' must be 64 hex digits" },
	{ "sigs_long_digest", ED("s.yaml", "  digest: ", "  digest: 00"), ASM, 3, "image a: line 8: 'digest' must be 64 hex digits" },
	{ "sigs_short_raw_signature", ED("s.yaml", "  signature: ....", "  signature: "), ASM, 3, "image a: signature" },
	{ "sigs_raw_and_der_disagree", "b=$(grep '^  signature: ' s.yaml | tail -1 | cut -d' ' -f4) && sed -i \"0,/^  signature: .*/s//  signature: $b/\" s.yaml", ASM, 3, "image a: signature and signature_der disagree" },
	{ "sigs_der_with_trailing_bytes", "sed -i '0,/  signature: /{/  signature: /d}' s.yaml && " ED("s.yaml", "  signature_der: \\(.*\\)", "  signature_der: \\1AAAA"), ASM, 3, "image a: signature" },
	{ "sigs_signature_not_base64_or_hex", "sed -i '0,/  signature: /{/  signature: /d}' s.yaml && " ED("s.yaml", "  signature_der: .*", "  signature_der: zz!!"), ASM, 3, "image a: signature is neither hex nor base64" },
	{ "sigs_no_signature_at_all", "sed -i '0,/  signature: /{/  signature: /d}' s.yaml && sed -i '0,/  signature_der: /{/  signature_der: /d}' s.yaml", ASM, 3, "image a: no signature (signature or signature_der)" },
	{ "sigs_duplicate_image", "awk '/^- id: a/{p=1} /^- id: b/{p=0} p' s.yaml > t && cat t >> s.yaml && rm t", ASM, 3, "duplicate signature for image 'a'" },
	{ "sigs_unknown_field", ED("s.yaml", "  signer: ", "  colour: red\\n  signer: "), ASM, 3, "image a: line 10: unknown field 'colour'" },
	{ "sigs_complete_is_not_boolean", ED("s.yaml", "complete: true", "complete: maybe"), ASM, 3, "complete must be true or false" },
	{ "sigs_incomplete_run", ED("s.yaml", "complete: true", "complete: false"), ASM, 1, "s.yaml is incomplete (an interrupted signing run)" },
	{ "sigs_missing_one_image", "awk '/^- id: b/{exit} {print}' s.yaml > t && mv t s.yaml", ASM, 1, "image b: no signature in s.yaml" },
	{ "sigs_extra_image", "sed 's/^- id: b/- id: c/' s.yaml | awk '/^- id: c/{p=1} p' > t && cat t >> s.yaml && rm t", ASM, 1, "s.yaml: image c is not in the manifest" },
	{ "sigs_yaml_alias", ED("s.yaml", "^release: .*", "release: \\&r x\\nx: *r"), ASM, 3, "anchors are not accepted" },
	{ "sigs_yaml_syntax_error", "echo '  - : [' >> s.yaml", ASM, 3, "s.yaml:" },
	{ "sigs_empty_file", ": > s.yaml", ASM, 3, "s.yaml: empty document" },
	{ "sigs_is_a_directory", "rm s.yaml && mkdir s.yaml", ASM, 3, "s.yaml: not a regular file" },
	{ "sigs_is_a_device", "true", "stm32-assemble m.yaml /dev/null --out-dir signed", 3, "/dev/null: not a regular file" },
	{ "sigs_missing", "rm s.yaml", ASM, 4, "s.yaml: cannot open" },
	{ "sigs_for_another_manifest", "true", "stm32-assemble m2.yaml s.yaml --out-dir signed", 1, "s.yaml answers another manifest" },
	/* the manifest, as the assembler and the signer read it */
	{ "manifest_unknown_field", ED("m.yaml", "  header: ", "  colour: red\\n  header: "), SIGN, 3, "m.yaml: image a: line 7: unknown field 'colour'" },
	{ "manifest_wrong_algorithm", ED("m.yaml", "ecdsa-p256-sha256", "rsa-pss"), SIGN, 3, "image a: algorithm 'rsa-pss' is not" },
	{ "manifest_header_version", ED("m.yaml", "header: \"2.2\"", "header: \"2.1\""), SIGN, 3, "image a: header '2.1' is not 1.0, 2.0, 2.2 or 2.3" },
	{ "manifest_key_index_above_7", ED("m.yaml", "    index: 1", "    index: 8"), SIGN, 3, "image a: key: line 18: 'index' is '8'" },
	{ "manifest_public_key_short", ED("m.yaml", "public_key: ..", "public_key: "), SIGN, 3, "image a: key: line 19: 'public_key' must be 128 hex digits" },
	{ "manifest_empty_range", ED("m.yaml", "signed: \\[\\[0x48, 0x78\\]", "signed: [[0x48, 0x48]"), SIGN, 3, "image a: line 12: signed segment [0x48, 0x48) is empty" },
	{ "manifest_range_not_a_pair", ED("m.yaml", "signed: \\[\\[0x48, ", "signed: [[0x48, 1, "), SIGN, 3, "image a: line 12: a signed segment must be [start, end]" },
	{ "manifest_binary_type_wide", ED("m.yaml", "binary_type: 0x0", "binary_type: 0x100"), SIGN, 3, "image a: line 8: 'binary_type' is '0x100'" },
	{ "manifest_negative_number", ED("m.yaml", "image_version: 0", "image_version: -1"), SIGN, 3, "image a: line 9: 'image_version' is '-1'" },
	{ "manifest_unknown_key_scheme", ED("m.yaml", "uri: file:.*", "uri: ibmkms:\\/\\/x"), SIGN, 2, "image a: key URI 'ibmkms://x': scheme must be awskms://, gcpkms://, azurekms://, hashivault://, openbao://, pkcs11: or file:" },
	{ "manifest_duplicate_id", ED("m.yaml", "- id: b", "- id: a"), SIGN, 3, "m.yaml: duplicate image id 'a'" },
	{ "manifest_wrong_format", ED("m.yaml", "stm32-sign-manifest\\/2", "stm32-sign-manifest\\/9"), SIGN, 3, "format 'stm32-sign-manifest/9' is not stm32-sign-manifest/2" },
	{ "manifest_empty", ": > m.yaml", SIGN, 3, "m.yaml: empty document" },
	{ "manifest_is_a_directory", "rm m.yaml && mkdir m.yaml", SIGN, 3, "m.yaml: not a regular file" },
	{ "manifest_key_not_the_signers", ED("m.yaml", "public_key: .*", "public_key: " "abababababababababababababababababababababababababababababababababababababababababababababababababababababababababababababababab"), SIGN, 1, "image a: key file:" },
	{ "manifest_file_escapes_with_dotdot", ED("m.yaml", "file: a.prepared.stm32", "file: ..\\/a.prepared.stm32") " && kms-sign-digest -q m.yaml -o s.yaml", ASM, 3, "image a: file: '../a.prepared.stm32' escapes its directory" },
	{ "manifest_file_absolute", ED("m.yaml", "file: a.prepared.stm32", "file: \\/etc\\/hostname") " && kms-sign-digest -q m.yaml -o s.yaml", ASM, 3, "image a: file: '/etc/hostname' is absolute" },
	{ "manifest_file_through_symlink", "ln -s /etc/hostname link.stm32 && " ED("m.yaml", "file: a.prepared.stm32", "file: link.stm32") " && kms-sign-digest -q m.yaml -o s.yaml", ASM, 3, "image a: file: 'link.stm32' resolves to /etc/hostname" },
	{ "manifest_file_missing", "rm a.prepared.stm32", ASM, 4, "image a: file: 'a.prepared.stm32': No such file" },
	/* outputs */
	{ "out_dir_is_a_file", "touch signed", ASM, 4, "signed: cannot create" },
	{ "full_disk_for_the_signed_image", "true", "ulimit -f 4; " ASM, 4, "write failed: File too large" },
	{ "prep_full_disk", "head -c 100000 /dev/urandom > p.bin", "ulimit -f 8; stm32-prep -q --soc stm32mp25 p.bin -o out.stm32", 4, "write failed: File too large" },
	/* images given to stm32-inspect */
	{ "inspect_empty_file", ": > e.stm32", "stm32-inspect e.stm32", 3, "e.stm32: truncated" },
	{ "inspect_directory", "mkdir d.stm32", "stm32-inspect d.stm32", 3, "d.stm32: not a regular file" },
	{ "inspect_device", "true", "stm32-inspect /dev/zero", 3, "/dev/zero: not a regular file" },
	{ "inspect_nb_pk_zero", "cp a.prepared.stm32 x.stm32 && printf '\\000' | dd of=x.stm32 bs=1 seek=$((0x8c)) conv=notrunc status=none", "stm32-inspect x.stm32", 3, "nb_pk at 0x8c is 0, expected 1 to 8" },
	{ "inspect_nb_pk_nine", "cp a.prepared.stm32 x.stm32 && printf '\\011' | dd of=x.stm32 bs=1 seek=$((0x8c)) conv=notrunc status=none", "stm32-inspect x.stm32", 3, "nb_pk at 0x8c is 9, expected 1 to 8" },
	{ "inspect_pk_idx_out_of_range", "cp a.prepared.stm32 x.stm32 && printf '\\002' | dd of=x.stm32 bs=1 seek=$((0x88)) conv=notrunc status=none", "stm32-inspect x.stm32", 3, "pk_idx at 0x88 is 2, must be below nb_pk 2" },
	{ "inspect_ecc_algo_unknown", "cp a.prepared.stm32 x.stm32 && printf '\\003' | dd of=x.stm32 bs=1 seek=$((0x90)) conv=notrunc status=none", "stm32-inspect x.stm32", 3, "ECDSA algorithm at 0x90 is 3: header 2.2 takes P-256, brainpoolP256t1" },
	{ "inspect_ext_len_overflow", "cp a.prepared.stm32 x.stm32 && printf '\\377\\377\\377\\377' | dd of=x.stm32 bs=1 seek=$((0x68)) conv=notrunc status=none", "stm32-inspect x.stm32", 3, "extension headers length at 0x68 is 0xffffffff" },
	{ "inspect_length_overflows_32_bits", "cp a.prepared.stm32 x.stm32 && printf '\\377\\377\\377\\377' | dd of=x.stm32 bs=1 seek=$((0x4c)) conv=notrunc status=none", "stm32-inspect x.stm32", 3, "runs to 0x1000001ff, past the end of the file" },
	{ "inspect_otp_not_hex_or_file", "true", "stm32-inspect --otp 12zz a.prepared.stm32", 2, "--otp '12zz' is neither 64 hex digits nor a readable 32-byte file" },
	{ "inspect_otp_file_of_wrong_size", "head -c 31 /dev/zero > otp.bin", "stm32-inspect --otp otp.bin a.prepared.stm32", 3, "--otp file otp.bin holds 31 bytes, expected 32" },
	/* the command lines */
	{ "sign_jobs_out_of_range", "true", "kms-sign-digest --jobs 0 m.yaml -o x.yaml", 2, "--jobs takes 1 to 256" },
	{ "sign_missing_output", "true", "kms-sign-digest m.yaml", 2, "missing -o SIGNATURES" },
	{ "assemble_missing_out_dir", "true", "stm32-assemble m.yaml s.yaml", 2, "missing --out-dir DIR" },
	{ "assemble_unknown_option", "true", "stm32-assemble --frobnicate m.yaml s.yaml --out-dir x", 2, "unknown or incomplete option" },
};

ParameterizedTestParameters(bad_docs, are_refused_with_a_named_message_and_nothing_changes)
{
	return cr_make_param_array(struct bad, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct bad *c, bad_docs, are_refused_with_a_named_message_and_nothing_changes)
{
	const char *dir = tmpdir_new();
	const char *k = fixture("fixtures/keys");
	struct run r = run_cmd(
		"cd %s && head -c 3000 /dev/urandom > pa && head -c 4000 /dev/urandom > pb && "
		"printf 'format: stm32-release/1\\nkeysets:\\n  k: [%s/k0.pub.pem, %s/k1.pub.pem]\\nimages:\\n"
		"  - {id: a, input: pa, soc: stm32mp25, keyset: k, key_index: 1, key_uri: \"file:%s/k1.pem\"}\\n"
		"  - {id: b, input: pb, soc: stm32mp25, keyset: k, key_index: 1, key_uri: \"file:%s/k1.pem\"}\\n' > rel.yaml && "
		"sed -i 's|%s/|keys/|g' rel.yaml && mkdir keys && cp %s/k0.pub.pem %s/k1.pub.pem %s/k1.pem keys/ && "
		"stm32-prep -q --release rel.yaml --out-dir . && mv manifest.yaml m.yaml && kms-sign-digest -q m.yaml -o s.yaml 2>/dev/null && "
		"cp m.yaml m2.yaml && sed -i 's/^release: .*/release: \"other\"/' m2.yaml && %s && "
		"find . -type f | sort | xargs sha256sum > %s.before && find . | sort > %s.names",
		dir, k, k, k, k, k, k, k, k, c->setup, dir, dir);
	cr_assert_eq(r.code, 0, "%s: setup failed: %s%s", c->name, r.out, r.err);
	run_free(&r);
	r = run_cmd("cd %s && %s", dir, c->cmd);
	cr_expect_eq(r.code, c->code, "%s: exit %d, expected %d: %s", c->name, r.code, c->code, r.err);
	cr_expect(strstr(r.err, c->msg) != NULL, "%s: message\n  %s\nlacks\n  %s", c->name, r.err, c->msg);
	run_free(&r);
	r = run_cmd("cd %s && find . -type f | sort | xargs sha256sum | diff %s.before - && find . | sort | diff %s.names - && rm %s.before %s.names",
		    dir, dir, dir, dir, dir);
	cr_expect_eq(r.code, 0, "%s: a file appeared or an input changed:\n%s", c->name, r.out);
	run_free(&r);
	tmpdir_rm(dir);
}
