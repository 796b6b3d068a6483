/* One logged-in PKCS#11 session on the token a pkcs11: URI names (RFC 7512),
 * with the module loaded through p11-kit. The PIN (pin-value or pin-source)
 * is used for C_Login, then cleansed; it never appears in a message. */
#ifndef COMMON_P11_H
#define COMMON_P11_H

#include <p11-kit/pkcs11.h>
#include <p11-kit/uri.h>

#include "err.h"

struct p11_session {
	P11KitUri *uri;
	CK_FUNCTION_LIST *f;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;
	int has_session;
	char name[1024]; /* the URI without its PIN, for messages */
};

/* Load the module (?module-path= or $PKCS11_MODULE_PATH), find the token,
 * open a session and log in when the URI gives a PIN. On failure everything
 * is released again. ERR_USAGE for a bad URI, ERR_KEYSTORE otherwise. */
int p11_session_open(struct p11_session *ps, const char *uri, struct err *e);

/* The single object of class cls (and key type, unless type is
 * (CK_KEY_TYPE)-1) that matches the URI's object= and id=. */
int p11_find_key(struct p11_session *ps, CK_OBJECT_CLASS cls, CK_KEY_TYPE type,
		 CK_OBJECT_HANDLE *out, struct err *e);

/* Close the session, finalize and release the module; safe on a closed one. */
void p11_session_close(struct p11_session *ps);

#endif
