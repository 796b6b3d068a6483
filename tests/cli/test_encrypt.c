/* FSBL encryption end to end (issue 11): stm32-prep --oem-secret, the signer,
 * stm32-assemble and stm32-inspect --oem-secret, against the four encrypted
 * images ST's own signing tool made (tests/vectors/st-signed, secret
 * oem_secret.bin), checked with the OpenSSL CLI as an independent decryptor.
 * The byte-for-byte comparison with ST's images is in test_st_signed.c. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers/testutil.h"

#define MODULE "/usr/lib/softhsm/libsofthsm2.so"
/* Run a command, keep its output in log.txt too, exit with its code. */
#define LOGGED(cmd) cmd " > o.txt 2>&1; rc=$?; cat o.txt; cat o.txt >> log.txt; exit $rc"
#define KEYS8 "$(for i in 0 1 2 3 4 5 6 7; do printf -- '--pubkey keys_p256/pub%%s.pem ' $i; done)"

struct enc_case {
	char name[16];
	char args[200];   /* stm32-prep's equivalent of ST's arguments (cases.tsv) */
	char payload[20];
	unsigned key;     /* the signing key's index */
	unsigned dc;
	unsigned hdr;     /* header size: where the ciphertext starts */
	unsigned ext;     /* the decryption extension */
	unsigned head;    /* zeros before the payload (v2.3) */
};

static struct enc_case cases[] = {
	{ "v20_enc", "--header 2.0 --type fsbl --load 0x2ffe0000 --entry 0x2ffe0000 --image-version 1",
	  "pay_4660.bin", 0, 0x0E5F2025, 0x200, 0x1D4, 0 },
	{ "v22_enc", "--header 2.2 --type fsbl --load 0x0e002600 --entry 0x0e003000 --image-version 1",
	  "pay_4660.bin", 0, 0x25205f0e, 0x200, 0x1D4, 0 },
	{ "v22_enc_big", "--header 2.2 --type fsbl --load 0x0e002600 --entry 0x0e003000 --image-version 1",
	  "pay_200003.bin", 1, 0x12345678, 0x200, 0x1D4, 0 },
	{ "v23_enc", "--header 2.3 --type fsbl --load 0x34180400 --entry 0x34180400 --image-version 1",
	  "pay_4660.bin", 0, 0x25205f0e, 0x240, 0x214, 0x1C0 },
};

ParameterizedTestParameters(encrypt, round_trip)
{
	return cr_make_param_array(struct enc_case, cases, sizeof cases / sizeof cases[0]);
}

/* prep (file secret) -> kms-sign-digest (file: key) -> assemble, in dir;
 * every tool's output kept in dir/log.txt for the leak check. */
static void two_phase(const char *dir, const struct enc_case *c, const char *secret)
{
	struct run r = run_cmd(
		"V=%s/vectors/st-signed && cd $V && stm32-prep --align 32 %s " KEYS8 " --key-index %u "
		"--key-uri file:$V/keys_p256/k%u.pem --oem-secret %s --derivation-constant 0x%x %s "
		"-o %s/img.prepared.stm32 -m %s/m.yaml >> %s/log.txt 2>&1 && cd %s && "
		"kms-sign-digest m.yaml -o s.yaml >> log.txt 2>&1 && "
		"stm32-assemble m.yaml s.yaml --out-dir out >> log.txt 2>&1 && "
		"stm32-assemble m.yaml s.yaml --out-dir out2 --json >> log.txt 2>&1 && cat log.txt",
		getenv("STM32_TESTS"), c->args, c->key, c->key, secret, c->dc, c->payload, dir, dir, dir, dir);
	cr_assert_eq(r.code, 0, "%s: %s%s", c->name, r.out, r.err);
	cr_expect(strstr(r.out, "encrypted FSBL, derivation constant") != NULL, "%s: assemble names it: %s", c->name, r.out);
	cr_expect(strstr(r.out, "\"encrypted\":true") != NULL, "%s: assemble JSON: %s", c->name, r.out);
	run_free(&r);
}

/* The padded plaintext, the key and the IV by the OpenSSL CLI alone (spec
 * "FSBL encryption"), then the decryption of our output compared with it. */
static void openssl_decrypts(const char *dir, const struct enc_case *c)
{
	struct run r = run_cmd(
		"V=%s/vectors/st-signed && cd %s && "
		"printf '\\000\\000\\000\\001BL2 encryption key.\\000\\%03o\\%03o\\%03o\\%03o\\000\\000\\000\\200' > block.bin && "
		"key=$(openssl mac -cipher AES-128-CBC -macopt hexkey:$(xxd -p $V/oem_secret.bin) -in block.bin CMAC) && "
		"echo \"$key\" > key.hex && "
		"iv=$(dd if=out/img.stm32 bs=1 skip=%u count=16 status=none | xxd -p) && "
		"dd if=out/img.stm32 bs=1 skip=%u status=none > ct.bin && "
		"openssl enc -d -aes-128-cbc -nopad -K \"$key\" -iv \"$iv\" -in ct.bin -out pt.bin && "
		"{ head -c %u /dev/zero; cat $V/%s; } > want.bin && truncate -s $(stat -c %%s ct.bin) want.bin && "
		"[ $(($(stat -c %%s want.bin) %% 32)) = 0 ] && [ $(stat -c %%s want.bin) -lt $(($(stat -c %%s $V/%s) + %u + 32)) ] && "
		"cmp pt.bin want.bin && [ \"$(sha256sum pt.bin | cut -c1-32)\" = \"$iv\" ]",
		getenv("STM32_TESTS"), dir, c->dc & 0xFF, (c->dc >> 8) & 0xFF, (c->dc >> 16) & 0xFF, c->dc >> 24,
		c->ext + 16, c->hdr, c->head, c->payload, c->payload, c->head);
	cr_expect_eq(r.code, 0, "%s: the OpenSSL CLI does not decrypt our output to the padded payload: %s%s",
		     c->name, r.out, r.err);
	run_free(&r);
}

static void inspect_accepts(const char *dir, const struct enc_case *c)
{
	struct run r = run_cmd("cd %s && stm32-inspect --oem-secret %s/vectors/st-signed/oem_secret.bin "
			       LOGGED("out/img.stm32 %s/vectors/st-signed/out/%s.stm32"),
			       dir, getenv("STM32_TESTS"), getenv("STM32_TESTS"), c->name);
	cr_expect_eq(r.code, 0, "%s: %s%s", c->name, r.out, r.err);
	const char *ok = "check decryption      ok   SHA-256 of the decrypted payload starts with the extension's hash16";
	const char *second = strstr(r.out, ok);
	cr_expect(second && strstr(second + 1, ok), "%s: ours and ST's decrypt: %s", c->name, r.out);
	run_free(&r);
	r = run_cmd("cd %s && " LOGGED("stm32-inspect --json --oem-secret %s/vectors/st-signed/oem_secret.bin out/img.stm32"),
		    dir, getenv("STM32_TESTS"));
	cr_expect_eq(r.code, 0, "%s: %s%s", c->name, r.out, r.err);
	cr_expect(strstr(r.out, "\"encrypted\":true") != NULL, "%s: %s", c->name, r.out);
	const char *k = strstr(r.out, "\"check\":\"decryption\"");
	cr_expect(k && strstr(k, "\"result\":\"ok\"") == strchr(k, '\n') + 1 + strspn(strchr(k, '\n') + 1, " "),
		  "%s: the JSON verdict has the decryption check, ok: %s", c->name, r.out);
	run_free(&r);
}

static void other_secret_is_rejected(const char *dir, const struct enc_case *c)
{
	struct run r = run_cmd("cd %s && head -c 16 /dev/urandom > other.bin && "
			       LOGGED("stm32-inspect --oem-secret other.bin out/img.stm32"),
			       dir);
	cr_expect_eq(r.code, 1, "%s: %s%s", c->name, r.out, r.err);
	cr_expect(strstr(r.out, "REJECTED at decryption") != NULL, "%s: %s", c->name, r.out);
	cr_expect(strstr(r.out, "wrong OEM secret or derivation constant") != NULL, "%s: %s", c->name, r.out);
	run_free(&r);
	r = run_cmd("stm32-inspect %s/out/img.stm32", dir);
	cr_expect_eq(r.code, 0, "%s: %s%s", c->name, r.out, r.err);
	cr_expect(strstr(r.out, "check decryption      skip payload encrypted") != NULL, "%s: %s", c->name, r.out);
	cr_expect(strstr(r.out, "accepted (the decryption was not checked: no OEM secret given)") != NULL, "%s: %s",
		  c->name, r.out);
	run_free(&r);
}

/* Neither the secret nor the derived key, in either case, in anything the
 * tools wrote as text (logs, manifest, signatures, JSON). */
static void nothing_leaks(const char *dir, const char *what)
{
	struct run r = run_cmd("cd %s && s=$(xxd -p %s/vectors/st-signed/oem_secret.bin) && k=$(cat key.hex 2>/dev/null || echo @no-key@) && "
			       "[ -s log.txt ] && ! grep -r -i -l -e \"$s\" -e \"$k\" --include='*.txt' --include='*.yaml' .",
			       dir, getenv("STM32_TESTS"));
	cr_expect_eq(r.code, 0, "%s: the secret or the key appears in: %s%s", what, r.out, r.err);
	run_free(&r);
}

ParameterizedTest(struct enc_case *c, encrypt, round_trip)
{
	const char *dir = tmpdir_new();
	char secret[4096];
	snprintf(secret, sizeof secret, "%s/vectors/st-signed/oem_secret.bin", getenv("STM32_TESTS"));
	two_phase(dir, c, secret);
	openssl_decrypts(dir, c);
	inspect_accepts(dir, c);
	other_secret_is_rejected(dir, c);
	nothing_leaks(dir, c->name);
	tmpdir_rm(dir);
}

Test(encrypt, a_32_byte_secret_uses_its_first_16_bytes_and_says_so)
{
	const char *dir = tmpdir_new();
	struct run r = run_cmd("V=%s/vectors/st-signed && cd %s && { cat $V/oem_secret.bin; head -c 16 /dev/urandom; } > s32.bin && "
			       "stm32-prep -q --header 2.2 --oem-secret $V/oem_secret.bin --derivation-constant 7 $V/pay_1.bin -o a.stm32 && "
			       "stm32-prep -q --header 2.2 --oem-secret s32.bin --derivation-constant 7 $V/pay_1.bin -o b.stm32 && cmp a.stm32 b.stm32",
			       getenv("STM32_TESTS"), dir);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.err, "warning: b: s32.bin: OEM secret file is 32 bytes: using its first 16 bytes, as ST's signing tool does") != NULL,
		  "%s", r.err);
	run_free(&r);
	tmpdir_rm(dir);
}

Test(encrypt, refusals_that_read_the_real_secret_never_show_it)
{
	const char *dir = tmpdir_new();
	struct run r = run_cmd("V=%s/vectors/st-signed && cd %s && { cat $V/oem_secret.bin; head -c 1 /dev/zero; } > s17.bin && "
			       "{ stm32-prep --header 1.0 --oem-secret $V/oem_secret.bin --derivation-constant 1 $V/pay_1.bin -o a.stm32; "
			       "  stm32-prep --header 2.2 --oem-secret s17.bin --derivation-constant 1 $V/pay_1.bin -o a.stm32; "
			       "  stm32-prep --header 2.2 --oem-secret $V/oem_secret.bin --derivation-constant x $V/pay_1.bin -o a.stm32; "
			       "  stm32-prep --header 2.2 --oem-secret $V/oem_secret.bin $V/pay_1.bin -o a.stm32; "
			       "  stm32-prep --json --header 2.2 --oem-secret $V/oem_secret.bin --derivation-constant 1 $V/pay_1.bin -o b.stm32; "
			       "  stm32-inspect --json --oem-secret s17.bin $V/out/v22_enc.stm32; "
			       "  stm32-inspect --explain --oem-secret $V/oem_secret.bin b.stm32; } > log.txt 2>&1; "
			       "[ ! -e a.stm32 ] && [ -e b.stm32 ]",
			       getenv("STM32_TESTS"), dir);
	cr_expect_eq(r.code, 0, "no output on failure: %s%s", r.out, r.err);
	run_free(&r);
	nothing_leaks(dir, "refusals");
	tmpdir_rm(dir);
}

/* ---- the OEM secret in a PKCS#11 token (SoftHSM2) ---- */

static const char *hsm;

static void make_token(void)
{
	hsm = tmpdir_new();
	struct run r = run_cmd(
		"cd %s && mkdir tokens && printf 'directories.tokendir = %s/tokens\\nobjectstore.backend = file\\nlog.level = ERROR\\n' > softhsm2.conf && "
		"export SOFTHSM2_CONF=$PWD/softhsm2.conf && "
		"softhsm2-util --init-token --free --label oem --pin 123456 --so-pin 654321 >/dev/null && "
		"pkcs11-tool --module " MODULE " --token-label oem --login --pin 123456 --write-object %s/vectors/st-signed/oem_secret.bin "
		"--type secrkey --key-type AES:16 --label oem-secret >/dev/null 2>&1 && echo 123456 > pin.txt",
		hsm, hsm, getenv("STM32_TESTS"));
	cr_assert_eq(r.code, 0, "SoftHSM2 token: %s%s", r.out, r.err);
	run_free(&r);
}

static void drop_token(void)
{
	tmpdir_rm(hsm);
}

Test(encrypt_pkcs11, secret_in_a_token_gives_the_same_bytes_as_the_file, .init = make_token, .fini = drop_token)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct enc_case *c = &cases[i];
		struct run r = run_cmd(
			"export SOFTHSM2_CONF=%s/softhsm2.conf && V=%s/vectors/st-signed && cd $V && "
			"uri='pkcs11:token=oem;object=oem-secret?module-path=" MODULE "&pin-source=file:%s/pin.txt' && "
			"stm32-prep -q --align 32 %s " KEYS8 " --key-index %u --oem-secret \"$uri\" --derivation-constant 0x%x %s -o %s/tok.stm32 && "
			"stm32-prep -q --align 32 %s " KEYS8 " --key-index %u --oem-secret oem_secret.bin --derivation-constant 0x%x %s -o %s/file.stm32 && "
			"cmp %s/tok.stm32 %s/file.stm32 && stm32-inspect --oem-secret \"$uri\" out/%s.stm32",
			hsm, getenv("STM32_TESTS"), hsm, c->args, c->key, c->dc, c->payload, hsm, c->args, c->key, c->dc,
			c->payload, hsm, hsm, hsm, c->name);
		cr_expect_eq(r.code, 0, "%s: %s%s", c->name, r.out, r.err);
		cr_expect(strstr(r.out, "check decryption      ok") != NULL, "%s: %s", c->name, r.out);
		cr_expect_null(strstr(r.err, "123456"), "PIN in: %s", r.err);
		run_free(&r);
	}
}

Test(encrypt_pkcs11, release_with_a_token_secret_writes_no_uri_to_the_manifest, .init = make_token, .fini = drop_token)
{
	struct run r = run_cmd(
		"export SOFTHSM2_CONF=%s/softhsm2.conf && V=%s/vectors/st-signed && cd %s && cp $V/keys_p256/pub*.pem $V/pay_4660.bin . && "
		"printf 'format: stm32-release/1\\nkeysets:\\n  p: [pub0.pem, pub1.pem, pub2.pem, pub3.pem, pub4.pem, pub5.pem, pub6.pem, pub7.pem]\\n"
		"images:\\n  - {id: enc, input: pay_4660.bin, soc: stm32mp25, type: fsbl, load: 0x0e002600, entry: 0x0e003000, image_version: 1, "
		"keyset: p, key_index: 0, key_uri: \"file:'$V'/keys_p256/k0.pem\", derivation_constant: 0x25205f0e, "
		"oem_secret: \"pkcs11:token=oem;object=oem-secret?module-path=" MODULE "&pin-source=file:%s/pin.txt\"}\\n' > rel.yaml && "
		"stm32-prep -q --release rel.yaml --out-dir out && ! grep -i -e pkcs11 -e oem -e pin out/manifest.yaml && "
		"/usr/bin/python3 %s out/enc.prepared.stm32 $V/out/v22_enc.stm32",
		hsm, getenv("STM32_TESTS"), hsm, hsm, fixture("tools/st_compare.py"));
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
}
