#ifndef COMMON_HEX_H
#define COMMON_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Lower-case hex of len bytes into out (size >= 2*len+1). */
void hex_encode(const uint8_t *in, size_t len, char *out);

/* Decode exactly want bytes from a string of 2*want hex digits (an optional
 * leading "0x" is accepted). Returns 0 on success, -1 otherwise. */
int hex_decode_exact(const char *s, uint8_t *out, size_t want);

/* Decode a hex string of any even length up to max bytes; *len gets the count. */
int hex_decode(const char *s, uint8_t *out, size_t max, size_t *len);

/* Standard base64 (with padding). out must hold 4*((len+2)/3)+1 bytes. */
void b64_encode(const uint8_t *in, size_t len, char *out);

/* Decode standard base64; returns 0 and sets *len, or -1 on bad input or overflow. */
int b64_decode(const char *s, uint8_t *out, size_t max, size_t *len);

#endif
