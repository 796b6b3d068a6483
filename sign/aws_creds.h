/* AWS settings (region, endpoint, CA bundle) and the credential chain, in the
 * order the AWS CLI uses: environment, profile (static keys or
 * credential_process), container endpoint, EC2 IMDSv2. */
#ifndef SIGN_AWS_CREDS_H
#define SIGN_AWS_CREDS_H

#include <time.h>

#include "common/err.h"

struct aws_creds {
	char access_key[128];
	char secret_key[128];
	char token[4096];
	time_t expiration;     /* 0: does not expire */
	char source[64];       /* "environment", "profile default", ... */
};

struct aws_profile {
	char name[128];
	char access_key[128];
	char secret_key[128];
	char token[4096];
	char region[64];
	char endpoint_url[512];
	char credential_process[1024];
	int found;             /* a value of the profile was read from a file */
};

struct aws_settings {
	struct aws_profile profile;
	char region[64];
	char endpoint[512];    /* from the environment or the profile; "" for the default */
	char ca_bundle[4096];
	int fips;
	char files[2][4096];   /* the credentials and config files searched */
};

/* getenv, with an empty value read as unset (as the AWS CLI does). */
const char *aws_env(const char *name);
int aws_settings_load(struct aws_settings *s, struct err *e);
/* Same, for a named profile (NULL: AWS_PROFILE or "default"). */
int aws_settings_load_profile(struct aws_settings *s, const char *profile, struct err *e);
/* Values of profile p->name from an INI text (credentials or config file). */
int aws_profile_parse(const char *text, const char *name, struct aws_profile *p, int config_file,
		      struct err *e);
/* Resolve credentials through the chain. */
int aws_creds_resolve(const struct aws_settings *s, struct aws_creds *c, struct err *e);
/* Web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN) through STS. */
int aws_creds_from_web_identity(const struct aws_settings *s, struct aws_creds *c, struct err *e);
/* Credentials from an AssumeRoleWithWebIdentity XML answer. */
int aws_sts_parse_answer(const char *xml, size_t len, struct aws_creds *c, struct err *e);
/* True when credentials expire within margin seconds. */
int aws_creds_stale(const struct aws_creds *c, int margin);
void aws_creds_wipe(struct aws_creds *c);
/* An https URL, or http to a loopback host (127.0.0.0/8, ::1, localhost). */
int aws_loopback_or_https(const char *url);

/* ISO 8601 "2026-11-25T08:00:00Z" -> time_t; 0 on error. */
time_t aws_parse_time(const char *s);

#endif
