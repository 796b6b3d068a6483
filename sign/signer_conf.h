/* The signer's own configuration (signer.yaml, format stm32-signer/1): the
 * keys this host may use, where their PKCS#11 module and PIN come from, their
 * AWS profile, region and endpoint, and the policy each key signs under. A
 * manifest comes from the build host: it names a key, and nothing else about
 * it is taken from the manifest. See docs/formats.md. */
#ifndef SIGN_SIGNER_CONF_H
#define SIGN_SIGNER_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "manifest/manifest.h"

#define SIGNER_CONF_FORMAT "stm32-signer/1"
#define POLICY_MAX_LIST 16

enum pin_kind { PIN_NONE, PIN_FILE, PIN_ENV, PIN_PROMPT };

struct key_policy {
	char headers[POLICY_MAX_LIST][8];  /* header versions it may sign; none: any */
	size_t nheaders;
	uint32_t types[POLICY_MAX_LIST];   /* binary types; none: any */
	size_t ntypes;
	int has_min_version;
	uint32_t min_version;
	size_t max_images;                 /* per run; 0: no limit */
	char certs[POLICY_MAX_LIST][32];   /* TF-A certificates it may sign ("trusted_key", ...) */
	size_t ncerts;
};

struct key_conf {
	char uri[MF_URI_MAX];       /* as a manifest names it */
	char module[1024];          /* PKCS#11 module path */
	enum pin_kind pin;
	char pin_arg[1024];         /* file path or variable name */
	char profile[128], region[64], endpoint[512];
	char access_token_file[1024]; /* Google Cloud KMS: an access token kept in a file */
	/* Vault / OpenBao AppRole login (approle:); role_id "" when none */
	char approle_role_id[128], approle_secret_file[1024], approle_mount[128];
	struct key_policy policy;
};

struct signer_conf {
	char path[4096];            /* "" when none was read */
	struct key_conf *keys;
	size_t n;
	char audit_log[4096];
};

/* Read path; with path NULL, the default ($XDG_CONFIG_HOME or ~/.config,
 * then stm32-kms-sign/signer.yaml), which may be absent. */
int signer_conf_load(const char *path, struct signer_conf *c, struct err *e);
int signer_conf_parse(const uint8_t *buf, size_t len, const char *name, struct signer_conf *c,
		      struct err *e);
void signer_conf_free(struct signer_conf *c);
/* The configured key a manifest URI names (its module-path and pin-source
 * attributes aside), or NULL. */
const struct key_conf *signer_conf_find(const struct signer_conf *c, const char *uri);
/* The URI without its query attributes (module-path, pin-source, pin-value). */
void key_uri_identity(const char *uri, char *out, size_t n);

#endif
