/* stm32-inspect on a TF-A FIP: the entries as fiptool names them, their
 * offsets, sizes and SHA-256, the certificates' subject CN and algorithm. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers/testutil.h"

#define VEC "%s/vectors/tbbr/"

static const char *tests_dir(void)
{
	const char *t = getenv("STM32_TESTS");
	return t ? t : "tests";
}

Test(inspect_fip, lists_entries_with_fiptool_names_sizes_and_sha256)
{
	struct run r = run_cmd("stm32-inspect " VEC "mp25/fip.bin && sha256sum " VEC "images/bl33.bin", tests_dir(),
			       tests_dir());
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	char sha[65] = "";
	const char *last = strrchr(r.out, '\n');
	while (last > r.out && last[-1] != '\n')
		last--;
	cr_assert(sscanf(last, "%64s", sha) == 1);
	char want[160];
	snprintf(want, sizeof want, "2   nt-fw                  0x3abea    0xc3503    %s", sha);
	cr_expect(strstr(r.out, want), "no '%s' in:\n%s", want, r.out);
	cr_expect(strstr(r.out, "TF-A FIP (ToC name 0xaa640001, serial 0x12345678, flags 0x0)"), "%s", r.out);
	cr_expect(strstr(r.out, "Entries:           14"), "%s", r.out);
	cr_expect(strstr(r.out, "13  stm32mp-cfg-cert       0x10099c   0x285"), "%s", r.out);
	cr_expect(strstr(r.out, "certificate: CN \"STM32MP config FW Certificate\", ecdsa-with-SHA256"), "%s", r.out);
	cr_expect(strstr(r.out, "certificate: CN \"Trusted Key Certificate\", ecdsa-with-SHA256"), "%s", r.out);
	cr_expect(strstr(r.out, "Chain:"), "the chain verdict's place: %s", r.out);
	run_free(&r);
}

Test(inspect_fip, json_has_one_object_per_entry)
{
	struct run r = run_cmd("stm32-inspect --json " VEC "mp13/fip.bin", tests_dir());
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	json_object *arr = json_tokener_parse(r.out), *fip, *entries, *cfg, *v, *cert;
	cr_assert_not_null(arr, "not JSON: %s", r.out);
	fip = json_object_array_get_idx(arr, 0);
	cr_assert(json_object_object_get_ex(fip, "format", &v));
	cr_expect_str_eq(json_object_get_string(v), "fip");
	cr_assert(json_object_object_get_ex(fip, "entries", &entries));
	cr_assert_eq(json_object_array_length(entries), 10);
	cfg = json_object_array_get_idx(entries, 9);
	cr_assert(json_object_object_get_ex(cfg, "name", &v));
	cr_expect_str_eq(json_object_get_string(v), "stm32mp-cfg-cert");
	cr_assert(json_object_object_get_ex(cfg, "uuid", &v));
	cr_expect_str_eq(json_object_get_string(v), "501d8dd2-8bce-49a5-84eb-559a9f2eaeaf");
	cr_assert(json_object_object_get_ex(cfg, "offset", &v));
	cr_expect_eq(json_object_get_int64(v), 0xE9D39);
	cr_assert(json_object_object_get_ex(cfg, "certificate", &cert));
	cr_assert(json_object_object_get_ex(cert, "subject_cn", &v));
	cr_expect_str_eq(json_object_get_string(v), "STM32MP config FW Certificate");
	cr_assert(json_object_object_get_ex(cert, "signature_algorithm", &v));
	cr_expect_str_eq(json_object_get_string(v), "ecdsa-with-SHA256");
	cr_expect(json_object_object_get_ex(fip, "chain", &v), "the chain verdict's place");
	json_object_put(arr);
	run_free(&r);
}

Test(inspect_fip, refuses_a_malformed_fip_naming_the_entry)
{
	const char *dir = tmpdir_new();
	struct run r = run_cmd("head -c 1000 " VEC "mp13/fip.bin > %s/cut.fip && stm32-inspect %s/cut.fip", tests_dir(),
			       dir, dir);
	cr_expect_eq(r.code, 3, "%s%s", r.out, r.err);
	cr_expect(strstr(r.err, "cut.fip: FIP entry 0 (tos-fw): offset 0x1c8 size 0x249f1 ends past the end of the file "
			 "(0x3e8 bytes)"), "%s", r.err);
	run_free(&r);
	r = run_cmd("stm32-inspect --json %s/cut.fip", dir);
	cr_expect_eq(r.code, 3);
	cr_expect(strstr(r.out, "\"exit_code\":3") && strstr(r.out, "FIP entry 0 (tos-fw)"), "%s", r.out);
	run_free(&r);
	tmpdir_rm(dir);
}

Test(inspect_fip, refuses_a_certificate_entry_that_is_not_der_but_lists_it)
{
	const char *dir = tmpdir_new();
	struct run r = run_cmd("cd %s && printf 'not a certificate' > junk && printf 'abc' > img && "
			       "fiptool create --nt-fw img --nt-fw-cert junk "
			       "--blob uuid=01234567-89ab-cdef-0123-456789abcdef,file=img f.fip && stm32-inspect f.fip",
			       dir);
	cr_expect_eq(r.code, 3, "%s%s", r.out, r.err);
	cr_expect(strstr(r.err, "f.fip: FIP entry 1 (nt-fw-cert): not a DER X.509 certificate"), "%s", r.err);
	cr_expect(strstr(r.out, "certificate: MALFORMED: not a DER X.509 certificate"), "%s", r.out);
	cr_expect(strstr(r.out, "2   blob 01234567-89ab-cdef-0123-456789abcdef 0x"), "%s", r.out);
	run_free(&r);
	tmpdir_rm(dir);
}

Test(inspect_fip, takes_images_and_fips_in_one_call)
{
	struct run r = run_cmd("stm32-inspect --json " VEC "mp13/fip.bin %s/vectors/stm32/STM32MP135C-DK_DDR_UTILITIES_A7.stm32",
			       tests_dir(), tests_dir());
	cr_expect_eq(r.code, 0, "%s", r.err);
	json_object *arr = json_tokener_parse(r.out), *v;
	cr_assert_not_null(arr, "%s", r.out);
	cr_assert_eq(json_object_array_length(arr), 2);
	cr_expect(json_object_object_get_ex(json_object_array_get_idx(arr, 0), "entries", &v));
	cr_expect(json_object_object_get_ex(json_object_array_get_idx(arr, 1), "header", &v));
	json_object_put(arr);
	run_free(&r);
}
