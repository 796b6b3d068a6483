#include "release.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "testutil.h"

void small_release(const char *dir, int n, int idx, const char *uri)
{
	FILE *f = fopen(pjoin(dir, "release.yaml"), "w");
	cr_assert_not_null(f);
	fprintf(f, "format: stm32-release/1\nrelease: test\nkeysets:\n  oem: [keys/k0.pub.pem, keys/k1.pub.pem, "
		   "keys/k2.pub.pem, keys/k3.pub.pem, keys/k4.pub.pem, keys/k5.pub.pem, keys/k6.pub.pem, keys/k7.pub.pem]\nimages:\n");
	for (int i = 0; i < n; i++)
		fprintf(f, "  - {id: img%04d, input: p%d.bin, soc: stm32mp25, image_version: %d, keyset: oem, "
			   "key_index: %d, key_uri: '%s'}\n", i, i % 4, i, idx, uri);
	fclose(f);
	struct run r = run_cmd("cd %s && mkdir -p keys && cp %s/fixtures/keys/k?.pub.pem keys/ && "
			       "for i in 0 1 2 3; do head -c $((1000 + i * 77)) /dev/urandom > p$i.bin; done && "
			       "stm32-prep -q --release release.yaml --out-dir out", dir, getenv("STM32_TESTS"));
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
}

void expect_assembles(const char *dir)
{
	struct run r = run_cmd("cd %s && stm32-assemble -q out/manifest.yaml out/sigs.yaml --out-dir signed", dir);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
}

struct run prep_sign_verify(const char *env, const char *dir, const char *hdr, const char *pubkey,
			    const char *uri, const char *sign_args)
{
	return run_cmd(
		"%s cd %s && head -c 70001 /dev/urandom > p && "
		"stm32-prep -q --header %s --type fsbl --entry 0x2ffe0000 --image-version 4 --pubkey %s "
		"--key-uri '%s' p -o img.prepared.stm32 -m m.yaml && "
		"kms-sign-digest %s m.yaml -o s.yaml && stm32-assemble -q m.yaml s.yaml --out-dir out && "
		"stm32-inspect --otp $(grep table_hash m.yaml | awk '{print $2}') out/img.stm32 | "
		"grep -q 'ROM verdict:       accepted' && "
		"grep signature_der s.yaml | awk '{print $2}' | base64 -d > sig.der && "
		"grep -E '^ *digest:' m.yaml | awk '{print $2}' | xxd -r -p > d.bin && "
		"openssl pkeyutl -verify -pubin -inkey %s -in d.bin -sigfile sig.der && cat s.yaml",
		env, dir, hdr, pubkey, uri, sign_args, pubkey);
}
