/* An AWS KMS JSON-protocol client: SigV4 on every attempt, a shared rate
 * limit, retries with exponential backoff and full jitter for throttling,
 * server faults and transport errors; never for access, state or
 * validation errors. */
#ifndef SIGN_KMS_H
#define SIGN_KMS_H

#include <pthread.h>

#include <json-c/json.h>

#include "aws_creds.h"
#include "config.h"
#include "http.h"
#include "ratelimit.h"

struct kms_client {
	struct aws_settings settings;
	char url[512];      /* https://host[:port]/ */
	char host[300];     /* Host header: host[:port] when not default */
	char region[64];
	const struct sign_config *cfg;
	pthread_mutex_t mu; /* guards creds */
	struct aws_creds creds;
	int have_creds;
	struct ratelimit *rl; /* one per process: --max-rate is for all keys together */
	long clock_offset;  /* seconds to add to this host's clock (guarded by mu) */
};

struct key_conf;

/* endpoint: from the key URI (awskms://HOST:PORT/...), or NULL for the
 * standard settings. key_id helps find the region of an ARN. kc (may be
 * NULL): the signer configuration's profile, region and endpoint for the
 * key. When the URI came from a manifest (uri_untrusted), its endpoint is
 * used only if kc or the operator's AWS settings name it. */
int kms_client_init(struct kms_client *k, const char *endpoint, const char *key_id,
		    const struct sign_config *cfg, const struct key_conf *kc, int uri_untrusted,
		    struct err *e);
void kms_client_free(struct kms_client *k);
/* "aws:ACCESS_KEY_ID (source)" of the credentials in use, for the audit log. */
void kms_principal(struct kms_client *k, char *out, size_t n);

/* POST one action ("GetPublicKey", "Sign") with a JSON body; *out is the
 * parsed answer on success. */
int kms_call(struct kms_client *k, CURL *h, const char *action, json_object *body,
	     json_object **out, struct err *e);

/* Classification of an error answer (exposed for tests). */
enum kms_retry { KMS_FATAL, KMS_RETRY, KMS_REFRESH };
enum kms_retry kms_classify(long status, const char *type);
/* Type (after the last '#') and message of a KMS error answer. */
void kms_parse_error(const char *body, char *type, size_t tn, char *msg, size_t mn);

#endif
