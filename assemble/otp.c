#include "otp.h"

#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "common/hex.h"

int otp_parse_arg(const char *arg, uint8_t out[32], struct err *e)
{
	if (!hex_decode_exact(arg, out, 32))
		return 0;
	uint8_t *buf;
	size_t len;
	if (file_read_all(arg, 1024, &buf, &len, e))
		return err_set(e, ERR_USAGE, "--otp '%s' is neither 64 hex digits nor a readable 32-byte file",
			       arg);
	int ok = len == 32;
	if (ok)
		memcpy(out, buf, 32);
	free(buf);
	return ok ? 0 : err_set(e, ERR_INPUT, "--otp file %s holds %zu bytes, expected 32", arg, len);
}
