/* libFuzzer: STS AssumeRoleWithWebIdentity XML answers. */
#include <stddef.h>
#include <stdint.h>

#include "sign/aws_creds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aws_creds c;
	struct err e;
	aws_sts_parse_answer((const char *)data, size, &c, &e);
	return 0;
}
