/* file:path/to/key.pem - a private key on disk, for development and tests. */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "config.h"
#include "keystore.h"

static int file_open(struct keystore *ks, const struct sign_config *cfg, struct err *e)
{
	const char *password = cfg && cfg->key_password ? cfg->key_password : "";
	char path[4096];
	const char *name = ks->uri + 5;
	const char *base = cfg && cfg->base_dir && name[0] != '/' ? cfg->base_dir : NULL;
	int n = base ? snprintf(path, sizeof path, "%s/%s", base, name) : snprintf(path, sizeof path, "%s", name);
	if (n < 0 || (size_t)n >= sizeof path)
		return err_set(e, ERR_KEYSTORE, "%s: path too long", ks->uri);
	BIO *bio = BIO_new_file(path, "rb");
	if (!bio)
		return err_set(e, ERR_KEYSTORE, "%s: cannot open the key file %s", ks->uri, path);
	EVP_PKEY *pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)password);
	BIO_free(bio);
	ERR_clear_error();
	if (!pk)
		return err_set(e, ERR_KEYSTORE, "%s: not a PEM private key, or its password is wrong", ks->uri);
	ks->state = pk;
	ks->dev_only = 1;
	return 0;
}

static int file_public_key(struct keystore *ks, struct err *e)
{
	int rc = pubkey_from_evp(ks->state, &ks->pub, e);
	if (rc)
		return err_prefix(e, "%s", ks->uri);
	ks->have_pub = 1;
	snprintf(ks->signer, sizeof ks->signer, "%s", ks->uri);
	return 0;
}

static void *file_worker_open(struct keystore *ks, struct err *e)
{
	(void)e;
	return ks->state; /* EVP_PKEY signing is thread-safe with a ctx per call */
}

static int file_sign(struct keystore *ks, void *w, const uint8_t *digest, size_t dlen,
		     struct ks_sig *out, struct err *e)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(w, NULL);
	size_t len = sizeof out->der;
	int ok = ctx && EVP_PKEY_sign_init(ctx) > 0 &&
		 EVP_PKEY_sign(ctx, out->der, &len, digest, dlen) > 0;
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	if (!ok)
		return err_set(e, ERR_KEYSTORE, "%s: signing failed", ks->uri);
	out->der_len = len;
	snprintf(out->signer, sizeof out->signer, "%s", ks->uri);
	return ks_sig_from_der(ks, out, e);
}

static void file_worker_close(struct keystore *ks, void *w)
{
	(void)ks;
	(void)w;
}

static void file_close(struct keystore *ks)
{
	EVP_PKEY_free(ks->state);
	ks->state = NULL;
}

const struct ks_ops ks_file_ops = {
	.scheme = "file",
	.open = file_open,
	.public_key = file_public_key,
	.worker_open = file_worker_open,
	.sign = file_sign,
	.worker_close = file_worker_close,
	.close = file_close,
};
