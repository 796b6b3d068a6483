/* Assumed roles, as botocore's AssumeRoleProvider resolves them: a profile
 * with role_arn takes its source credentials from source_profile (static
 * keys, credential_process, IAM Identity Center, or another role: a chain)
 * or from credential_source (Environment, Ec2InstanceMetadata,
 * EcsContainer), then calls STS AssumeRole signed with them. With
 * mfa_serial, the one-time code is read from the terminal (echo off). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "aws_creds.h"
#include "tty.h"
#include "common/buf.h"

#define CHAIN_MAX 16

/* The profiles met on the way from the one in use to a source, for loops. */
struct chain {
	char names[CHAIN_MAX][128];
	int n;
};

static void chain_text(const struct chain *v, const char *last, char *out, size_t n)
{
	size_t used = 0;
	out[0] = '\0';
	for (int i = 0; i < v->n && used < n; i++)
		used += (size_t)snprintf(out + used, n - used, "%s -> ", v->names[i]);
	if (used < n)
		snprintf(out + used, n - used, "%s", last);
}

static int six_digits(const char *s)
{
	size_t i = 0;
	while (s[i] && isdigit((unsigned char)s[i]))
		i++;
	return i == 6 && !s[i];
}

/* The MFA code, from /dev/tty; never echoed, never in a message. */
static int mfa_code(const struct aws_profile *p, char *code, size_t n, struct err *e)
{
	char prompt[512];
	snprintf(prompt, sizeof prompt, "MFA code for %s (AWS profile %s): ", p->mfa_serial, p->name);
	int rc = tty_secret_read(prompt, code, n);
	if (rc == -1)
		return err_set(e, ERR_KEYSTORE, "profile \"%s\" needs an MFA code (mfa_serial %s) and there is "
			       "no terminal to read it from; run kms-sign-digest from a terminal, or give it "
			       "temporary credentials in the environment", p->name, p->mfa_serial);
	if (rc == -3)
		return err_set(e, ERR_KEYSTORE, "profile \"%s\": the MFA code typed for %s is too long (it "
			       "must be 6 digits)", p->name, p->mfa_serial);
	if (rc || !six_digits(code)) {
		OPENSSL_cleanse(code, n);
		return err_set(e, ERR_KEYSTORE, "profile \"%s\": the MFA code for %s must be 6 digits",
			       p->name, p->mfa_serial);
	}
	return 0;
}

/* duration_seconds: STS accepts 900 to 43200 (and at most the role's maximum). */
static int duration(const struct aws_profile *p, long *out, struct err *e)
{
	char *end;
	*out = 0;
	if (!p->duration_seconds[0])
		return 0;
	errno = 0;
	*out = strtol(p->duration_seconds, &end, 10);
	if (errno || *end || *out < 900 || *out > 43200)
		return err_set(e, ERR_KEYSTORE, "profile \"%s\": duration_seconds %s is not a number of "
			       "seconds from 900 to 43200", p->name, p->duration_seconds);
	return 0;
}

static int assume_call(const struct aws_settings *s, const struct aws_profile *p,
		       const struct aws_creds *src, struct aws_creds *c, struct err *e)
{
	char name[128], secs[24], code[64] = "", what[400];
	long d;
	int rc = duration(p, &d, e);
	if (!rc && p->mfa_serial[0])
		rc = mfa_code(p, code, sizeof code, e);
	if (rc)
		return rc;
	/* like the CLI's botocore-session-<time> */
	if (p->role_session_name[0])
		snprintf(name, sizeof name, "%s", p->role_session_name);
	else
		snprintf(name, sizeof name, "kms-sign-digest-%lld", (long long)time(NULL));
	struct buf form;
	buf_init(&form, 16 << 10);
	aws_form_field(&form, "Action", "AssumeRole");
	aws_form_field(&form, "Version", "2011-06-15");
	aws_form_field(&form, "RoleArn", p->role_arn);
	aws_form_field(&form, "RoleSessionName", name);
	snprintf(secs, sizeof secs, "%ld", d);
	if (d)
		aws_form_field(&form, "DurationSeconds", secs);
	if (p->external_id[0])
		aws_form_field(&form, "ExternalId", p->external_id);
	if (code[0]) {
		aws_form_field(&form, "SerialNumber", p->mfa_serial);
		aws_form_field(&form, "TokenCode", code);
	}
	snprintf(what, sizeof what, "STS AssumeRole of %.256s (profile %.100s)", p->role_arn, p->name);
	/* never twice with the same one-time code */
	rc = code[0] ? aws_sts_call_once(s, &form, src, what, c, e) : aws_sts_call(s, &form, src, what, c, e);
	if (!rc)
		snprintf(c->source, sizeof c->source, "role of profile %.40s", p->name);
	OPENSSL_cleanse(code, sizeof code);
	buf_wipe_free(&form);
	return rc;
}

static int assume(const struct aws_settings *s, const struct aws_profile *p, struct chain *v,
		  struct aws_creds *c, struct err *e);

/* source_profile, loaded: a role (the chain goes on) or a profile with
 * credentials of its own. */
static int from_source_profile(const struct aws_settings *s, const struct aws_profile *p,
			       struct chain *v, struct aws_creds *src, struct err *e)
{
	char path[1200];
	for (int i = 0; i < v->n; i++)
		if (!strcmp(v->names[i], p->source_profile)) {
			chain_text(v, p->source_profile, path, sizeof path);
			return err_set(e, ERR_KEYSTORE, "AWS profiles form a loop through source_profile: %s",
				       path);
		}
	if (v->n >= CHAIN_MAX)
		return err_set(e, ERR_KEYSTORE, "profile \"%s\": more than %d roles chained", p->name, CHAIN_MAX);
	struct aws_profile *sp = calloc(1, sizeof *sp);
	if (!sp)
		return err_set(e, ERR_INTERNAL, "out of memory");
	int found = 0, rc = aws_profile_load(s, p->source_profile, sp, e);
	if (!rc && !sp->found)
		rc = err_set(e, ERR_KEYSTORE, "source_profile \"%s\" of profile \"%s\" is in neither %s nor %s",
			     p->source_profile, p->name, s->files[0], s->files[1]);
	if (!rc && sp->role_arn[0])
		rc = assume(s, sp, v, src, e);
	else if (!rc && !(rc = aws_creds_from_profile(s, sp, src, &found, e)) && !found)
		rc = err_set(e, ERR_KEYSTORE, "source_profile \"%s\" of profile \"%s\" has no credentials "
			     "(static keys, credential_process, role_arn or sso settings)", p->source_profile, p->name);
	OPENSSL_cleanse(sp, sizeof *sp);
	free(sp);
	return rc;
}

static int source_creds(const struct aws_settings *s, const struct aws_profile *p, struct chain *v,
			struct aws_creds *src, struct err *e)
{
	memset(src, 0, sizeof *src);
	if (p->source_profile[0] && p->credential_source[0])
		return err_set(e, ERR_KEYSTORE, "profile \"%s\" has both source_profile and credential_source; "
			       "keep one", p->name);
	if (p->credential_source[0])
		return aws_creds_from_source(s, p->credential_source, src, e);
	if (!p->source_profile[0])
		return err_set(e, ERR_KEYSTORE, "profile \"%s\" has role_arn but neither source_profile nor "
			       "credential_source", p->name);
	/* a profile may be its own source when it holds static keys (botocore) */
	if (!strcmp(p->source_profile, p->name) && (p->access_key[0] || p->secret_key[0])) {
		struct aws_profile keys = *p;
		keys.role_arn[0] = '\0';
		int found, rc = aws_creds_from_profile(s, &keys, src, &found, e);
		OPENSSL_cleanse(&keys, sizeof keys);
		return rc;
	}
	return from_source_profile(s, p, v, src, e);
}

static int assume(const struct aws_settings *s, const struct aws_profile *p, struct chain *v,
		  struct aws_creds *c, struct err *e)
{
	struct aws_creds *src = calloc(1, sizeof *src);
	if (!src)
		return err_set(e, ERR_INTERNAL, "out of memory");
	snprintf(v->names[v->n++], sizeof v->names[0], "%s", p->name);
	int rc = source_creds(s, p, v, src, e);
	v->n--;
	if (!rc)
		rc = assume_call(s, p, src, c, e);
	aws_creds_wipe(src);
	free(src);
	return rc;
}

int aws_role_assume(const struct aws_settings *s, const struct aws_profile *p, struct aws_creds *c,
		    struct err *e)
{
	struct chain v = { .n = 0 };
	return assume(s, p, &v, c, e);
}
