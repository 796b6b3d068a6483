/* libFuzzer: Vault / OpenBao, Azure Key Vault and Google Cloud KMS - their
 * key URIs (parsed by open, which sends nothing), error bodies, key and sign
 * answers. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_util.h"
#include <string.h>

#include <json-c/json.h>

#include "sign/azure_auth.h"
#include "sign/oauth.h"
#include "sign/config.h"
#include "sign/keystore.h"

static const struct sign_config cfg = { .jobs = 1, .max_attempts = 1, .timeout_ms = 1 };

static void open_uri(const char *scheme, const char *text)
{
	char uri[MF_URI_MAX];
	struct keystore ks;
	struct err e;
	snprintf(uri, sizeof uri, "%s%s", scheme, text);
	if (!keystore_open(&ks, uri, &cfg, &e))
		keystore_close(&ks);
}

/* The answer checks, with a store opened on a fixed URI. */
static void answers(const char *uri, json_object *o, uint32_t algo, int kind)
{
	struct keystore ks;
	struct ks_sig sig;
	struct err e;
	if (keystore_open(&ks, uri, &cfg, &e))
		abort(); /* the fixed URIs open */
	memset(&sig, 0, sizeof sig);
	int corrupt;
	if (kind == 1) {
		vault_key_answer(&ks, o, &e);
		ks.pub.algo = algo;
		vault_signature(&ks, o, &sig, &e);
	} else if (kind == 2) {
		gcp_key_answer(&ks, o, &corrupt, &e);
		ks.pub.algo = algo;
		gcp_sign_answer(&ks, o, &sig, &corrupt, &e);
	} else {
		azure_key_answer(&ks, o, &e);
		ks.pub.algo = algo;
		azure_sign_answer(&ks, o, &sig, &e);
	}
	keystore_close(&ks);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setenv("VAULT_ADDR", "https://127.0.0.1:8200", 1);
	setenv("VAULT_TOKEN", "hvs.fuzz", 1);
	char *text = fuzz_cstr(data, size);
	if (!text)
		return 0;
	open_uri("hashivault://", text);
	open_uri("azurekms://", text);
	open_uri("gcpkms://", text);
	char msg[512];
	oauth_error(text, msg, sizeof msg);
	json_object *o = json_tokener_parse(text);
	if (o && json_object_is_type(o, json_type_object)) {
		uint32_t algo = size && (data[0] & 1) ? ECC_P384 : ECC_P256;
		answers("hashivault://fuzz?version=1", o, algo, 1);
		answers("azurekms://v.vault.azure.net/fuzz/0123", o, algo, 0);
		answers("gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1", o, algo, 2);
	}
	json_object_put(o);
	free(text);
	return 0;
}
