/* FSBL encryption as ST's signing tool does it and the ROM undoes it (spec
 * "FSBL encryption"): AES-128-CBC without padding over all image_length bytes
 * (the zero-padded payload: v2.3 also its head padding), IV = hash16 =
 * SHA-256(padded plaintext)[0:16]; the decryption extension ST\0\1 carries
 * key_size 128, the derivation constant and hash16.
 *
 * Streaming, for payloads of any size. Encrypting takes two passes over the
 * plaintext: FSBL_HASH gives hash16 (the IV), then FSBL_ENCRYPT with that IV.
 * Both FSBL_ENCRYPT and FSBL_DECRYPT hash the plaintext they see, and
 * fsbl_stream_final checks it against the IV: for a decryption that is the
 * ROM's check (a wrong secret or constant fails it, ERR_VERIFY); for an
 * encryption it catches a payload that changed between the two passes. */
#ifndef IMAGE_FSBL_CRYPT_H
#define IMAGE_FSBL_CRYPT_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/fileio.h"
#include "common/oem_secret.h"

#define FSBL_HASH16_LEN 16
#define FSBL_ALIGN 32          /* ST pads the (encrypted) payload to this */
#define FSBL_BLOCK 16          /* AES block: the stream's length must be a multiple */

/* The decryption extension itself is built and parsed with the header
 * (image/build.c, image/parse.c: DECRYPT_* in layout.h). */

enum fsbl_mode {
	FSBL_HASH,    /* hash16 of the plaintext only; no key, no output */
	FSBL_ENCRYPT, /* plaintext in, ciphertext to the sink */
	FSBL_DECRYPT, /* ciphertext in, plaintext to the sink */
};

struct fsbl_stream;

/* key and iv are unused (may be NULL) for FSBL_HASH, as is sink. The stream
 * keeps its own copy of the key schedule, cleansed by fsbl_stream_free. */
int fsbl_stream_new(struct fsbl_stream **out, enum fsbl_mode mode, const struct oem_key *key,
		    const uint8_t iv[FSBL_HASH16_LEN], chunk_fn sink, void *sink_arg, struct err *e);
/* Any chunk sizes; output goes to the sink in chunks of at most 64 KiB. */
int fsbl_stream_update(struct fsbl_stream *s, const uint8_t *p, size_t n, struct err *e);
/* The same as a chunk_fn (arg is the stream): fd_for_each_chunk can feed it. */
int fsbl_stream_chunk(const uint8_t *p, size_t n, void *stream, struct err *e);
/* n zero bytes of plaintext (head or tail padding) or of ciphertext. */
int fsbl_stream_zeros(struct fsbl_stream *s, uint64_t n, struct err *e);
/* End: the length must be a multiple of 16; hash16 (may be NULL) gets
 * SHA-256(plaintext)[0:16]; for ENCRYPT/DECRYPT it must equal the IV. */
int fsbl_stream_final(struct fsbl_stream *s, uint8_t hash16[FSBL_HASH16_LEN], struct err *e);
/* Bytes fed so far. */
uint64_t fsbl_stream_len(const struct fsbl_stream *s);
void fsbl_stream_free(struct fsbl_stream *s);

/* Payload bytes rounded up to FSBL_ALIGN (what ST counts in image_length). */
uint64_t fsbl_padded_len(uint64_t n);

#endif
