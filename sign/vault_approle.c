/* Vault / OpenBao AppRole login (POST /v1/auth/MOUNT/login): the role_id and
 * the secret_id, both from the signer configuration (the secret_id from a
 * file; never from the manifest), buy a client token with a lease. The
 * caller logs in again before the lease ends. */
#include "vault_approle.h"

#include <string.h>

#include <openssl/crypto.h>

/* The JSON body; the secret is wiped from every copy. */
static int login_body(const struct key_conf *kc, char *out, size_t n, struct err *e)
{
	char secret[1024];
	int rc = secret_file_read(kc->approle_secret_file, secret, sizeof secret, e);
	if (rc)
		return err_prefix(e, "AppRole secret_id_file");
	json_object *o = json_object_new_object();
	if (o) {
		json_object_object_add(o, "role_id", json_object_new_string(kc->approle_role_id));
		json_object_object_add(o, "secret_id", json_object_new_string(secret));
	}
	const char *txt = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : NULL;
	if (!txt || strlen(txt) >= n)
		rc = err_set(e, ERR_INTERNAL, "the AppRole login body is too long");
	else
		snprintf(out, n, "%s", txt);
	if (txt)
		OPENSSL_cleanse((char *)txt, strlen(txt));
	json_object_put(o);
	OPENSSL_cleanse(secret, sizeof secret);
	return rc;
}

static int take(json_object *r, char *token, size_t n, long *lease, struct err *e)
{
	json_object *auth = json_path(r, "auth", NULL);
	const char *tok = json_str(auth, "client_token");
	json_object *ld = json_path(auth, "lease_duration", NULL);
	long secs = ld ? (long)json_object_get_int64(ld) : 0;
	if (!tok || !*tok || strlen(tok) >= n)
		return err_set(e, ERR_KEYSTORE, "the AppRole login answer has no usable auth.client_token");
	snprintf(token, n, "%s", tok);
	*lease = secs > 0 ? secs : 0;
	return 0;
}

int vault_approle_login(const struct rest_client *base, const char *addr, const char *ns,
			const struct key_conf *kc, char *token, size_t n, long *lease, struct err *e)
{
	char body[2048], url[1024], nshdr[320];
	const char *mount = kc->approle_mount[0] ? kc->approle_mount : "approle";
	int rc = login_body(kc, body, sizeof body, e);
	if (rc)
		return rc;
	snprintf(url, sizeof url, "%s/v1/auth/%s/login", addr, mount);
	snprintf(nshdr, sizeof nshdr, "X-Vault-Namespace: %s", ns ? ns : "");
	const char *const headers[] = { nshdr, NULL };
	struct rest_client login = *base;
	login.auth = NULL; /* no token yet */
	login.refresh_on_401 = 0;
	struct rest_request rq = { .method = "POST", .url = url, .body = body, .what = "AppRole login",
				   .headers = ns && *ns ? headers : NULL };
	json_object *r = NULL;
	CURL *h = http_handle_new();
	rc = h ? rest_call(&login, h, &rq, &r, e) : err_set(e, ERR_INTERNAL, "out of memory");
	OPENSSL_cleanse(body, sizeof body);
	if (!rc)
		rc = take(r, token, n, lease, e);
	json_object_put(r);
	if (h)
		curl_easy_cleanup(h);
	return rc;
}
