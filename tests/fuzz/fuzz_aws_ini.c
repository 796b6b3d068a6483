/* libFuzzer: the AWS shared config and credentials files. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_util.h"
#include <string.h>

#include "sign/aws_creds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	if (!text)
		return 0;
	struct aws_profile p;
	struct err e;
	memset(&p, 0, sizeof p);
	snprintf(p.name, sizeof p.name, "default");
	aws_profile_parse(text, "fuzz", &p, 0, &e);
	aws_profile_parse(text, "fuzz", &p, 1, &e);
	aws_parse_time(text);
	free(text);
	return 0;
}
