/* CRC32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum Google
 * Cloud KMS puts on every digest, signature and public key it carries. */
#ifndef SIGN_CRC32C_H
#define SIGN_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t crc32c(const void *data, size_t len);

#endif
