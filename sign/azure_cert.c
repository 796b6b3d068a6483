/* The client assertion of a certificate credential (AZURE_CLIENT_CERTIFICATE_PATH):
 * a JWT signed RS256 with the certificate's private key, naming the
 * certificate by its SHA-1 thumbprint (x5t), as Microsoft Entra ID takes it. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "azure_auth.h"
#include "common/hex.h"

/* A PKCS#12 (.pfx) file, as the Azure SDKs also take it. */
static void load_pfx(BIO *b, const char *pass, X509 **cert, EVP_PKEY **key)
{
	PKCS12 *p12 = d2i_PKCS12_bio(b, NULL);
	X509_free(*cert);
	EVP_PKEY_free(*key);
	*cert = NULL;
	*key = NULL;
	if (p12 && PKCS12_parse(p12, pass ? pass : "", key, cert, NULL) != 1 && !pass)
		PKCS12_parse(p12, NULL, key, cert, NULL);
	PKCS12_free(p12);
}

static int load(const char *path, X509 **cert, EVP_PKEY **key, struct err *e)
{
	const char *pass = getenv("AZURE_CLIENT_CERTIFICATE_PASSWORD");
	BIO *b = BIO_new_file(path, "rb");
	if (!b)
		return err_set(e, ERR_KEYSTORE, "%s: cannot read the client certificate", path);
	*cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
	(void)BIO_reset(b);
	*key = PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)(pass ? pass : ""));
	if (!*cert || !*key) {
		(void)BIO_reset(b);
		load_pfx(b, pass, cert, key);
	}
	BIO_free(b);
	ERR_clear_error();
	if (!*cert || !*key)
		return err_set(e, ERR_KEYSTORE, "%s: a PEM file with the certificate and its private key, or a "
			       "PKCS#12 (.pfx) file, is expected (AZURE_CLIENT_CERTIFICATE_PASSWORD if it is "
			       "encrypted)", path);
	if (EVP_PKEY_get_base_id(*key) != EVP_PKEY_RSA || X509_check_private_key(*cert, *key) != 1)
		return err_set(e, ERR_KEYSTORE, "%s: the private key must be the certificate's, and RSA "
			       "(Entra ID takes RS256 client assertions)", path);
	return 0;
}

int azure_cert_assertion(const char *path, const char *audience, const char *client, char *out,
			 size_t n, struct err *e)
{
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	int rc = load(path, &cert, &key, e);
	uint8_t thumb[20], jti[16];
	unsigned int tl = 0;
	char x5t[32], jtihex[33], header[128], payload[1400];
	if (!rc && (X509_digest(cert, EVP_sha1(), thumb, &tl) != 1 || RAND_bytes(jti, sizeof jti) != 1))
		rc = err_set(e, ERR_INTERNAL, "cannot hash the certificate");
	if (!rc) {
		b64url_encode(thumb, 20, x5t);
		hex_encode(jti, sizeof jti, jtihex);
		long now = (long)time(NULL);
		snprintf(header, sizeof header, "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"x5t\":\"%s\"}", x5t);
		snprintf(payload, sizeof payload, "{\"aud\":\"%.700s\",\"iss\":\"%.127s\",\"sub\":\"%.127s\","
			 "\"jti\":\"%s\",\"nbf\":%ld,\"iat\":%ld,\"exp\":%ld}", audience, client, client, jtihex,
			 now, now, now + 600);
		rc = jwt_rs256(key, header, payload, out, n, e);
		if (rc)
			err_prefix(e, "%s: the client assertion", path);
	}
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}
