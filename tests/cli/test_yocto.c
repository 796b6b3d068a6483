/* The commands of examples/yocto's two-phase tasks, without a Yocto build. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers/testutil.h"

Test(yocto, two_phase_tasks_prepare_sign_and_deploy_verified_images)
{
	const char *dir = tmpdir_new();
	const char *t = getenv("STM32_TESTS");
	struct run r = run_cmd(
		"cd %s && mkdir keys && for i in 0 1 2 3 4 5 6 7; do cp %s/fixtures/keys/k$i.pub.pem keys/publicKey0$i.pem; done && "
		"export PATH=%s/../examples/yocto/files:$PATH && "
		"stm32-kms-sign-prep stm32mp25 work keys 3 file:%s/fixtures/keys/k3.pem "
		"%s/vectors/stm32/STM32MP257F-EV1_DDR_UTILITIES_A35_nopad_no_el3lnch.stm32 "
		"%s/vectors/stm32/STM32MP257F-DK_DDR_UTILITIES_A35_nopad_no_el3lnch.stm32 && "
		"kms-sign-digest -q work/prepared/manifest.yaml -o signatures.yaml && "
		"stm32-prep keys --soc stm32mp25 $(for i in 0 1 2 3 4 5 6 7; do printf -- '--pubkey keys/publicKey0%%s.pem ' $i; done) -o otp.bin >/dev/null 2>&1 && "
		"stm32-kms-sign-assemble work signatures.yaml deploy otp.bin && ls deploy && "
		"for f in deploy/*_Signed.stm32; do stm32-inspect --otp otp.bin $f | grep -q 'accepted' || exit 1; done",
		dir, t, t, t, t, t);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "STM32MP257F-EV1_DDR_UTILITIES_A35_nopad_no_el3lnch_Signed.stm32") != NULL, "%s", r.out);
	run_free(&r);
	tmpdir_rm(dir);
}
