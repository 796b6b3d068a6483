/* Crash safety: SIGKILL at random points of a 500-image batch. Afterwards
 * every output is complete and valid or absent, and --resume finishes the
 * batch, re-signing at most what was in flight at each kill. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/helpers/kms.h"
#include "tests/helpers/testutil.h"

static const char *dir;
static struct kms_srv srv;

static void start(void)
{
	dir = tmpdir_new();
	kms_start_fixture_keys(&srv, dir, "k1");
	FILE *f = fopen(pjoin(dir, "rel.yaml"), "w");
	fprintf(f, "format: stm32-release/1\nkeysets:\n  k: [k0.pub.pem, k1.pub.pem]\nimages:\n");
	for (int i = 0; i < 500; i++)
		fprintf(f, "  - {id: i%03d, input: p%d.bin, soc: stm32mp25, image_version: %d, keyset: k, key_index: 1, key_uri: 'awskms:///alias/k1'}\n",
			i, i % 3, i);
	fclose(f);
	struct run r = run_cmd("cd %s && cp %s/k0.pub.pem %s/k1.pub.pem . && for i in 0 1 2; do head -c $((3000 + i)) /dev/urandom > p$i.bin; done && "
			       "stm32-prep -q --release rel.yaml --out-dir out", dir, fixture("fixtures/keys"), fixture("fixtures/keys"));
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	srand((unsigned)time(NULL));
}

static void stop(void)
{
	kms_stop(&srv);
	tmpdir_rm(dir);
}

Test(crash, killed_signer_loses_nothing_and_resume_finishes, .init = start, .fini = stop, .timeout = 240)
{
	/* 500 digests x 30 ms / 8 jobs >= 1.9 s: the first kill (0.3 to 1.2 s) always lands */
	kms_control(&srv, "{\"latency_ms\": 30}");
	int kills = 0;
	for (int round = 0; round < 3; round++) {
		int ms = 300 + rand() % 900;
		struct run r = run_cmd("%s cd %s; kms-sign-digest -q --resume --jobs 8 out/manifest.yaml -o out/s.yaml & "
				       "pid=$!; sleep %d.%03d; kill -9 $pid 2>/dev/null && echo killed; wait $pid; "
				       "test ! -e %s/out/s.yaml || grep -q '^format: stm32-sign-signatures/1' %s/out/s.yaml",
				       srv.env, dir, ms / 1000, ms % 1000, dir, dir);
		cr_expect_eq(r.code, 0, "round %d: the output is neither absent nor a whole document", round);
		if (strstr(r.out, "killed"))
			kills++;
		run_free(&r);
	}
	struct run r = run_cmd("%s cd %s && kms-sign-digest -q --resume --jobs 8 out/manifest.yaml -o out/s.yaml && "
			       "test ! -e out/s.yaml.journal && stm32-assemble -q out/manifest.yaml out/s.yaml --out-dir signed && "
			       "ls signed | wc -l", srv.env, dir);
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "500\n");
	run_free(&r);
	long signs = kms_stat(&srv, "sign");
	cr_expect_geq(kills, 1, "no run was killed: the test proved nothing");
	cr_expect_leq(signs, 500 + 8L * kills, "%ld Sign calls for 500 digests and %d kills", signs, kills);
	cr_log_info("crash: %d kill(s), %ld Sign calls for 500 digests", kills, signs);
}

Test(crash, without_resume_a_journal_of_paid_signatures_is_not_discarded, .init = start, .fini = stop)
{
	kms_control(&srv, "{\"latency_ms\": 20}");
	struct run r = run_cmd("%s cd %s; kms-sign-digest -q --jobs 2 out/manifest.yaml -o out/s.yaml & pid=$!; sleep 0.8; kill -9 $pid; wait $pid; "
			       "kms-sign-digest out/manifest.yaml -o out/s.yaml", srv.env, dir);
	cr_expect_eq(r.code, 2);
	cr_expect(strstr(r.err, "s.yaml.journal holds signatures of an interrupted run: add --resume") != NULL, "%s", r.err);
	run_free(&r);
}

Test(crash, killed_assembler_leaves_no_partial_image_and_a_rerun_completes, .init = start, .fini = stop, .timeout = 240)
{
	struct run r = run_cmd("%s cd %s && kms-sign-digest -q --jobs 16 out/manifest.yaml -o out/s.yaml", srv.env, dir);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	for (int round = 0; round < 3; round++) {
		int ms = 20 + rand() % 400;
		r = run_cmd("cd %s; stm32-assemble -q out/manifest.yaml out/s.yaml --out-dir signed & pid=$!; "
			    "sleep 0.%03d; kill -9 $pid 2>/dev/null; wait $pid; "
			    "for f in $(ls signed 2>/dev/null); do stm32-inspect signed/$f >/dev/null || exit 8; done",
			    dir, ms);
		cr_expect_eq(r.code, 0, "round %d (%d ms): exit %d: a visible image does not verify", round, ms, r.code);
		run_free(&r);
	}
	r = run_cmd("cd %s && stm32-assemble -q out/manifest.yaml out/s.yaml --out-dir signed && ls signed | wc -l && ls -A signed | grep -c '^\\.' ", dir);
	cr_expect_str_eq(r.out, "500\n0\n", "%s %s", r.out, r.err);
	run_free(&r);
}
