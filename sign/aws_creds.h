/* AWS settings (region, endpoint, CA bundle) and the credential chain, in the
 * order the AWS CLI uses: environment, profile (static keys or
 * credential_process), container endpoint, EC2 IMDSv2. */
#ifndef SIGN_AWS_CREDS_H
#define SIGN_AWS_CREDS_H

#include <stddef.h>
#include <time.h>

#include "common/err.h"

struct aws_creds {
	char access_key[128];
	char secret_key[128];
	char token[4096];
	time_t expiration;     /* 0: does not expire */
	time_t obtained;       /* when they were fetched, for the refresh margin */
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
	/* an assumed role (STS AssumeRole) */
	char role_arn[256];
	char source_profile[128];
	char credential_source[32];  /* Environment, Ec2InstanceMetadata, EcsContainer */
	char external_id[1300];
	char role_session_name[128];
	char duration_seconds[16];
	char mfa_serial[256];
	/* IAM Identity Center: sso_session names an [sso-session NAME] section
	 * that gives the start URL and region; the legacy form has them here */
	char sso_session[128];
	char sso_start_url[512];
	char sso_region[64];
	char sso_account_id[32];
	char sso_role_name[128];
	int found;             /* a value of the profile was read from a file */
};

struct aws_settings {
	struct aws_profile profile;
	char region[64];
	char endpoint[512];    /* from the environment or the profile; "" for the default */
	char ca_bundle[4096];
	int fips;
	char files[2][4096];   /* the credentials and config files searched */
	int explicit_profile;  /* named by the signer configuration: the environment's
				  keys are not used (as with the AWS CLI's --profile) */
};

/* getenv, with an empty value read as unset (as the AWS CLI does). */
const char *aws_env(const char *name);
int aws_settings_load(struct aws_settings *s, struct err *e);
/* Same, for a named profile (NULL: AWS_PROFILE or "default"). */
int aws_settings_load_profile(struct aws_settings *s, const char *profile, struct err *e);
/* Values of profile p->name from an INI text (credentials or config file);
 * with p->sso_session set and config_file 2, the [sso-session] section's. */
int aws_profile_parse(const char *text, const char *name, struct aws_profile *p, int config_file,
		      struct err *e);
/* Profile `name` (and its sso-session) from the files s->files name. */
int aws_profile_load(const struct aws_settings *s, const char *name, struct aws_profile *p,
		     struct err *e);
/* Resolve credentials through the chain. Those of a role or IAM Identity
 * Center profile are shared by the process until they are due for refresh. */
int aws_creds_resolve(const struct aws_settings *s, struct aws_creds *c, struct err *e);
/* Drop the shared copy of credentials a service refused as expired. */
void aws_creds_forget(const struct aws_creds *refused);
/* Web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN) through STS. */
int aws_creds_from_web_identity(const struct aws_settings *s, struct aws_creds *c, struct err *e);
/* Credentials from an AssumeRoleWithWebIdentity XML answer. */
int aws_sts_parse_answer(const char *xml, size_t len, struct aws_creds *c, struct err *e);
/* True when credentials expire within margin seconds. */
int aws_creds_stale(const struct aws_creds *c, int margin);
/* True when credentials are due for a refresh: 5 minutes before they
 * expire, or at half their life when that is shorter. */
int aws_creds_refresh_due(const struct aws_creds *c);

/* STS AssumeRole for a profile with role_arn (aws_role.c): the source
 * credentials from source_profile (which may be a role itself: a chain,
 * loops refused) or credential_source; the MFA code from the terminal. */
int aws_role_assume(const struct aws_settings *s, const struct aws_profile *p, struct aws_creds *c,
		    struct err *e);
/* IAM Identity Center (aws_sso.c): the token `aws sso login` cached, then
 * GetRoleCredentials. */
int aws_profile_is_sso(const struct aws_profile *p);
int aws_sso_credentials(const struct aws_settings *s, const struct aws_profile *p, struct aws_creds *c,
			struct err *e);
/* The credentials one profile gives by itself (role, SSO, static keys,
 * credential_process); 0 and *found = 0 when it has none. */
int aws_creds_from_profile(const struct aws_settings *s, const struct aws_profile *p,
			   struct aws_creds *c, int *found, struct err *e);
/* The providers credential_source names. */
int aws_creds_from_source(const struct aws_settings *s, const char *source, struct aws_creds *c,
			  struct err *e);

/* STS (aws_sts.c): the endpoint (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, the
 * profile's endpoint_url, else https://sts.REGION.amazonaws.com/), and the
 * region it is signed for. */
void aws_sts_endpoint(const struct aws_settings *s, char *url, size_t n, char *region, size_t rn);
/* An Action's form POST to STS; signed with `with` when not NULL. what names
 * the call in messages. The answer's credentials in *c. */
struct buf;
int aws_sts_call(const struct aws_settings *s, const struct buf *form, const struct aws_creds *with,
		 const char *what, struct aws_creds *c, struct err *e);
/* The same, one attempt only: for a request carrying a one-time MFA code,
 * which STS refuses when sent again (a retry after a server fault would
 * end in "invalid MFA code"). A fault a retry would have healed says so. */
int aws_sts_call_once(const struct aws_settings *s, const struct buf *form, const struct aws_creds *with,
		      const char *what, struct aws_creds *c, struct err *e);
/* key=value (escaped) appended to a form body. */
void aws_form_field(struct buf *b, const char *key, const char *value);
void aws_creds_wipe(struct aws_creds *c);
/* An https URL, or http to a loopback host (127.0.0.0/8, ::1, localhost). */
int aws_loopback_or_https(const char *url);

/* ISO 8601 "2026-11-25T08:00:00Z" -> time_t; 0 on error. */
time_t aws_parse_time(const char *s);

#endif
