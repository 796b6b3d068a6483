/* Bad input to stm32-prep and stm32-inspect: each case names what is wrong,
 * exits with its documented code, and writes no output file. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers/testutil.h"

struct bad {
	char name[64];
	char setup[520];  /* shell, run in the test directory; $G golden v2.2, $V golden v1.0, $K keys */
	char cmd[400];    /* the tool and its arguments */
	int code;
	char msg[160];    /* a fragment the message must contain */
};

#define P22 "stm32-prep -q --header 2.2 "
#define KEYS8 "--pubkey $K/k0.pub.pem --pubkey $K/k1.pub.pem --pubkey $K/k2.pub.pem --pubkey $K/k3.pub.pem " \
	      "--pubkey $K/k4.pub.pem --pubkey $K/k5.pub.pem --pubkey $K/k6.pub.pem --pubkey $K/k7.pub.pem "
#define POKE(off, hex) "cp $G in.stm32 && chmod u+w in.stm32 && printf '" hex "' | dd of=in.stm32 bs=1 seek=$((" off ")) conv=notrunc status=none"
#define REL(body) "printf 'format: stm32-release/1\\nkeysets:\\n  k: [k0.pub.pem]\\nimages:\\n" body "' > rel.yaml && cp $K/k0.pub.pem . && head -c 64 /dev/urandom > p.bin"

static struct bad cases[] = {
	{ "truncated_stm32_input", "head -c 100 $G > in.stm32", "stm32-prep in.stm32 -o out.stm32", 3,
	  "in.stm32 (an .stm32 input): truncated" },
	{ "bad_magic_is_named_by_inspect", POKE("0", "XTM2"), "stm32-inspect in.stm32", 3, "in.stm32: magic at 0x00" },
	{ "unknown_header_version", POKE("0x48", "\\000\\000\\003\\000"), "stm32-prep in.stm32 -o out.stm32", 3,
	  "header version at 0x48 is 0x00030000" },
	{ "nonzero_reserved_word", POKE("0x54", "\\001"), "stm32-prep in.stm32 -o out.stm32", 3,
	  "reserved word at 0x54 is 0x00000001, expected 0" },
	{ "nonzero_reserved_bytes_at_0x70", POKE("0x77", "\\001"), "stm32-prep in.stm32 -o out.stm32", 3,
	  "reserved byte at 0x77 is 0x01" },
	{ "extension_chain_shorter_than_ext_len", POKE("0x84", "\\000\\001"), "stm32-prep in.stm32 -o out.stm32", 3,
	  "padding extension at 0x80 is not the last one" },
	{ "extension_length_past_ext_len", POKE("0x84", "\\000\\002"), "stm32-prep in.stm32 -o out.stm32", 3,
	  "extension at 0x80: length 0x200 out of range" },
	{ "zero_length_extension", POKE("0x84", "\\000\\000"), "stm32-inspect in.stm32", 3,
	  "extension at 0x80: length 0x0 out of range" },
	{ "unknown_extension_type", POKE("0x82", "\\000\\007"), "stm32-inspect in.stm32", 3,
	  "extension at 0x80 has unknown type 53 54 00 07" },
	{ "image_length_past_end_of_file", POKE("0x4c", "\\377\\377\\377\\000"), "stm32-prep in.stm32 -o out.stm32", 3,
	  "image length at 0x4c is 0xffffff" },
	{ "flags_disagree_with_extensions", POKE("0x64", "\\001"), "stm32-inspect in.stm32", 3,
	  "extension flags at 0x64 are 0x80000001 but the extensions present are padding" },
	{ "v1_padding_not_zero", "cp $V in.stm32 && chmod u+w in.stm32 && printf '\\001' | dd of=in.stm32 bs=1 seek=$((0xc0)) conv=notrunc status=none",
	  "stm32-inspect in.stm32", 3, "reserved byte at 0xc0 is 0x01, expected 0" },
	{ "encrypted_fsbl_input_is_refused", POKE("0x64", "\\002\\000\\000\\200") " && printf 'ST\\000\\001\\040\\000\\000\\000' | dd of=in.stm32 bs=1 seek=$((0x80)) conv=notrunc status=none && printf '\\200' | dd of=in.stm32 bs=1 seek=$((0x88)) conv=notrunc status=none && printf 'ST\\377\\377\\140\\001' | dd of=in.stm32 bs=1 seek=$((0xa0)) conv=notrunc status=none",
	  "stm32-prep in.stm32 -o out.stm32", 3, "encrypted FSBL" },
	{ "signed_input_is_refused", POKE("0x10", "\\001"), "stm32-prep in.stm32 -o out.stm32", 3, "already signed" },
	{ "raw_payload_needs_a_header_version", "head -c 64 /dev/urandom > p.bin", "stm32-prep p.bin -o out.stm32", 2,
	  "p.bin: a raw payload needs --header or --soc" },
	{ "missing_input_file", "true", P22 "nothing.bin -o out.stm32", 4, "nothing.bin: cannot open" },
	{ "public_key_not_on_the_curve", "head -c 64 /dev/urandom > p.bin", P22 "--pubkey $K/offcurve.pub.pem p.bin -o out.stm32", 3,
	  "offcurve.pub.pem: not a PEM or DER EC public key (or its point is not on its curve)" },
	{ "p384_key_in_a_v22_table", "head -c 64 /dev/urandom > p.bin", P22 "--pubkey $K/p384.pub.pem p.bin -o out.stm32", 2,
	  "header 2.2 does not take P-384 keys (it takes P-256, brainpoolP256t1)" },
	{ "public_key_of_a_curve_no_rom_knows", "openssl ecparam -name secp521r1 -genkey -noout 2>/dev/null | openssl pkey -pubout > p521.pem && head -c 64 /dev/urandom > p.bin",
	  "stm32-prep --header 2.3 --pubkey p521.pem p.bin -o out.stm32", 3, "p521.pem: key is on curve secp521r1" },
	{ "more_than_eight_keys", "head -c 64 /dev/urandom > p.bin", P22 KEYS8 "--pubkey $K/k0.pub.pem p.bin -o out.stm32", 2,
	  "more than 8 --pubkey" },
	{ "key_index_out_of_range", "head -c 64 /dev/urandom > p.bin", P22 "--pubkey $K/k0.pub.pem --pubkey $K/k1.pub.pem --key-index 2 p.bin -o out.stm32", 2,
	  "key index 2 out of range: 2 key(s) in the table" },
	{ "v1_takes_one_key", "head -c 64 /dev/urandom > p.bin", "stm32-prep --header 1.0 --pubkey $K/k0.pub.pem --pubkey $K/k1.pub.pem p.bin -o out.stm32", 2,
	  "header 1.0 takes exactly 1 public key, got 2" },
	{ "mixed_curves_in_one_table", "head -c 64 /dev/urandom > p.bin", P22 "--pubkey $K/k0.pub.pem --pubkey $K/bp0.pub.pem p.bin -o out.stm32", 2,
	  "public key 1 is brainpoolP256t1 but key 0 is P-256" },
	{ "unknown_header_option_value", "head -c 64 /dev/urandom > p.bin", "stm32-prep --header 2.4 p.bin -o out.stm32", 2,
	  "--header '2.4' is not 1.0, 2.0, 2.2 or 2.3" },
	{ "header_2_1_is_refused_by_name", "head -c 64 /dev/urandom > p.bin", "stm32-prep --header 2.1 p.bin -o out.stm32", 2,
	  "header 2.1 (STM32N6 rev Z engineering samples) is not supported: use 2.3" },
	{ "header_2_1_image_is_refused_by_name", "true", "stm32-inspect $STM32_TESTS/vectors/st-signed/out/v21_p256.stm32", 3,
	  "header 2.1 (STM32N6 rev Z engineering samples) is not supported" },
	{ "payload_offset_inside_the_header", "head -c 64 /dev/urandom > p.bin", "stm32-prep --header 2.3 --payload-offset 0x100 p.bin -o out.stm32", 2,
	  "p.bin: payload offset 0x100 is inside the 0x240-byte header" },
	{ "address_that_is_not_a_number", "head -c 64 /dev/urandom > p.bin", P22 "--load 0x1g p.bin -o out.stm32", 2,
	  "--load '0x1g' is not a number" },
	{ "address_wider_than_32_bits", "head -c 64 /dev/urandom > p.bin", P22 "--entry 0x100000000 p.bin -o out.stm32", 2,
	  "--entry '0x100000000' is not a number" },
	{ "manifest_without_key_uri", "head -c 64 /dev/urandom > p.bin", P22 "--pubkey $K/k0.pub.pem p.bin -o out.stm32 -m m.yaml", 2,
	  "-m needs --key-uri" },
	{ "key_uri_that_names_no_store", "head -c 64 /dev/urandom > p.bin", P22 "--pubkey $K/k0.pub.pem --key-uri URI p.bin -o out.stm32 -m m.yaml", 2,
	  "--key-uri 'URI' is not a key URI: awskms://, gcpkms://" },
	{ "release_unknown_field", REL("  - {id: a, input: p.bin, soc: stm32mp25, colour: red, keyset: k, key_index: 0, key_uri: file:k.pem}\\n"),
	  "stm32-prep --release rel.yaml --out-dir out", 3, "rel.yaml: image a: line 5: unknown field 'colour'" },
	{ "release_duplicate_image_id", REL("  - {id: a, input: p.bin, soc: stm32mp25, keyset: k, key_index: 0, key_uri: file:k.pem}\\n  - {id: a, input: p.bin, soc: stm32mp25, keyset: k, key_index: 0, key_uri: file:k.pem}\\n"),
	  "stm32-prep --release rel.yaml --out-dir out", 3, "rel.yaml: image a: duplicate image id (also images[0])" },
	{ "release_path_escaping_with_dotdot", REL("  - {id: a, input: ../p.bin, soc: stm32mp25, keyset: k, key_index: 0, key_uri: file:k.pem}\\n"),
	  "stm32-prep --release rel.yaml --out-dir out", 3, "image a: input: '../p.bin' escapes its directory" },
	{ "release_absolute_path", REL("  - {id: a, input: /etc/hostname, soc: stm32mp25, keyset: k, key_index: 0, key_uri: file:k.pem}\\n"),
	  "stm32-prep --release rel.yaml --out-dir out", 3, "image a: input: '/etc/hostname' is absolute" },
	{ "release_path_escaping_through_a_symlink", REL("  - {id: a, input: link.bin, soc: stm32mp25, keyset: k, key_index: 0, key_uri: file:k.pem}\\n") " && ln -s /etc/hostname link.bin",
	  "stm32-prep --release rel.yaml --out-dir out", 3, "image a: input: 'link.bin' resolves to /etc/hostname, outside" },
	{ "release_yaml_alias", REL("  - &x {id: a, input: p.bin, soc: stm32mp25, keyset: k, key_index: 0, key_uri: file:k.pem}\\n  - *x\\n"),
	  "stm32-prep --release rel.yaml --out-dir out", 3, "YAML anchors are not accepted" },
	{ "release_key_index_out_of_range", REL("  - {id: a, input: p.bin, soc: stm32mp25, keyset: k, key_index: 1, key_uri: file:k.pem}\\n"),
	  "stm32-prep --release rel.yaml --out-dir out", 2, "image a: key index 1 out of range: 1 key(s) in the table" },
	{ "release_key_index_not_a_number", REL("  - {id: a, input: p.bin, soc: stm32mp25, keyset: k, key_index: five, key_uri: file:k.pem}\\n"),
	  "stm32-prep --release rel.yaml --out-dir out", 3, "image a: line 5: 'key_index' is 'five'" },
	{ "release_key_uri_not_a_key_uri", REL("  - {id: a, input: p.bin, soc: stm32mp25, keyset: k, key_index: 0, key_uri: URI}\\n"),
	  "stm32-prep --release rel.yaml --out-dir out", 3, "rel.yaml: image a: key_uri 'URI' is not a key URI: awskms://" },
	{ "release_unknown_keyset", REL("  - {id: a, input: p.bin, soc: stm32mp25, keyset: nope, key_index: 0, key_uri: file:k.pem}\\n"),
	  "stm32-prep --release rel.yaml --out-dir out", 3, "image a: keyset 'nope' is not defined" },
	{ "release_wrong_format", "printf 'format: other/9\\nimages: []\\n' > rel.yaml", "stm32-prep --release rel.yaml --out-dir out", 3,
	  "rel.yaml: format 'other/9' is not stm32-release/1" },
	{ "release_duplicate_yaml_key", "printf 'format: stm32-release/1\\nformat: stm32-release/1\\nimages: []\\n' > rel.yaml",
	  "stm32-prep --release rel.yaml --out-dir out", 3, "rel.yaml:2: duplicate key 'format'" },
	{ "release_is_a_directory", "mkdir rel.yaml", "stm32-prep --release rel.yaml --out-dir out", 3, "rel.yaml: not a regular file" },
	/* FSBL encryption (issue 11) */
	{ "oem_secret_of_15_bytes", "head -c 15 /dev/urandom > s.bin && head -c 64 /dev/urandom > p.bin", P22 "--oem-secret s.bin --derivation-constant 1 p.bin -o out.stm32", 3,
	  "s.bin: OEM secret file is 15 bytes; expected 16 (or 32, of which the first 16 are used)" },
	{ "oem_secret_of_17_bytes", "head -c 17 /dev/urandom > s.bin && head -c 64 /dev/urandom > p.bin", P22 "--oem-secret s.bin --derivation-constant 1 p.bin -o out.stm32", 3,
	  "s.bin: OEM secret file is 17 bytes; expected 16" },
	{ "oem_secret_file_missing", "head -c 64 /dev/urandom > p.bin", P22 "--oem-secret nothere.bin --derivation-constant 1 p.bin -o out.stm32", 4,
	  "nothere.bin: cannot open the OEM secret file" },
	{ "oem_secret_is_a_directory", "mkdir s.d && head -c 64 /dev/urandom > p.bin", P22 "--oem-secret s.d --derivation-constant 1 p.bin -o out.stm32", 3,
	  "s.d: the OEM secret is not a regular file" },
	{ "oem_secret_with_header_1_0", "head -c 16 /dev/urandom > s.bin && head -c 64 /dev/urandom > p.bin", "stm32-prep --header 1.0 --oem-secret s.bin --derivation-constant 1 p.bin -o out.stm32", 2,
	  "--oem-secret: header 1.0 has no FSBL decryption extension" },
	{ "oem_secret_with_a_v1_0_stm32_input", "head -c 16 /dev/urandom > s.bin && cp $V in.stm32", "stm32-prep --oem-secret s.bin --derivation-constant 1 in.stm32 -o out.stm32", 2,
	  "in.stm32: header 1.0 has no FSBL decryption extension" },
	{ "oem_secret_without_derivation_constant", "head -c 16 /dev/urandom > s.bin && head -c 64 /dev/urandom > p.bin", P22 "--oem-secret s.bin p.bin -o out.stm32", 2,
	  "--oem-secret needs --derivation-constant" },
	{ "derivation_constant_without_oem_secret", "head -c 64 /dev/urandom > p.bin", P22 "--derivation-constant 7 p.bin -o out.stm32", 2,
	  "--derivation-constant needs --oem-secret" },
	{ "derivation_constant_that_is_not_a_number", "head -c 16 /dev/urandom > s.bin && head -c 64 /dev/urandom > p.bin", P22 "--oem-secret s.bin --derivation-constant 0x25g p.bin -o out.stm32", 2,
	  "--derivation-constant '0x25g' is not a number" },
	{ "oem_secret_uri_with_pin_value", "head -c 64 /dev/urandom > p.bin", P22 "--oem-secret 'pkcs11:token=t;object=o?pin-value=1234' --derivation-constant 1 p.bin -o out.stm32", 2,
	  "--oem-secret holds pin-value" },
	{ "encrypted_st_image_as_input_with_a_secret", "true", "stm32-prep --oem-secret $STM32_TESTS/vectors/st-signed/oem_secret.bin --derivation-constant 1 $STM32_TESTS/vectors/st-signed/out/v22_enc.stm32 -o out.stm32", 3,
	  "v22_enc.stm32: encrypted FSBL (decryption extension)" },
	{ "output_over_the_oem_secret", "head -c 16 /dev/urandom > s.bin && head -c 64 /dev/urandom > p.bin", P22 "--oem-secret s.bin --derivation-constant 1 p.bin -o s.bin", 2,
	  "-o s.bin is the OEM secret (s.bin): an output never replaces an input" },
	{ "release_oem_secret_without_constant", REL("  - {id: a, input: p.bin, soc: stm32mp25, keyset: k, key_index: 0, key_uri: file:k.pem, oem_secret: s.bin}\\n") " && head -c 16 /dev/urandom > s.bin",
	  "stm32-prep --release rel.yaml --out-dir out", 3, "image a: oem_secret and derivation_constant go together (derivation_constant is missing)" },
	{ "release_constant_not_a_number", REL("  - {id: a, input: p.bin, soc: stm32mp25, keyset: k, key_index: 0, key_uri: file:k.pem, oem_secret: s.bin, derivation_constant: abc}\\n") " && head -c 16 /dev/urandom > s.bin",
	  "stm32-prep --release rel.yaml --out-dir out", 3, "image a: line 5: 'derivation_constant' is 'abc'" },
	{ "release_oem_secret_with_header_1_0", REL("  - {id: a, input: p.bin, soc: stm32mp15, keyset: k, key_index: 0, key_uri: file:k.pem, oem_secret: s.bin, derivation_constant: 1}\\n") " && head -c 16 /dev/urandom > s.bin",
	  "stm32-prep --release rel.yaml --out-dir out", 3, "image a: oem_secret: header 1.0 has no FSBL decryption extension" },
	{ "release_oem_secret_of_17_bytes", REL("  - {id: a, input: p.bin, soc: stm32mp13, keyset: k, key_index: 0, key_uri: file:k.pem, oem_secret: s.bin, derivation_constant: 1}\\n") " && head -c 17 /dev/urandom > s.bin",
	  "stm32-prep --release rel.yaml --out-dir out", 3, "image a: ./s.bin: OEM secret file is 17 bytes" },
	{ "release_oem_secret_uri_with_pin_value", REL("  - {id: a, input: p.bin, soc: stm32mp13, keyset: k, key_index: 0, key_uri: file:k.pem, oem_secret: \\x27pkcs11:token=t;object=o?pin-value=1\\x27, derivation_constant: 1}\\n"),
	  "stm32-prep --release rel.yaml --out-dir out", 3, "image a: oem_secret holds pin-value" },
	{ "empty_input_as_stm32_header_is_raw_and_needs_header", "touch empty.bin", "stm32-prep empty.bin -o out.stm32", 2,
	  "a raw payload needs --header" },
};

ParameterizedTestParameters(prep_bad_input, is_refused_with_a_named_message_and_no_output)
{
	return cr_make_param_array(struct bad, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct bad *c, prep_bad_input, is_refused_with_a_named_message_and_no_output)
{
	const char *dir = tmpdir_new();
	struct run r = run_cmd("cd %s && G=%s && V=%s && K=%s && %s && ls -A | sort > %s.before",
			       dir, fixture("vectors/stm32/STM32MP257F-EV1_DDR_UTILITIES_A35_nopad_no_el3lnch.stm32"),
			       fixture("vectors/stm32/STM32MP157C-DK2_DDR_UTILITIES_A7.stm32"),
			       fixture("fixtures/keys"), c->setup, dir);
	cr_assert_eq(r.code, 0, "%s: setup failed: %s", c->name, r.err);
	run_free(&r);
	r = run_cmd("cd %s && K=%s && %s", dir, fixture("fixtures/keys"), c->cmd);
	cr_expect_eq(r.code, c->code, "%s: exit %d, expected %d: %s", c->name, r.code, c->code, r.err);
	cr_expect(strstr(r.err, c->msg) != NULL, "%s: message\n  %s\nlacks\n  %s", c->name, r.err, c->msg);
	run_free(&r);
	/* nothing new in the directory: no output, no temporary file */
	r = run_cmd("cd %s && ls -A | sort | diff %s.before - && rm %s.before", dir, dir, dir);
	cr_expect_eq(r.code, 0, "%s: files left behind: %s", c->name, r.out);
	run_free(&r);
	tmpdir_rm(dir);
}
