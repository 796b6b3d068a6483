#include "kms.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

int fake_start(struct kms_srv *s, const char *script, const char *dir, const char *args)
{
	memset(s, 0, sizeof *s);
	snprintf(s->dir, sizeof s->dir, "%s", dir);
	char cmd[4096], ready[64] = "", rel[128];
	snprintf(rel, sizeof rel, "tools/%s", script);
	snprintf(cmd, sizeof cmd, "exec /usr/bin/python3 %s --cert-dir %s %s", fixture(rel), dir, args);
	int fds[2];
	if (pipe(fds))
		return -1;
	pid_t parent = getpid();
	s->pid = fork();
	if (s->pid == 0) {
		/* a test killed before its .fini (timeout, crash, make interrupted) takes
		 * its endpoint with it */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		dup2(fds[1], 1);
		close(fds[0]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	FILE *f = fdopen(fds[0], "r");
	if (!f || !fgets(ready, sizeof ready, f) || sscanf(ready, "READY %d", &s->port) != 1) {
		if (f)
			fclose(f);
		kms_stop(s);
		return -1;
	}
	fclose(f);
	return 0;
}

int kms_start(struct kms_srv *s, const char *dir, const char *keys)
{
	if (fake_start(s, "kms_server.py", dir, keys))
		return -1;
	snprintf(s->env, sizeof s->env,
		 "export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY "
		 "AWS_REGION=us-east-1 AWS_ENDPOINT_URL_KMS=https://127.0.0.1:%d AWS_CA_BUNDLE=%s/kms-cert.pem "
		 "AWS_EC2_METADATA_DISABLED=true HOME=%s; unset AWS_SESSION_TOKEN AWS_PROFILE;",
		 s->port, dir, dir);
	return 0;
}

void kms_start_fixture_keys(struct kms_srv *s, const char *dir, const char *keys)
{
	char args[2048] = "", copy[256];
	snprintf(copy, sizeof copy, "%s", keys);
	for (char *save = NULL, *k = strtok_r(copy, " ", &save); k; k = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(k, '=');
		const char *file = eq ? eq + 1 : k;
		if (eq)
			*eq = '\0';
		char rel[64];
		snprintf(rel, sizeof rel, "fixtures/keys/%s.pem", file);
		size_t n = strlen(args);
		snprintf(args + n, sizeof args - n, " --key %s=%s", k, fixture(rel));
	}
	cr_assert_eq(kms_start(s, dir, args), 0, "the loopback KMS endpoint did not start");
}

void kms_stop(struct kms_srv *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	s->pid = 0;
}

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
	char **out = arg;
	size_t old = *out ? strlen(*out) : 0;
	*out = realloc(*out, old + size * n + 1);
	memcpy(*out + old, p, size * n);
	(*out)[old + size * n] = '\0';
	return size * n;
}

static char *call(struct kms_srv *s, const char *path, const char *post)
{
	char url[128], ca[128];
	char *out = NULL;
	snprintf(url, sizeof url, "https://127.0.0.1:%d%s", s->port, path);
	snprintf(ca, sizeof ca, "%s/kms-cert.pem", s->dir);
	CURL *h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CAINFO, ca);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &out);
	if (post)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, post);
	CURLcode rc = curl_easy_perform(h);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK) {
		free(out);
		return NULL;
	}
	return out;
}

int kms_control(struct kms_srv *s, const char *json)
{
	char *r = call(s, "/_control", json);
	free(r);
	return r ? 0 : -1;
}

int kms_reset(struct kms_srv *s)
{
	char *r = call(s, "/_reset", "{}");
	free(r);
	return r ? 0 : -1;
}

static json_object *stats(struct kms_srv *s)
{
	char *r = call(s, "/_stats", NULL);
	json_object *o = r ? json_tokener_parse(r) : NULL;
	free(r);
	return o;
}

long kms_stat(struct kms_srv *s, const char *name)
{
	json_object *o = stats(s), *v = NULL;
	long n = o && json_object_object_get_ex(o, name, &v) ? json_object_get_int64(v) : -1;
	json_object_put(o);
	return n;
}

long kms_max_per_digest(struct kms_srv *s)
{
	json_object *o = stats(s), *per = NULL;
	long max = 0;
	if (o && json_object_object_get_ex(o, "sign_per_digest", &per)) {
		json_object_object_foreach(per, k, v) {
			(void)k;
			if (json_object_get_int64(v) > max)
				max = json_object_get_int64(v);
		}
	}
	json_object_put(o);
	return max;
}

void expect_throttled_batch(struct kms_srv *s, long n)
{
	cr_expect_eq(kms_stat(s, "sign"), n);
	cr_expect_eq(kms_max_per_digest(s), 1, "a digest was signed twice");
	cr_expect_gt(kms_stat(s, "throttled"), n / 10);
	cr_expect_eq(kms_stat(s, "token"), 1, "one token for the whole batch");
}
