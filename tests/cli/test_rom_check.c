/* tests/tools/rom_check.py, the independent re-implementation of the ROM's checks
 * (written from the spec only), against the 26 images ST's own signing tool made:
 * it must accept what ST signed, reject what the ROM rejects, and ignore exactly the
 * bytes the ROM does not sign. Table-driven over the vectors' cases.tsv. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers/testutil.h"

#define VEC "vectors/st-signed"

struct keyset {
	const char *dir;  /* keys_<dir> */
	int algo;
	char otp[65];     /* key-table hash of pub0..pub7 */
	char otp_v1[65];  /* v1.0: SHA-256(X||Y) of pub0 */
};

static struct keyset sets[] = {
	{ "p256", 1, "", "" }, { "bp256", 2, "", "" }, { "p384", 3, "", "" }, { "bp384", 4, "", "" },
};

static void otp_into(char *dst, const char *args)
{
	struct run r = run_cmd("cd %s && /usr/bin/python3 %s otp %s", fixture(VEC),
			       fixture("tools/rom_check.py"), args);
	cr_assert_eq(r.code, 0, "otp %s: %s", args, r.err);
	cr_assert_geq(strlen(r.out), 64, "otp %s: %s", args, r.out);
	memcpy(dst, r.out, 64);
	dst[64] = '\0';
	run_free(&r);
}

static void setup_otps(void)
{
	char a[256];
	for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
		snprintf(a, sizeof a, "--algo %d $(for i in 0 1 2 3 4 5 6 7; do printf 'keys_%s/pub%%s.pem ' $i; done)",
			 sets[i].algo, sets[i].dir);
		otp_into(sets[i].otp, a);
		snprintf(a, sizeof a, "--v1 --algo %d keys_%s/pub0.pem", sets[i].algo, sets[i].dir);
		otp_into(sets[i].otp_v1, a);
	}
}

static const struct keyset *keyset_of(const char *args)
{
	const char *k = strstr(args, "keys_");
	if (!k)
		return NULL;
	for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
		size_t n = strlen(sets[i].dir);
		if (!strncmp(k + 5, sets[i].dir, n) && k[5 + n] == '/')
			return &sets[i];
	}
	return NULL;
}

/* One row of cases.tsv: name TAB the signing tool's arguments. */
struct row {
	char name[64];
	char otp_arg[80];   /* "--otp HEX" or "" */
	int expect;         /* rom_check exit code */
};

static size_t load_rows(struct row *rows, size_t max)
{
	size_t len, n = 0;
	char *tsv = (char *)read_file(fixture(VEC "/cases.tsv"), &len);
	cr_assert_not_null(tsv);
	for (char *save = NULL, *line = strtok_r(tsv, "\n", &save); line && n < max;
	     line = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(line, '\t');
		cr_assert_not_null(tab, "cases.tsv line without a tab: %s", line);
		*tab = '\0';
		struct row *r = &rows[n++];
		snprintf(r->name, sizeof r->name, "%s", line);
		const struct keyset *ks = keyset_of(tab + 1);
		r->otp_arg[0] = '\0';
		if (ks)
			snprintf(r->otp_arg, sizeof r->otp_arg, "--otp %s",
				 !strncmp(line, "v10", 3) ? ks->otp_v1 : ks->otp);
		r->expect = strstr(line, "nokeys") ? 1 : !strncmp(line, "v21", 3) ? 3 : 0;
	}
	free(tsv);
	return n;
}

static struct run rom_check(const char *image, const char *args)
{
	return run_cmd("cd %s && /usr/bin/python3 %s %s %s", fixture(VEC), fixture("tools/rom_check.py"),
		       args, image);
}

Test(rom_check, accepts_every_image_st_signed_and_rejects_the_unsigned_ones, .init = setup_otps)
{
	struct row rows[40];
	size_t n = load_rows(rows, 40);
	cr_assert_eq(n, 26, "cases.tsv has %zu rows, expected 26", n);
	for (size_t i = 0; i < n; i++) {
		char img[96], args[160];
		snprintf(img, sizeof img, "out/%s.stm32", rows[i].name);
		snprintf(args, sizeof args, "%s%s", rows[i].otp_arg,
			 strstr(rows[i].name, "_enc") ? " --oem-secret oem_secret.bin" : "");
		struct run r = rom_check(img, args);
		cr_expect_eq(r.code, rows[i].expect, "%s: exit %d, expected %d\n%s%s", rows[i].name, r.code,
			     rows[i].expect, r.out, r.err);
		if (rows[i].expect == 1)
			cr_expect(strstr(r.out, "authentication") != NULL, "%s: %s", rows[i].name, r.out);
		if (rows[i].expect == 3)
			cr_expect(strstr(r.err, "v2.1") != NULL, "%s: %s", rows[i].name, r.err);
		run_free(&r);
	}
}

/* A copy of an ST image with one bit flipped, checked against the key set's OTP. */
static struct run flipped(const char *dir, const char *name, long off, const char *otp)
{
	return run_cmd("cp %s/out/%s.stm32 %s/f.stm32 && /usr/bin/python3 %s %s/f.stm32 %ld && "
		       "/usr/bin/python3 %s --otp %s %s/f.stm32",
		       fixture(VEC), name, dir, fixture("tools/flipbit.py"), dir, off,
		       fixture("tools/rom_check.py"), otp, dir);
}

struct flip {
	const char *name;
	long off;      /* < 0: from the end of the file */
	int expect;
	const char *first_failure;
};

Test(rom_check, rejects_a_flipped_signed_bit_and_ignores_the_unsigned_words, .init = setup_otps)
{
	static const struct flip flips[] = {
		{ "v10_p256", -1, 1, "ecdsa" },
		{ "v20_p256", -1, 1, "ecdsa" },
		{ "v20_p256", 0x78, 1, "ecdsa" },     /* v2.0 signs 0x78..0x7F */
		{ "v22_p256", -1, 1, "ecdsa" },
		{ "v22_p256", 0x200, 1, "ecdsa" },   /* padding extension body is signed */
		{ "v22_enc", -1, 1, "ecdsa" },
		{ "v23_p256", -1, 1, "ecdsa" },
		{ "v23_p384", 0x400, 1, "ecdsa" },
		{ "v23_bp384", 0x80, 1, "ecdsa" },   /* image version is signed */
		{ "v23_p256", 0x48, 1, "signature_tail" },
		{ "v22_p256", 0xD4, 1, "otp" },      /* table entry 0 */
		{ "v22_p256", 0x94, 1, "key_entry" }, /* embedded key */
		{ "v22_p256", 0x78, 0, NULL }, { "v22_p256", 0x7B, 0, NULL },
		{ "v22_p256", 0x7C, 0, NULL }, { "v22_p256", 0x7F, 0, NULL },
		{ "v22_enc", 0x7A, 0, NULL },
		{ "v23_p256", 0x98, 0, NULL }, { "v23_p256", 0x9B, 0, NULL },
		{ "v23_p384", 0x9C, 0, NULL }, { "v23_bp384", 0x9F, 0, NULL },
	};
	const char *dir = tmpdir_new();
	for (size_t i = 0; i < sizeof flips / sizeof flips[0]; i++) {
		const struct flip *f = &flips[i];
		const char *otp = strstr(f->name, "bp384") ? sets[3].otp : strstr(f->name, "p384") ? sets[2].otp
				: !strncmp(f->name, "v10", 3) ? sets[0].otp_v1 : sets[0].otp;
		long off = f->off;
		char path[256];
		snprintf(path, sizeof path, "%s/out/%s.stm32", fixture(VEC), f->name);
		if (off < 0) {
			size_t len;
			uint8_t *b = read_file(path, &len);
			cr_assert_not_null(b, "%s", path);
			free(b);
			off += (long)len;
		}
		struct run r = flipped(dir, f->name, off, otp);
		cr_expect_eq(r.code, f->expect, "%s bit at 0x%lX: exit %d, expected %d\n%s%s", f->name, off,
			     r.code, f->expect, r.out, r.err);
		if (f->first_failure) {
			char want[64];
			snprintf(want, sizeof want, "first failure: %s:", f->first_failure);
			cr_expect(strstr(r.out, want) != NULL, "%s bit at 0x%lX: want '%s'\n%s", f->name, off, want, r.out);
		}
		run_free(&r);
	}
	tmpdir_rm(dir);
}

Test(rom_check, rejects_a_key_set_that_is_not_the_fused_one, .init = setup_otps)
{
	char args[80];
	snprintf(args, sizeof args, "--otp %s", sets[1].otp); /* brainpool set's OTP */
	struct run r = rom_check("out/v22_p256.stm32", args);
	cr_expect_eq(r.code, 1, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "first failure: otp:") != NULL, "%s", r.out);
	run_free(&r);
}

Test(rom_check, decrypts_every_st_encrypted_payload_to_the_padded_plain_payload)
{
	static const struct { const char *name, *pay; int head; } enc[] = {
		{ "v20_enc", "pay_4660.bin", 0 }, { "v22_enc", "pay_4660.bin", 0 },
		{ "v22_enc_big", "pay_200003.bin", 0 }, { "v23_enc", "pay_4660.bin", 0x400 - 0x240 },
	};
	const char *dir = tmpdir_new();
	for (size_t i = 0; i < sizeof enc / sizeof enc[0]; i++) {
		/* expected: head zeros, payload, zeros to a multiple of 32 */
		struct run r = run_cmd(
			"cd %s && /usr/bin/python3 %s --oem-secret oem_secret.bin --plain-out %s/p.bin out/%s.stm32 >/dev/null && "
			"{ head -c %d /dev/zero; cat %s; } > %s/e.bin && n=$(stat -c %%s %s/e.bin) && "
			"head -c $(( (32 - n %% 32) %% 32 )) /dev/zero >> %s/e.bin && cmp %s/p.bin %s/e.bin",
			fixture(VEC), fixture("tools/rom_check.py"), dir, enc[i].name, enc[i].head, enc[i].pay, dir, dir,
			dir, dir, dir);
		cr_expect_eq(r.code, 0, "%s: %s%s", enc[i].name, r.out, r.err);
		run_free(&r);
	}
	struct run r = run_cmd("head -c 16 /dev/zero > %s/wrong.bin && cd %s && /usr/bin/python3 %s "
			       "--oem-secret %s/wrong.bin out/v22_enc.stm32", dir, fixture(VEC),
			       fixture("tools/rom_check.py"), dir);
	cr_expect_eq(r.code, 1, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "first failure: decryption:") != NULL, "%s", r.out);
	run_free(&r);
	tmpdir_rm(dir);
}
