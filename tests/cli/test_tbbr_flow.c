/* TF-A's trusted-boot certificates end to end: a release with an FSBL header
 * and a FIP, prepared, signed through the loopback KMS (root = the header's
 * slot 0, one other key for every other role), assembled and inspected; and
 * each break of the chain refused by name. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers/kms.h"
#include "tests/helpers/testutil.h"

static const char *dir;
static struct kms_srv srv;

static void start(void)
{
	dir = tmpdir_new();
	kms_start_fixture_keys(&srv, dir, "fsbl-k0=k0 tbbr-k=k1 other-k=k2");
}

static void stop(void)
{
	kms_stop(&srv);
	tmpdir_rm(dir);
}

struct rel {
	const char *name, *soc;  /* the release file NAME.yaml, prepared into out-NAME, signed into signed-NAME */
	const char *fsbl_uri, *other_uri;
	const char *root_key;    /* "keys: root" (a pubkey file) or NULL: the FSBL's slot 0 */
	const char *root_uri;    /* with root_key */
	int link_fsbl, nv;
};

/* Keys, random images (once per directory) and the release file. */
static void write_release(const struct rel *r)
{
	struct run x = run_cmd("cd %s && [ -d img ] || { mkdir -p keys img && cp %s/fixtures/keys/k?.pub.pem keys/ && "
			       "for f in fsbl:30001 bl31:9001 bl32:15001 bl33:80003 hw:3001 fwcfg:1201 socfwcfg:2001 ddr:4001; do "
			       "head -c ${f#*:} /dev/urandom > img/${f%%:*}.bin || exit 1; done; }",
			       dir, getenv("STM32_TESTS"));
	cr_assert_eq(x.code, 0, "%s", x.err);
	run_free(&x);
	char path[256];
	snprintf(path, sizeof path, "%s/%s.yaml", dir, r->name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	int mp2 = !strcmp(r->soc, "stm32mp25");
	fprintf(f, "format: stm32-release/1\nrelease: %s\nkeysets:\n  oem: [keys/k0.pub.pem, keys/k1.pub.pem, keys/k2.pub.pem, "
		   "keys/k3.pub.pem, keys/k4.pub.pem, keys/k5.pub.pem, keys/k6.pub.pem, keys/k7.pub.pem]\nimages:\n"
		   "  - {id: fsbl-a, input: img/fsbl.bin, soc: %s, type: fsbl, image_version: 3, keyset: oem, key_index: 0, "
		   "key_uri: '%s'}\nfips:\n  - id: fip\n    soc: %s\n%s    nv_counter: %d\n    keys:\n",
		r->name, r->soc, r->fsbl_uri, r->soc, r->link_fsbl ? "    fsbl: fsbl-a\n" : "", r->nv);
	if (r->root_key)
		fprintf(f, "      root: {pubkey: %s, uri: '%s'}\n", r->root_key, r->root_uri);
	const char *roles[] = { "trusted-world", "non-trusted-world", "tos", "nt", mp2 ? "soc" : NULL };
	for (int i = 0; i < 5 && roles[i]; i++)
		fprintf(f, "      %s: {pubkey: keys/k1.pub.pem, uri: '%s'}\n", roles[i], r->other_uri);
	fprintf(f, "    images: {bl32: img/bl32.bin, bl33: img/bl33.bin, hw-config: img/hw.bin, fw-config: img/fwcfg.bin%s}\n",
		mp2 ? ", bl31: img/bl31.bin, soc-fw-config: img/socfwcfg.bin, ddr-fw: img/ddr.bin" : "");
	fclose(f);
}

/* Prepare, sign (KMS environment), assemble: the exit code of the first step that fails. */
static struct run flow(const struct rel *r)
{
	write_release(r);
	return run_cmd("%s cd %s && stm32-prep -q --release %s.yaml --out-dir out-%s && "
		       "kms-sign-digest -q out-%s/manifest.yaml -o out-%s/sigs.yaml && "
		       "stm32-prep keys --soc %s $(for i in 0 1 2 3 4 5 6 7; do printf -- '--pubkey keys/k%%s.pub.pem ' $i; done) "
		       "-o otp.bin >/dev/null && "
		       "stm32-assemble out-%s/manifest.yaml out-%s/sigs.yaml --out-dir signed-%s",
		       srv.env, dir, r->name, r->name, r->name, r->name, r->soc, r->name, r->name, r->name);
}

static const struct rel mp25 = { "a", "stm32mp25", "awskms:///alias/fsbl-k0", "awskms:///alias/tbbr-k", NULL, NULL,
				  1, 7 };

Test(tbbr_flow, an_mp25_fsbl_and_its_fip_signed_through_kms_verify, .init = start, .fini = stop, .timeout = 120)
{
	struct run r = flow(&mp25);
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "fip.trusted_key          VERIFIED") && strstr(r.out, "fip                      VERIFIED"),
		  "%s", r.out);
	run_free(&r);
	r = run_cmd("cd %s && ls signed-a && stm32-inspect --otp otp.bin signed-a/fsbl-a.stm32 >/dev/null && "
		    "stm32-inspect --otp otp.bin --fsbl signed-a/fsbl-a.stm32 signed-a/fip.bin && "
		    "fiptool info signed-a/fip.bin && kms-sign-digest --review out-a/manifest.yaml", dir);
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	const char *want[] = { "trusted_key.crt", "stm32mp_cfg_cert.crt", "soc_fw_content.crt", "fip.bin",
			       "Chain:             stm32mp2 holds", "Root key:          pk_hashes[pk_idx] of the FSBL header",
			       "Trusted key certificate: offset=", "TF-A certificate trusted_key of FIP fip, root key (FSBL key table slot)" };
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		cr_expect(strstr(r.out, want[i]), "no '%s' in:\n%s", want[i], r.out);
	run_free(&r);
}

Test(tbbr_flow, a_root_key_other_than_the_header_slot_is_refused_by_prep, .init = start, .fini = stop)
{
	struct rel r2 = mp25;
	r2.root_key = "keys/k2.pub.pem";
	r2.root_uri = "awskms:///alias/other-k";
	struct run r = flow(&r2);
	cr_expect_eq(r.code, 1, "%s%s", r.out, r.err);
	cr_expect(strstr(r.err, "fip fip: root key") && strstr(r.err, "k2.pub.pem is not slot 0 of the FSBL key table"),
		  "%s", r.err);
	run_free(&r);
}

/* A FIP signed apart from the FSBL (no fsbl: link), by a key not in slot 0. */
Test(tbbr_flow, a_fip_whose_root_is_not_the_fsbl_slot_is_refused_by_inspect, .init = start, .fini = stop, .timeout = 120)
{
	struct run r = flow(&mp25);
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
	struct rel b = mp25;
	b.name = "b";
	b.link_fsbl = 0;
	b.root_key = "keys/k2.pub.pem";
	b.root_uri = "awskms:///alias/other-k";
	r = flow(&b);
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
	r = run_cmd("cd %s && stm32-inspect --otp otp.bin --fsbl signed-a/fsbl-a.stm32 signed-b/fip.bin", dir);
	cr_expect_eq(r.code, 1, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "REJECTED: certificate stm32mp_cfg_cert: the root key (") &&
		  strstr(r.out, "is not pk_hashes[0] of the FSBL header"), "%s", r.out);
	run_free(&r);
}

struct fip_break {
	const char *cmd;   /* run in dir after release a (and c: nv 8) are signed; makes x.fip */
	const char *want;
};

Test(tbbr_flow, each_break_of_the_chain_is_refused_by_name, .init = start, .fini = stop, .timeout = 180)
{
	struct run r = flow(&mp25);
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
	struct rel c = mp25;
	c.name = "c";
	c.nv = 8;
	r = flow(&c);
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
	static const struct fip_break breaks[] = {
		{ "head -c 100 /dev/urandom > other.bin && fiptool update --nt-fw other.bin --out x.fip signed-a/fip.bin",
		  "REJECTED: certificate nt_fw_content: bl33 hash (1.3.6.1.4.1.4128.2100.1201) is not the SHA-256 of the bl33 image" },
		{ "fiptool update --nt-fw-cert signed-c/nt_fw_content.crt --out x.fip signed-a/fip.bin",
		  "REJECTED: certificate nt_fw_content: non-trusted NV counter is 8, but nt_fw_key has 7" },
		{ "fiptool update --tos-fw-cert signed-a/nt_fw_content.crt --out x.fip signed-a/fip.bin",
		  "REJECTED: certificate tos_fw_content: no trusted NV counter extension (1.3.6.1.4.1.4128.2100.1)" },
		{ "fiptool update --trusted-key-cert signed-a/stm32mp_cfg_cert.crt --out x.fip signed-a/fip.bin",
		  "REJECTED: certificate trusted_key: no trusted-world extension (1.3.6.1.4.1.4128.2100.302)" },
	};
	for (size_t i = 0; i < sizeof breaks / sizeof breaks[0]; i++) {
		r = run_cmd("cd %s && rm -f x.fip && %s && stm32-inspect --otp otp.bin --fsbl signed-a/fsbl-a.stm32 x.fip",
			    dir, breaks[i].cmd);
		cr_expect_eq(r.code, 1, "%s: %s%s", breaks[i].cmd, r.out, r.err);
		cr_expect(strstr(r.out, breaks[i].want), "%s: no '%s' in:\n%s", breaks[i].cmd, breaks[i].want, r.out);
		run_free(&r);
	}
}

Test(tbbr_flow, a_changed_image_after_prep_is_refused_by_assemble, .init = start, .fini = stop, .timeout = 120)
{
	struct run r = flow(&mp25);
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
	r = run_cmd("cd %s && printf x >> out-a/fip.bl33.bin && stm32-assemble out-a/manifest.yaml out-a/sigs.yaml "
		    "--out-dir again", dir);
	cr_expect_eq(r.code, 1, "%s%s", r.out, r.err);
	cr_expect(strstr(r.err, "FIP fip: image bl33: check file:") && strstr(r.err, "changed since stm32-prep"), "%s", r.err);
	cr_expect(!file_exists(pjoin(dir, "again/fip.bin")) && !file_exists(pjoin(dir, "again/fsbl-a.stm32")),
		  "nothing is written when a FIP fails");
	run_free(&r);
}

Test(tbbr_flow, an_mp13_fsbl_and_its_fip_with_file_keys_verify, .init = start, .fini = stop, .timeout = 120)
{
	char root[4200], other[4200];
	snprintf(root, sizeof root, "file:%s/fixtures/keys/k0.pem", getenv("STM32_TESTS"));
	snprintf(other, sizeof other, "file:%s/fixtures/keys/k1.pem", getenv("STM32_TESTS"));
	struct rel r13 = { "m", "stm32mp13", root, other, NULL, NULL, 1, 3 };
	struct run r = flow(&r13);
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
	r = run_cmd("cd %s && stm32-inspect --otp otp.bin --fsbl signed-m/fsbl-a.stm32 signed-m/fip.bin && ls signed-m", dir);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "Chain:             stm32mp1 holds"), "%s", r.out);
	cr_expect(strstr(r.out, "tos_fw_content.crt") && !strstr(r.out, "soc_fw_key.crt"), "%s", r.out);
	run_free(&r);
}

/* The issue's command line, with the vectors' keys as file: keys. */
#define PREP_FIP "stm32-prep fip --soc stm32mp25 --nv-counter 7 " \
	"--key root=$V/keys/rot.pub.pem,file:$V/keys/rot.pem --key trusted-world=$V/keys/tw.pub.pem,file:$V/keys/tw.pem " \
	"--key non-trusted-world=$V/keys/ntw.pub.pem,file:$V/keys/ntw.pem --key tos=$V/keys/tos.pub.pem,file:$V/keys/tos.pem " \
	"--key nt=$V/keys/nt.pub.pem,file:$V/keys/nt.pem --key soc=$V/keys/soc.pub.pem,file:$V/keys/soc.pem " \
	"--image bl32=$V/images/bl32.bin --image bl33=$V/images/bl33.bin --image bl31=$V/images/bl31.bin " \
	"--image hw-config=$V/images/hw.dtb --image fw-config=$V/images/fwcfg.dtb " \
	"--image soc-fw-config=$V/images/socfwcfg.dtb --image ddr-fw=$V/images/ddr_fw.bin "

/* Its FIP holds the entries of the vectors' FIP (cert_create + fiptool), in the same order. */
Test(tbbr_flow, the_issue_command_line_prepares_signs_and_assembles_deterministically)
{
	const char *d = tmpdir_new();
	struct run r = run_cmd("cd %s && V=%s/vectors/tbbr && " PREP_FIP "--out-dir prepared -m prepared/manifest.yaml && "
			       "kms-sign-digest -q prepared/manifest.yaml -o prepared/signatures.yaml 2>/dev/null && "
			       "stm32-assemble prepared/manifest.yaml prepared/signatures.yaml --out-dir out && "
			       "" PREP_FIP "-q --out-dir again && cmp prepared/fip.trusted_key.tbs again/fip.trusted_key.tbs && "
			       "SOURCE_DATE_EPOCH=1764547200 " PREP_FIP "-q --out-dir sde && "
			       "openssl asn1parse -inform DER -in sde/fip.nt_fw_content.tbs | grep TIME && "
			       "fiptool info out/fip.bin | sed 's/:.*cmdline=/ /' > ours && "
			       "fiptool info $V/mp25/fip.bin | sed 's/:.*cmdline=/ /' > theirs && cmp ours theirs && "
			       "stm32-inspect out/fip.bin", d, getenv("STM32_TESTS"));
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	const char *want[] = { "out/trusted_key.crt", "out/stm32mp_cfg_cert.crt", "out/fip.bin", ":251201000000Z",
			       "GENERALIZEDTIME   :99991231235959Z", "Chain:             stm32mp2 holds" };
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		cr_expect(strstr(r.out, want[i]), "no '%s' in:\n%s", want[i], r.out);
	run_free(&r);
	tmpdir_rm(d);
}

Test(tbbr_flow, with_the_fsbl_key_table_root_must_be_its_slot)
{
	const char *d = tmpdir_new();
	const char *t = getenv("STM32_TESTS");
	struct run r = run_cmd("cd %s && V=%s/vectors/tbbr && T='--pubkey '$V/keys/rot.pub.pem && "
			       "for i in 1 2 3 4 5 6 7; do T=\"$T --pubkey %s/fixtures/keys/k$i.pub.pem\"; done && "
			       "" PREP_FIP "$T --key-index 0 -q --out-dir ok && grep -A3 'certificate: trusted_key' ok/manifest.yaml "
			       "| head -1 && grep -c 'index: 0' ok/manifest.yaml && "
			       "" PREP_FIP "$T --key-index 1 -q --out-dir bad", d, t, t);
	cr_expect_eq(r.code, 1, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "\n2\n"), "both root certificates record the slot: %s", r.out);
	cr_expect(strstr(r.err, "rot.pub.pem is not slot 1 of the FSBL key table"), "%s", r.err);
	cr_expect(!file_exists(pjoin(d, "bad")), "no output on failure");
	run_free(&r);
	tmpdir_rm(d);
}

Test(tbbr_flow, a_key_policy_limited_to_headers_refuses_certificates_and_tbbr_certs_allows_them)
{
	const char *d = tmpdir_new();
	const char *t = getenv("STM32_TESTS");
	struct run r = run_cmd("cd %s && V=%s/vectors/tbbr && " PREP_FIP "-q --out-dir p && "
			       "printf 'format: stm32-signer/1\\nkeys:\\n  - uri: file:%%s\\n    policy: {headers: [\"2.2\"]}\\n' "
			       "$V/keys/tw.pem > c1.yaml && kms-sign-digest --config c1.yaml p/manifest.yaml -o s.yaml", d, t);
	cr_expect_eq(r.code, 1, "%s%s", r.out, r.err);
	cr_expect(strstr(r.err, "image fip.soc_fw_key: the policy of key file:") &&
		  strstr(r.err, "refuses TF-A certificate soc_fw_key (rule tbbr_certs: headers 2.2); nothing was signed"),
		  "%s", r.err);
	run_free(&r);
	r = run_cmd("cd %s && V=%s/vectors/tbbr && printf 'format: stm32-signer/1\\nkeys:\\n  - uri: file:%%s\\n    policy: "
		    "{tbbr_certs: [soc_fw_key, tos_fw_key]}\\n' $V/keys/tw.pem > c2.yaml && "
		    "kms-sign-digest --config c2.yaml --review p/manifest.yaml | grep 'file:.*tw.pem:'", d, t);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "policy: TF-A certificates soc_fw_key, tos_fw_key"), "%s", r.out);
	run_free(&r);
	tmpdir_rm(d);
}

/* Regression, the other direction of the one above: a key whose policy is
 * only tbbr_certs still signs the certificates it lists, and refuses others. */
Test(tbbr_flow, regression_a_key_limited_to_tbbr_certs_signs_only_the_listed_certificates)
{
	const char *d = tmpdir_new();
	const char *t = getenv("STM32_TESTS");
	struct run r = run_cmd("cd %s && V=%s/vectors/tbbr && " PREP_FIP "-q --out-dir p && "
			       "printf 'format: stm32-signer/1\\nkeys:\\n  - uri: file:%%s\\n    policy: {tbbr_certs: [soc_fw_key]}\\n' "
			       "$V/keys/tw.pem > c.yaml && kms-sign-digest --config c.yaml p/manifest.yaml -o s.yaml", d, t);
	cr_expect_eq(r.code, 1, "%s%s", r.out, r.err);
	cr_expect(strstr(r.err, "refuses TF-A certificate tos_fw_key (rule tbbr_certs: TF-A certificates soc_fw_key); "
			 "nothing was signed"), "%s", r.err);
	cr_expect(!strstr(r.err, "refuses TF-A certificate soc_fw_key"), "%s", r.err);
	cr_expect(!file_exists(pjoin(d, "s.yaml")), "no output on failure");
	run_free(&r);
	tmpdir_rm(d);
}

Test(tbbr_flow, a_fip_prepared_against_a_key_table_assembles_against_its_otp_value)
{
	const char *d = tmpdir_new();
	const char *t = getenv("STM32_TESTS");
	struct run r = run_cmd("cd %s && V=%s/vectors/tbbr && T='--pubkey '$V/keys/rot.pub.pem && "
			       "for i in 1 2 3 4 5 6 7; do T=\"$T --pubkey %s/fixtures/keys/k$i.pub.pem\"; done && "
			       "" PREP_FIP "$T --key-index 0 -q --out-dir p && kms-sign-digest -q p/manifest.yaml -o p/s.yaml 2>/dev/null && "
			       "stm32-prep keys --soc stm32mp25 $T -o otp.bin >/dev/null && "
			       "stm32-assemble -q --otp otp.bin p/manifest.yaml p/s.yaml --out-dir ok && "
			       "head -c 32 /dev/zero > zero.bin && stm32-assemble --otp zero.bin p/manifest.yaml p/s.yaml --out-dir bad",
			       d, t, t);
	cr_expect_eq(r.code, 1, "%s%s", r.out, r.err);
	cr_expect(file_exists(pjoin(d, "ok/fip.bin")) && !file_exists(pjoin(d, "bad")), "%s", r.out);
	cr_expect(strstr(r.err, "FIP fip: certificate stm32mp_cfg_cert: the root key's FSBL key table (slot 0) hashes to "
			 "another value than the OTP"), "%s", r.err);
	run_free(&r);
	tmpdir_rm(d);
}
