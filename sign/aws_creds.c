/* The credential providers, tried in order. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wordexp.h>

#include <arpa/inet.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "aws_creds.h"
#include "common/buf.h"
#include "http.h"

void aws_creds_wipe(struct aws_creds *c)
{
	OPENSSL_cleanse(c, sizeof *c);
}

int aws_creds_stale(const struct aws_creds *c, int margin)
{
	return c->expiration && time(NULL) + margin >= c->expiration;
}

int aws_creds_refresh_due(const struct aws_creds *c)
{
	time_t life = c->obtained && c->expiration > c->obtained ? c->expiration - c->obtained : 0;
	return aws_creds_stale(c, life && life < 600 ? (int)(life / 2) : 300);
}

/* What each source calls the access key id, the secret key and the session token. */
static const char *const ENV_NAMES[3] = { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN" };
static const char *const PROFILE_NAMES[3] = { "aws_access_key_id", "aws_secret_access_key", "aws_session_token" };
static const char *const JSON_NAMES[3] = { "AccessKeyId", "SecretAccessKey", "SessionToken" };

static int set(struct aws_creds *c, const char *ak, const char *sk, const char *tok,
	       const char *const names[3], const char *source, struct err *e)
{
	if (!ak || !*ak || !sk || !*sk)
		return err_set(e, ERR_KEYSTORE, "credentials from %s are incomplete: %s is not set", source,
			       names[ak && *ak ? 1 : 0]);
	int too_long = strlen(ak) >= sizeof c->access_key ? 0 : strlen(sk) >= sizeof c->secret_key ? 1
		     : tok && strlen(tok) >= sizeof c->token ? 2 : -1;
	if (too_long >= 0)
		return err_set(e, ERR_KEYSTORE, "credentials from %s: %s is too long", source, names[too_long]);
	snprintf(c->access_key, sizeof c->access_key, "%s", ak);
	snprintf(c->secret_key, sizeof c->secret_key, "%s", sk);
	snprintf(c->token, sizeof c->token, "%s", tok ? tok : "");
	snprintf(c->source, sizeof c->source, "%s", source);
	return 0;
}

/* {"AccessKeyId":..,"SecretAccessKey":..,"Token"/"SessionToken":..,"Expiration":..} */
static int from_json(const char *text, struct aws_creds *c, const char *source, struct err *e)
{
	json_object *o = json_tokener_parse(text);
	json_object *ak = NULL, *sk = NULL, *tok = NULL, *exp = NULL, *ver = NULL;
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return err_set(e, ERR_KEYSTORE, "%s: answer is not a JSON object", source);
	}
	json_object_object_get_ex(o, "AccessKeyId", &ak);
	json_object_object_get_ex(o, "SecretAccessKey", &sk);
	if (!json_object_object_get_ex(o, "SessionToken", &tok))
		json_object_object_get_ex(o, "Token", &tok);
	json_object_object_get_ex(o, "Expiration", &exp);
	int rc = 0;
	if (json_object_object_get_ex(o, "Version", &ver) && json_object_get_int(ver) != 1)
		rc = err_set(e, ERR_KEYSTORE, "%s: Version must be 1", source);
	if (!rc)
		rc = set(c, ak ? json_object_get_string(ak) : NULL, sk ? json_object_get_string(sk) : NULL,
			 tok ? json_object_get_string(tok) : NULL, JSON_NAMES, source, e);
	if (!rc && exp && !(c->expiration = aws_parse_time(json_object_get_string(exp))))
		rc = err_set(e, ERR_KEYSTORE, "%s: Expiration is not an ISO 8601 time", source);
	json_object_put(o);
	return rc;
}

/* Run without a shell: the command line is split into words (no command
 * substitution), and its standard output is read up to 64 KiB. */
static int run_process(const char *cmdline, struct buf *out, struct err *e)
{
	wordexp_t we;
	if (wordexp(cmdline, &we, WRDE_NOCMD | WRDE_UNDEF) || we.we_wordc == 0)
		return err_set(e, ERR_KEYSTORE, "credential_process: cannot split the command line");
	int fds[2];
	if (pipe2(fds, O_CLOEXEC)) {
		wordfree(&we);
		return err_set(e, ERR_KEYSTORE, "credential_process: pipe: %s", strerror(errno));
	}
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		execvp(we.we_wordv[0], we.we_wordv);
		_exit(127);
	}
	close(fds[1]);
	char chunk[4096];
	ssize_t n;
	while ((n = read(fds[0], chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			buf_add(out, chunk, (size_t)n);
	close(fds[0]);
	int st = 0;
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	int rc = 0;
	if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		rc = err_set(e, ERR_KEYSTORE, "credential_process '%s' failed (exit %d)", we.we_wordv[0],
			     pid < 0 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st));
	else if (!buf_ok(out))
		rc = err_set(e, ERR_KEYSTORE, "credential_process: output larger than 64 KiB");
	wordfree(&we);
	return rc;
}

static int from_process(const struct aws_profile *p, struct aws_creds *c, struct err *e)
{
	struct buf out;
	buf_init(&out, 64 << 10);
	char source[64];
	snprintf(source, sizeof source, "credential_process of profile %.30s", p->name);
	int rc = run_process(p->credential_process, &out, e);
	if (!rc)
		rc = from_json(buf_cstr(&out), c, source, e);
	buf_wipe_free(&out);
	return rc;
}

static int http_get(const char *method, const char *url, struct curl_slist *hdrs, long timeout_ms,
		    struct buf *out, struct err *e)
{
	CURL *h = http_handle_new();
	struct http_request rq = { .method = method, .url = url, .headers = hdrs,
				   .timeout_ms = timeout_ms, .connect_timeout_ms = timeout_ms };
	struct http_response rs;
	int rc = h ? http_do(h, &rq, &rs, e) : err_set(e, ERR_INTERNAL, "out of memory");
	if (!rc && rs.status != 200)
		rc = err_set(e, ERR_KEYSTORE, "%s answered HTTP %ld", url, rs.status);
	if (!rc && (!buf_ok(&rs.body) || buf_str(out, buf_cstr(&rs.body))))
		rc = err_set(e, ERR_KEYSTORE, "%s: answer too large", url);
	if (h) {
		http_response_free(&rs);
		curl_easy_cleanup(h);
	}
	return rc;
}

/* The host as a whole, not a prefix of it: "localhost.attacker.example" is
 * not loopback. */
static int loopback_host(const char *host)
{
	struct in_addr a4;
	if (!strcasecmp(host, "localhost") || !strcmp(host, "[::1]") || !strcmp(host, "::1"))
		return 1;
	return inet_pton(AF_INET, host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

int aws_loopback_or_https(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int ok = u && !curl_url_set(u, CURLUPART_URL, url, 0) &&
		 !curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) &&
		 !curl_url_get(u, CURLUPART_HOST, &host, 0) &&
		 (!strcmp(scheme, "https") || (!strcmp(scheme, "http") && loopback_host(host)));
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

static int from_container(struct aws_creds *c, struct err *e)
{
	char url[1024], auth[4200] = "", tokfile_buf[4096];
	if (aws_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"))
		snprintf(url, sizeof url, "http://169.254.170.2%s", aws_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"));
	else
		snprintf(url, sizeof url, "%s", aws_env("AWS_CONTAINER_CREDENTIALS_FULL_URI"));
	if (!aws_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") && !aws_loopback_or_https(url))
		return err_set(e, ERR_KEYSTORE,
			       "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https or a loopback http address");
	const char *tok = aws_env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	const char *tokfile = aws_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	if (tokfile) {
		FILE *f = fopen(tokfile, "r");
		if (!f || !fgets(tokfile_buf, sizeof tokfile_buf, f)) {
			if (f)
				fclose(f);
			return err_set(e, ERR_KEYSTORE, "%s: cannot read the container token", tokfile);
		}
		fclose(f);
		tokfile_buf[strcspn(tokfile_buf, "\r\n")] = '\0';
		tok = tokfile_buf;
	}
	struct curl_slist *h = NULL;
	if (tok) {
		snprintf(auth, sizeof auth, "Authorization: %s", tok);
		h = curl_slist_append(h, auth);
	}
	struct buf out;
	buf_init(&out, 64 << 10);
	int rc = http_get("GET", url, h, 2000, &out, e);
	if (!rc)
		rc = from_json(buf_cstr(&out), c, "container credentials", e);
	curl_slist_free_all(h);
	OPENSSL_cleanse(auth, sizeof auth);
	OPENSSL_cleanse(tokfile_buf, sizeof tokfile_buf);
	buf_wipe_free(&out);
	return rc;
}

/* EC2 IMDSv2: a session token, the role name, then the role's credentials. */
static int from_imds(struct aws_creds *c, struct err *e)
{
	const char *base = aws_env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	char url[1024], hdr[256];
	struct buf tok, role, out;
	buf_init(&tok, 4096);
	buf_init(&role, 4096);
	buf_init(&out, 64 << 10);
	if (!base)
		base = "http://169.254.169.254";
	struct curl_slist *h = curl_slist_append(NULL, "X-aws-ec2-metadata-token-ttl-seconds: 21600");
	snprintf(url, sizeof url, "%s/latest/api/token", base);
	int rc = http_get("PUT", url, h, 1000, &tok, e);
	curl_slist_free_all(h);
	h = NULL;
	if (!rc) {
		snprintf(hdr, sizeof hdr, "X-aws-ec2-metadata-token: %s", buf_cstr(&tok));
		h = curl_slist_append(NULL, hdr);
		snprintf(url, sizeof url, "%s/latest/meta-data/iam/security-credentials/", base);
		rc = http_get("GET", url, h, 1000, &role, e);
	}
	if (!rc) {
		snprintf(url, sizeof url, "%s/latest/meta-data/iam/security-credentials/%.*s", base,
			 (int)strcspn(buf_cstr(&role), "\r\n"), buf_cstr(&role));
		rc = http_get("GET", url, h, 1000, &out, e);
	}
	if (!rc)
		rc = from_json(buf_cstr(&out), c, "EC2 instance metadata", e);
	curl_slist_free_all(h);
	OPENSSL_cleanse(hdr, sizeof hdr);
	buf_wipe_free(&tok);
	buf_free(&role);
	buf_wipe_free(&out);
	return rc;
}

int aws_creds_from_profile(const struct aws_settings *s, const struct aws_profile *p,
			   struct aws_creds *c, int *found, struct err *e)
{
	*found = 1;
	if (p->role_arn[0])
		return aws_role_assume(s, p, c, e);
	if (aws_profile_is_sso(p))
		return aws_sso_credentials(s, p, c, e);
	if (p->access_key[0] || p->secret_key[0]) {
		char src[160];
		snprintf(src, sizeof src, "profile %.128s", p->name);
		return set(c, p->access_key, p->secret_key, p->token[0] ? p->token : NULL, PROFILE_NAMES, src, e);
	}
	if (p->credential_process[0])
		return from_process(p, c, e);
	*found = 0;
	return 0;
}

/* credential_source of a role profile: where its source credentials are. */
int aws_creds_from_source(const struct aws_settings *s, const char *source, struct aws_creds *c,
			  struct err *e)
{
	(void)s;
	if (!strcmp(source, "Environment"))
		return set(c, aws_env("AWS_ACCESS_KEY_ID"), aws_env("AWS_SECRET_ACCESS_KEY"),
			   aws_env("AWS_SESSION_TOKEN"), ENV_NAMES, "environment", e);
	if (!strcmp(source, "Ec2InstanceMetadata"))
		return from_imds(c, e);
	if (!strcmp(source, "EcsContainer")) {
		if (!aws_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") && !aws_env("AWS_CONTAINER_CREDENTIALS_FULL_URI"))
			return err_set(e, ERR_KEYSTORE, "credential_source EcsContainer: neither "
				       "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor AWS_CONTAINER_CREDENTIALS_FULL_URI is set");
		return from_container(c, e);
	}
	return err_set(e, ERR_KEYSTORE, "credential_source %.64s is not one of Environment, "
		       "Ec2InstanceMetadata, EcsContainer", source);
}

static int resolve(const struct aws_settings *s, struct aws_creds *c, struct err *e)
{
	/* a profile the signer configuration names wins over the environment's
	 * keys, as the AWS CLI's --profile does */
	if (!s->explicit_profile && (aws_env("AWS_ACCESS_KEY_ID") || aws_env("AWS_SECRET_ACCESS_KEY")))
		return set(c, aws_env("AWS_ACCESS_KEY_ID"), aws_env("AWS_SECRET_ACCESS_KEY"),
			   aws_env("AWS_SESSION_TOKEN"), ENV_NAMES, "environment", e);
	int found, rc = aws_creds_from_profile(s, &s->profile, c, &found, e);
	if (found)
		return rc;
	if (aws_env("AWS_WEB_IDENTITY_TOKEN_FILE"))
		return aws_creds_from_web_identity(s, c, e);
	if (aws_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") || aws_env("AWS_CONTAINER_CREDENTIALS_FULL_URI"))
		return from_container(c, e);
	const char *off = aws_env("AWS_EC2_METADATA_DISABLED");
	if (!off || strcasecmp(off, "true"))
		if (!from_imds(c, e))
			return 0;
	return err_set(e, ERR_KEYSTORE,
		       "no AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile in "
		       "~/.aws/credentials or ~/.aws/config (static keys, credential_process, role_arn or "
		       "IAM Identity Center), or run where container or instance credentials are available");
}

/* Role and IAM Identity Center credentials, one copy per profile for the
 * process: every key that uses the profile shares one STS session (and one
 * MFA prompt). Guarded by cache_mu, held while they are fetched. */
#define CACHE_MAX 8
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cached {
	char key[sizeof ((struct aws_settings *)0)->files + 128];
	struct aws_creds creds;
} cache[CACHE_MAX];

static int cacheable(const struct aws_settings *s)
{
	int env = !s->explicit_profile && (aws_env("AWS_ACCESS_KEY_ID") || aws_env("AWS_SECRET_ACCESS_KEY"));
	return !env && (s->profile.role_arn[0] || aws_profile_is_sso(&s->profile));
}

static struct cached *cache_slot(const struct aws_settings *s)
{
	char key[sizeof cache[0].key];
	snprintf(key, sizeof key, "%s\n%s\n%s", s->profile.name, s->files[0], s->files[1]);
	struct cached *free_slot = NULL;
	for (int i = 0; i < CACHE_MAX; i++) {
		if (!strcmp(cache[i].key, key))
			return &cache[i];
		if (!free_slot && !cache[i].key[0])
			free_slot = &cache[i];
	}
	if (free_slot)
		snprintf(free_slot->key, sizeof free_slot->key, "%s", key);
	return free_slot; /* NULL: more profiles than slots, fetched each time */
}

static int resolve_stamped(const struct aws_settings *s, struct aws_creds *c, struct err *e)
{
	memset(c, 0, sizeof *c);
	time_t now = time(NULL);
	int rc = resolve(s, c, e);
	if (!rc)
		c->obtained = now;
	return rc;
}

int aws_creds_resolve(const struct aws_settings *s, struct aws_creds *c, struct err *e)
{
	if (!cacheable(s))
		return resolve_stamped(s, c, e);
	pthread_mutex_lock(&cache_mu);
	struct cached *slot = cache_slot(s);
	int rc = 0;
	if (!slot || !slot->creds.access_key[0] || aws_creds_refresh_due(&slot->creds)) {
		rc = resolve_stamped(s, c, e);
		if (slot && !rc)
			slot->creds = *c;
	} else {
		*c = slot->creds;
	}
	pthread_mutex_unlock(&cache_mu);
	return rc;
}

void aws_creds_forget(const struct aws_creds *refused)
{
	pthread_mutex_lock(&cache_mu);
	for (int i = 0; i < CACHE_MAX; i++)
		if (cache[i].creds.access_key[0] && !strcmp(cache[i].creds.access_key, refused->access_key))
			aws_creds_wipe(&cache[i].creds);
	pthread_mutex_unlock(&cache_mu);
}
