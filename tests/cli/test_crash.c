/* Crash safety: SIGKILL at random points of a 500-image batch. Afterwards
 * every output is complete and valid or absent, and --resume finishes the
 * batch, re-signing at most what was in flight at each kill.
 * The points are random (the seed is printed; STM32_TEST_SEED=N replays a run)
 * and counted in progress (journal lines, images written), not in time, and
 * each round checks that its kill landed (the process died of SIGKILL). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/helpers/kms.h"
#include "tests/helpers/testutil.h"

static const char *dir;
static struct kms_srv srv;
static unsigned seed;

static void seed_from_env(void)
{
	const char *s = getenv("STM32_TEST_SEED");
	seed = s && *s ? (unsigned)strtoul(s, NULL, 10) : (unsigned)time(NULL) ^ (unsigned)getpid();
	fprintf(stderr, "crash: seed %u (STM32_TEST_SEED=%u replays it)\n", seed, seed);
	srand(seed);
}

/* Shell: start CMD in the background, wait until COUNT (a shell command printing a
 * number) reaches its value before the start plus N, then SIGKILL; prints "killed"
 * if the process died of that signal. Gives up waiting after 20 s. */
#define KILL_AT(cmd, count)                                                                     \
	"base=$(" count "); " cmd " & pid=$!; i=0; "                                              \
	"while [ $(" count ") -lt $((base + %d)) ] && [ $i -lt 2000 ]; do sleep 0.01; i=$((i + 1)); done; " \
	"kill -9 $pid 2>/dev/null; wait $pid; [ $? = 137 ] && echo killed; "
#define JOURNAL_LINES "cat out/s.yaml.journal 2>/dev/null | wc -l"

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
	seed_from_env();
}

static void stop(void)
{
	kms_stop(&srv);
	tmpdir_rm(dir);
}

Test(crash, killed_signer_loses_nothing_and_resume_finishes, .init = start, .fini = stop, .timeout = 240)
{
	/* 500 digests x 30 ms / 8 jobs >= 1.9 s; each kill lands within 120 new journal
	 * lines, so three rounds (at most 360) never reach the end of the batch. */
	kms_control(&srv, "{\"latency_ms\": 30}");
	int kills = 0;
	for (int round = 0; round < 3; round++) {
		int lines = 1 + rand() % 120;
		struct run r = run_cmd("%s cd %s; "
				       KILL_AT("kms-sign-digest -q --resume --jobs 8 out/manifest.yaml -o out/s.yaml",
					       JOURNAL_LINES)
				       "test ! -e out/s.yaml || grep -q '^format: stm32-sign-signatures/1' out/s.yaml",
				       srv.env, dir, lines);
		cr_expect_eq(r.code, 0, "seed %u round %d: the output is neither absent nor a whole document",
			     seed, round);
		cr_expect(strstr(r.out, "killed") != NULL, "seed %u round %d: the kill after %d journal lines did not land",
			  seed, round, lines);
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
	cr_expect_leq(signs, 500 + 8L * kills, "seed %u: %ld Sign calls for 500 digests and %d kills", seed, signs, kills);
	cr_log_info("crash: %d kill(s), %ld Sign calls for 500 digests", kills, signs);
}

Test(crash, without_resume_a_journal_of_paid_signatures_is_not_discarded, .init = start, .fini = stop)
{
	kms_control(&srv, "{\"latency_ms\": 20}");
	/* killed once the journal holds a paid signature */
	struct run r = run_cmd("%s cd %s; "
			       KILL_AT("kms-sign-digest -q --jobs 2 out/manifest.yaml -o out/s.yaml", JOURNAL_LINES)
			       "kms-sign-digest out/manifest.yaml -o out/s.yaml", srv.env, dir, 1);
	cr_expect(strstr(r.out, "killed") != NULL, "the signer was not killed: %s", r.err);
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
		/* killed after 1 to 300 images written in this round (each rewrites them all) */
		int images = 1 + rand() % 300;
		r = run_cmd("cd %s; touch round; "
			    KILL_AT("stm32-assemble -q out/manifest.yaml out/s.yaml --out-dir signed",
				    "find signed -newer round -name '*.stm32' 2>/dev/null | wc -l")
			    "for f in $(ls signed 2>/dev/null); do stm32-inspect signed/$f >/dev/null || exit 8; done",
			    dir, images);
		cr_expect_eq(r.code, 0, "seed %u round %d: exit %d: a visible image does not verify", seed, round, r.code);
		cr_expect(strstr(r.out, "killed") != NULL, "seed %u round %d: the kill after %d images did not land",
			  seed, round, images);
		run_free(&r);
	}
	r = run_cmd("cd %s && stm32-assemble -q out/manifest.yaml out/s.yaml --out-dir signed && ls signed | wc -l && ls -A signed | grep -c '^\\.' ", dir);
	cr_expect_str_eq(r.out, "500\n0\n", "%s %s", r.out, r.err);
	run_free(&r);
}
