#include "keystore.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "common/uri.h"
#include "http.h"

int keystore_open(struct keystore *ks, const char *uri, const struct sign_config *cfg,
		  struct err *e)
{
	return keystore_open_key(ks, uri, cfg, NULL, 0, e);
}

int keystore_open_key(struct keystore *ks, const char *uri, const struct sign_config *cfg,
		      const struct key_conf *kc, int from_manifest, struct err *e)
{
	memset(ks, 0, sizeof *ks);
	ks->conf = kc;
	ks->from_manifest = from_manifest;
	if (strlen(uri) >= sizeof ks->uri)
		return err_set(e, ERR_USAGE, "key URI too long");
	memcpy(ks->uri, uri, strlen(uri) + 1);
	uri_redact(uri, ks->signer, sizeof ks->signer); /* shown until the store names its key */
	static const struct ks_ops *const by_scheme[] = {
		[KEY_SCHEME_AWSKMS] = &ks_awskms_ops,   [KEY_SCHEME_GCPKMS] = &ks_gcp_ops,
		[KEY_SCHEME_AZUREKMS] = &ks_azure_ops,  [KEY_SCHEME_HASHIVAULT] = &ks_vault_ops,
		[KEY_SCHEME_OPENBAO] = &ks_vault_ops,   [KEY_SCHEME_PKCS11] = &ks_pkcs11_ops,
		[KEY_SCHEME_FILE] = &ks_file_ops,
	};
	enum key_scheme k = uri_key_scheme(uri);
	if (k == KEY_SCHEME_NONE)
		return err_set(e, ERR_USAGE, "key URI '%.60s': scheme must be " URI_SCHEMES_TEXT, ks->signer);
	ks->ops = by_scheme[k];
	int rc = ks->ops->open(ks, cfg, e);
	if (rc)
		keystore_close(ks); /* a store whose open failed holds nothing open */
	return rc;
}

void keystore_close(struct keystore *ks)
{
	if (ks->ops && ks->ops->close)
		ks->ops->close(ks);
	ks->ops = NULL;
}

int ks_sig_from_der(const struct keystore *ks, struct ks_sig *out, struct err *e)
{
	return sig_der_to_raw(out->der, out->der_len, ks->pub.algo, out->raw, e);
}

int ks_sig_from_raw(const struct keystore *ks, struct ks_sig *out, struct err *e)
{
	return sig_raw_to_der(out->raw, ks->pub.algo, out->der, sizeof out->der, &out->der_len, e);
}

int ks_pubkey_from_pem(const char *pem, struct pubkey *out, struct err *e)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *pk = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	ERR_clear_error();
	int rc = pk ? pubkey_from_evp(pk, out, e) : err_set(e, ERR_KEYSTORE, "public_key is not PEM");
	EVP_PKEY_free(pk);
	return rc;
}

void *ks_http_worker_open(struct keystore *ks, struct err *e)
{
	CURL *h = http_handle_new();
	if (!h)
		err_set(e, ERR_INTERNAL, "%s: cannot create an HTTP handle", ks->signer);
	return h;
}

void ks_http_worker_close(struct keystore *ks, void *worker)
{
	(void)ks;
	curl_easy_cleanup(worker);
}
