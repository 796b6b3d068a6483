/* Debian's cert_create (arm-trusted-firmware-tools, built without a platform:
 * TF-A's generic TBBR chain, our "tbbr" row) as an independent oracle: fresh
 * keys and random images each run; each of its seven certificates' TBS equals
 * ours once serial and validity are its own, and its signature verifies over
 * ours. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers/tbbr_vec.h"
#include "tests/helpers/testutil.h"

static const char *const generic_certs[] = { "trusted_key", "soc_fw_key", "soc_fw_content", "tos_fw_key",
					     "tos_fw_content", "nt_fw_key", "nt_fw_content" };

static void make_inputs_and_run_cert_create(const char *dir)
{
	struct run r = run_cmd(
		"cd %s && mkdir keys images out && "
		"for k in rot tw ntw tos nt soc; do openssl ecparam -genkey -name prime256v1 -noout -out keys/$k.pem || exit 1; done && "
		"for f in bl31.bin:9001 bl32.bin:15001 bl33.bin:80003 hw.dtb:3001 fwcfg.dtb:1201 socfwcfg.dtb:2001 ddr_fw.bin:4001; do "
		"head -c ${f#*:} /dev/urandom > images/${f%%:*} || exit 1; done && "
		"cert_create -n --key-alg ecdsa --hash-alg sha256 --rot-key keys/rot.pem --trusted-world-key keys/tw.pem "
		"--non-trusted-world-key keys/ntw.pem --tos-fw-key keys/tos.pem --nt-fw-key keys/nt.pem --soc-fw-key keys/soc.pem "
		"--tfw-nvctr 5 --ntfw-nvctr 9 --trusted-key-cert out/trusted_key.crt --tos-fw-key-cert out/tos_fw_key.crt "
		"--tos-fw-cert out/tos_fw_content.crt --nt-fw-key-cert out/nt_fw_key.crt --nt-fw-cert out/nt_fw_content.crt "
		"--soc-fw-key-cert out/soc_fw_key.crt --soc-fw-cert out/soc_fw_content.crt --tos-fw images/bl32.bin "
		"--nt-fw images/bl33.bin --soc-fw images/bl31.bin --soc-fw-config images/socfwcfg.dtb",
		dir);
	cr_assert_eq(r.code, 0, "cert_create: %s%s", r.out, r.err);
	run_free(&r);
}

Test(tbbr_oracle, debian_cert_create_generic_tbs_equals_ours_with_fresh_keys_and_images)
{
	if (access("/usr/bin/cert_create", X_OK) && system("command -v cert_create >/dev/null 2>&1"))
		cr_skip_test("cert_create is not installed (Debian package arm-trusted-firmware-tools: make deps)");
	const char *dir = tmpdir_new();
	make_inputs_and_run_cert_create(dir);
	struct tbbr_values v;
	tbbr_vec_values_from(pjoin(dir, "keys"), pjoin(dir, "images"), 5, &v);
	v.nv[TBBR_NV_NON_TRUSTED] = 9;
	const struct tbbr_chain *ch = tbbr_chain_find("tbbr");
	cr_assert_eq(ch->ncerts, 7);
	for (size_t i = 0; i < 7; i++) {
		const struct tbbr_cert *ce = tbbr_chain_cert(ch, generic_certs[i]);
		char name[64];
		snprintf(name, sizeof name, "out/%s.crt", generic_certs[i]);
		struct tbbr_vec_cert vc;
		tbbr_vec_read_cert(pjoin(dir, name), &vc);
		uint8_t *tbs, h[32], raw[ECC_RAW_SIG_MAX];
		size_t len;
		struct err e = { 0 };
		cr_assert_eq(tbbr_tbs_build(ce, &v, &vc.stamp, &tbs, &len, &e), 0, "%s", e.msg);
		cr_expect(len == vc.tbs_len && !memcmp(tbs, vc.tbs, len), "%s: our TBS differs from cert_create's",
			  ce->name);
		sha256(tbs, len, h);
		cr_assert_eq(sig_der_to_raw(vc.sig, vc.sig_len, ECC_P256, raw, &e), 0, "%s", e.msg);
		cr_expect_eq(ecdsa_verify_digest(&v.key[ce->signer], h, raw, &e), 0, "%s: %s", ce->name, e.msg);
		free(tbs);
		tbbr_vec_cert_free(&vc);
	}
	tmpdir_rm(dir);
}
