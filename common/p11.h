/* PKCS#11 through p11-kit, for the token a pkcs11: URI names (RFC 7512):
 * the module and slot once (p11_module), then one or more logged-in sessions.
 * The PIN (pin-value or pin-source) is kept only for C_Login and cleansed by
 * p11_module_close; it never appears in a message (name is the URI without it). */
#ifndef COMMON_P11_H
#define COMMON_P11_H

#include <pthread.h>

#include <p11-kit/pkcs11.h>
#include <p11-kit/uri.h>

#include "err.h"

struct p11_module {
	P11KitUri *uri;
	CK_FUNCTION_LIST *f;
	CK_SLOT_ID slot;
	char pin[256];
	int has_pin;
	pthread_mutex_t mu; /* C_Login from several sessions at once */
	int has_mu;
	char name[1024];    /* the URI without its PIN, for messages */
	char token[128];    /* "token LABEL serial SERIAL", for the audit log */
};

/* Parse the URI, take the PIN, load the module (?module-path= or
 * $PKCS11_MODULE_PATH) and find the token. On failure everything is released.
 * ERR_USAGE for a bad URI or no module path, ERR_KEYSTORE otherwise. */
int p11_module_open(struct p11_module *m, const char *uri, struct err *e);

/* Same, with the module and PIN the caller trusts (the signer
 * configuration); pin may be NULL. The URI's module-path and pin-source are
 * ignored and $PKCS11_MODULE_PATH is not read: the URI may come from a
 * manifest. */
int p11_module_open_as(struct p11_module *m, const char *uri, const char *module, const char *pin,
		       struct err *e);

/* The public key object with the CKA_ID of private key priv. */
int p11_find_public_of(struct p11_module *m, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv,
		       CK_OBJECT_HANDLE *out, struct err *e);

/* A session on the token, logged in when the URI gave a PIN. */
int p11_session_open(struct p11_module *m, CK_SESSION_HANDLE *s, struct err *e);
void p11_session_close(struct p11_module *m, CK_SESSION_HANDLE s);

/* The single object of class cls (and key type, unless type is
 * (CK_KEY_TYPE)-1) that matches the URI's object= and id=. */
int p11_find_key(struct p11_module *m, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, CK_KEY_TYPE type,
		 CK_OBJECT_HANDLE *out, struct err *e);

/* Finalize and release the module, cleanse the PIN; safe on a closed one. */
void p11_module_close(struct p11_module *m);

#endif
