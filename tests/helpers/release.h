/* The small release the signer tests sign: n images of an MP25 header over
 * four random payloads, the 8 fixture keys, every image by key idx via uri. */
#ifndef TESTS_RELEASE_H
#define TESTS_RELEASE_H

/* Writes dir/release.yaml, dir/keys, dir/p*.bin and prepares dir/out. Asserts. */
void small_release(const char *dir, int n, int idx, const char *uri);
/* stm32-assemble dir/out/manifest.yaml dir/out/sigs.yaml succeeds. */
void expect_assembles(const char *dir);

#endif
