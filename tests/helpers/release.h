/* The small release the signer tests sign: n images of an MP25 header over
 * four random payloads, the 8 fixture keys, every image by key idx via uri. */
#ifndef TESTS_RELEASE_H
#define TESTS_RELEASE_H

#include "testutil.h"

/* Writes dir/release.yaml, dir/keys, dir/p*.bin and prepares dir/out. Asserts. */
void small_release(const char *dir, int n, int idx, const char *uri);
/* stm32-assemble dir/out/manifest.yaml dir/out/sigs.yaml succeeds. */
void expect_assembles(const char *dir);

/* In dir: one random payload prepared for header hdr with pubkey (a path) and
 * key uri, signed by `kms-sign-digest SIGN_ARGS m.yaml -o s.yaml`, assembled,
 * accepted by stm32-inspect against the manifest's table hash, and the
 * signature verified by openssl over the manifest's digest; r.out ends with
 * the signatures document. env is a shell prefix (exports). */
struct run prep_sign_verify(const char *env, const char *dir, const char *hdr, const char *pubkey,
			    const char *uri, const char *sign_args);

#endif
