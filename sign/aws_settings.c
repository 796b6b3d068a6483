/* Region, endpoint and profile values from the environment and the AWS
 * shared files (parsed with inih). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <ini.h>

#include <unistd.h>

#include "aws_creds.h"
#include "common/fileio.h"

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

const char *aws_env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

struct ini_ctx {
	struct aws_profile *p;
	int config_file; /* sections are "profile NAME" except "default"; 2: "sso-session NAME" */
};

/* The profile keys kept as text, by name. */
#define FIELD(f) { #f, offsetof(struct aws_profile, f), sizeof ((struct aws_profile *)0)->f }
static const struct field {
	const char *name;
	size_t off, size;
} FIELDS[] = {
	FIELD(region), FIELD(endpoint_url), FIELD(credential_process), FIELD(role_arn),
	FIELD(source_profile), FIELD(credential_source), FIELD(external_id),
	FIELD(role_session_name), FIELD(duration_seconds), FIELD(mfa_serial), FIELD(sso_session),
	FIELD(sso_start_url), FIELD(sso_region), FIELD(sso_account_id), FIELD(sso_role_name),
};

static int section_matches(const struct ini_ctx *c, const char *section)
{
	if (c->config_file == 2)
		return !strncmp(section, "sso-session ", 12) && !strcmp(section + 12, c->p->sso_session);
	if (!c->config_file || !strcmp(c->p->name, "default"))
		if (!strcmp(section, c->p->name))
			return 1;
	return c->config_file && !strncmp(section, "profile ", 8) && !strcmp(section + 8, c->p->name);
}

static int on_ini(void *arg, const char *section, const char *name, const char *value)
{
	struct ini_ctx *c = arg;
	struct aws_profile *p = c->p;
	if (!section_matches(c, section))
		return 1;
	if (c->config_file == 2) {
		/* an [sso-session] gives the start URL and region (botocore's
		 * SSOProvider: a profile's own sso_start_url must agree) */
		if (!strcmp(name, "sso_start_url"))
			copy(p->sso_start_url, sizeof p->sso_start_url, value);
		else if (!strcmp(name, "sso_region"))
			copy(p->sso_region, sizeof p->sso_region, value);
		return 1;
	}
	p->found = 1;
	/* the credentials file wins over the config file for keys */
	if (!strcmp(name, "aws_access_key_id") && (!c->config_file || !p->access_key[0]))
		copy(p->access_key, sizeof p->access_key, value);
	else if (!strcmp(name, "aws_secret_access_key") && (!c->config_file || !p->secret_key[0]))
		copy(p->secret_key, sizeof p->secret_key, value);
	else if (!strcmp(name, "aws_session_token") && (!c->config_file || !p->token[0]))
		copy(p->token, sizeof p->token, value);
	else
		for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++)
			if (!strcmp(name, FIELDS[i].name))
				copy((char *)p + FIELDS[i].off, FIELDS[i].size, value);
	return 1;
}

int aws_profile_parse(const char *text, const char *name, struct aws_profile *p, int config_file,
		      struct err *e)
{
	struct ini_ctx c = { p, config_file };
	int line = ini_parse_string(text, on_ini, &c);
	if (line > 0)
		return err_set(e, ERR_INPUT, "%s: line %d: not an INI line", name, line);
	return 0;
}

static int load_file(const char *path, struct aws_profile *p, int config_file, struct err *e)
{
	uint8_t *text;
	size_t len;
	if (access(path, F_OK))
		return 0; /* absent files are normal */
	int rc = file_read_all(path, 1u << 20, &text, &len, e);
	if (rc)
		return rc;
	rc = aws_profile_parse((const char *)text, path, p, config_file, e);
	free(text);
	return rc;
}

int aws_profile_load(const struct aws_settings *s, const char *name, struct aws_profile *p,
		     struct err *e)
{
	memset(p, 0, sizeof *p);
	copy(p->name, sizeof p->name, name);
	int rc = load_file(s->files[0], p, 0, e);
	if (!rc)
		rc = load_file(s->files[1], p, 1, e);
	if (!rc && p->sso_session[0]) {
		char start[sizeof p->sso_start_url];
		copy(start, sizeof start, p->sso_start_url);
		p->sso_start_url[0] = p->sso_region[0] = '\0';
		rc = load_file(s->files[1], p, 2, e);
		if (!rc && start[0] && p->sso_start_url[0] && strcmp(start, p->sso_start_url))
			rc = err_set(e, ERR_KEYSTORE, "%s: profile \"%s\" has an sso_start_url that differs "
				     "from the one of [sso-session %s]", s->files[1], name, p->sso_session);
		if (!rc && !p->sso_start_url[0])
			rc = err_set(e, ERR_KEYSTORE, "%s: profile \"%s\" names sso_session %s, but there is "
				     "no [sso-session %s] section with an sso_start_url", s->files[1], name,
				     p->sso_session, p->sso_session);
	}
	return rc;
}

int aws_settings_load(struct aws_settings *s, struct err *e)
{
	return aws_settings_load_profile(s, NULL, e);
}

int aws_settings_load_profile(struct aws_settings *s, const char *profile, struct err *e)
{
	memset(s, 0, sizeof *s);
	const char *home = aws_env("HOME");
	char cred[4096], conf[4096];
	/* a profile someone named must exist; "default" may be absent */
	const char *named_by = profile ? "the signer configuration" : aws_env("AWS_PROFILE") ? "AWS_PROFILE" : NULL;
	if (!profile)
		profile = aws_env("AWS_PROFILE") ? aws_env("AWS_PROFILE") : "default";
	copy(s->profile.name, sizeof s->profile.name, profile);
	snprintf(cred, sizeof cred, "%s", aws_env("AWS_SHARED_CREDENTIALS_FILE") ? aws_env("AWS_SHARED_CREDENTIALS_FILE") : "");
	snprintf(conf, sizeof conf, "%s", aws_env("AWS_CONFIG_FILE") ? aws_env("AWS_CONFIG_FILE") : "");
	if (!cred[0] && home)
		snprintf(cred, sizeof cred, "%s/.aws/credentials", home);
	if (!conf[0] && home)
		snprintf(conf, sizeof conf, "%s/.aws/config", home);
	copy(s->files[0], sizeof s->files[0], cred[0] ? cred : "~/.aws/credentials (no HOME)");
	copy(s->files[1], sizeof s->files[1], conf[0] ? conf : "~/.aws/config (no HOME)");
	s->explicit_profile = named_by && !strcmp(named_by, "the signer configuration");
	int rc = aws_profile_load(s, profile, &s->profile, e);
	if (rc)
		return rc;
	if (named_by && !s->profile.found)
		return err_set(e, ERR_KEYSTORE, "AWS profile \"%s\" (%s) is in neither %s nor %s",
			       s->profile.name, named_by, s->files[0], s->files[1]);
	const char *region = aws_env("AWS_REGION") ? aws_env("AWS_REGION") : aws_env("AWS_DEFAULT_REGION");
	copy(s->region, sizeof s->region, region ? region : s->profile.region);
	const char *ep = aws_env("AWS_ENDPOINT_URL_KMS") ? aws_env("AWS_ENDPOINT_URL_KMS") : aws_env("AWS_ENDPOINT_URL");
	copy(s->endpoint, sizeof s->endpoint, ep ? ep : s->profile.endpoint_url);
	copy(s->ca_bundle, sizeof s->ca_bundle, aws_env("AWS_CA_BUNDLE"));
	const char *fips = aws_env("AWS_USE_FIPS_ENDPOINT");
	s->fips = fips && !strcasecmp(fips, "true");
	return 0;
}

time_t aws_parse_time(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return 0;
	return timegm(&tm);
}
