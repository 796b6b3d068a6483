#ifndef ASSEMBLE_OTP_H
#define ASSEMBLE_OTP_H

#include <stdint.h>

#include "common/err.h"

/* --otp takes 64 hex digits or a file of exactly 32 bytes
 * (publicKeysHashHashes.bin). */
int otp_parse_arg(const char *arg, uint8_t out[32], struct err *e);

#endif
