/* libFuzzer: KMS JSON answers - error bodies, GetPublicKey and Sign answers. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_util.h"
#include <string.h>

#include <json-c/json.h>

#include "sign/keystore.h"
#include "sign/kms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	if (!text)
		return 0;
	char type[128], msg[512];
	kms_parse_error(text, type, sizeof type, msg, sizeof msg);
	kms_classify(400, type);
	json_object *o = json_tokener_parse(text);
	if (o && json_object_is_type(o, json_type_object)) {
		struct keystore ks;
		struct ks_sig sig;
		struct err e;
		memset(&ks, 0, sizeof ks);
		snprintf(ks.uri, sizeof ks.uri, "awskms:///alias/fuzz");
		awskms_key_answer(&ks, o, &e);
		awskms_sign_answer(&ks, o, &sig, &e);
	}
	json_object_put(o);
	free(text);
	return 0;
}
