#include "p11.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <p11-kit/p11-kit.h>

/* The PIN from pin-value or pin-source, then removed from the URI. */
static int take_pin(struct p11_session *ps, char *pin, size_t n, int *has_pin, struct err *e)
{
	const char *v = p11_kit_uri_get_pin_value(ps->uri);
	const char *src = p11_kit_uri_get_pin_source(ps->uri);
	*has_pin = 0;
	if (v) {
		snprintf(pin, n, "%s", v);
		*has_pin = 1;
	} else if (src) {
		const char *path = !strncmp(src, "file:", 5) ? src + 5 : src;
		FILE *f = fopen(path, "r");
		int ok = f && fgets(pin, (int)n, f);
		if (f)
			fclose(f);
		if (!ok)
			return err_set(e, ERR_KEYSTORE, "cannot read the PIN from pin-source %s", path);
		pin[strcspn(pin, "\r\n")] = '\0';
		*has_pin = 1;
	}
	p11_kit_uri_set_pin_value(ps->uri, NULL);
	p11_kit_uri_set_pin_source(ps->uri, NULL);
	char *clean = NULL;
	if (p11_kit_uri_format(ps->uri, P11_KIT_URI_FOR_ANY, &clean) == P11_KIT_URI_OK) {
		snprintf(ps->name, sizeof ps->name, "%s", clean);
		free(clean);
	}
	return 0;
}

static int load_module(struct p11_session *ps, struct err *e)
{
	const char *module = p11_kit_uri_get_module_path(ps->uri);
	if (!module)
		module = getenv("PKCS11_MODULE_PATH");
	if (!module)
		return err_set(e, ERR_USAGE, "%s: add ?module-path=/path/to/module.so to the URI", ps->name);
	ps->f = p11_kit_module_load(module, 0);
	if (!ps->f)
		return err_set(e, ERR_KEYSTORE, "%s: cannot load PKCS#11 module %s", ps->name, module);
	if (p11_kit_module_initialize(ps->f) != CKR_OK) {
		p11_kit_module_release(ps->f);
		ps->f = NULL;
		return err_set(e, ERR_KEYSTORE, "%s: C_Initialize failed", ps->name);
	}
	return 0;
}

static int find_slot(struct p11_session *ps, struct err *e)
{
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64;
	if (ps->f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
		return err_set(e, ERR_KEYSTORE, "%s: C_GetSlotList failed", ps->name);
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO info;
		if (ps->f->C_GetTokenInfo(slots[i], &info) == CKR_OK &&
		    p11_kit_uri_match_token_info(ps->uri, &info) == 1) {
			ps->slot = slots[i];
			return 0;
		}
	}
	return err_set(e, ERR_KEYSTORE, "%s: no token matches the URI (%lu token(s) present)", ps->name,
		       (unsigned long)n);
}

static int open_and_login(struct p11_session *ps, const char *pin, int has_pin, struct err *e)
{
	if (ps->f->C_OpenSession(ps->slot, CKF_SERIAL_SESSION, NULL, NULL, &ps->s) != CKR_OK)
		return err_set(e, ERR_KEYSTORE, "%s: C_OpenSession failed", ps->name);
	ps->has_session = 1;
	if (!has_pin)
		return 0;
	CK_RV rv = ps->f->C_Login(ps->s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
		return err_set(e, ERR_KEYSTORE, "%s: login failed (CKR 0x%lx)", ps->name, (unsigned long)rv);
	return 0;
}

int p11_session_open(struct p11_session *ps, const char *uri, struct err *e)
{
	memset(ps, 0, sizeof *ps);
	snprintf(ps->name, sizeof ps->name, "pkcs11 URI");
	ps->uri = p11_kit_uri_new();
	if (!ps->uri)
		return err_set(e, ERR_INTERNAL, "out of memory");
	if (p11_kit_uri_parse(uri, P11_KIT_URI_FOR_ANY, ps->uri) != P11_KIT_URI_OK) {
		p11_session_close(ps);
		return err_set(e, ERR_USAGE, "not a PKCS#11 URI (RFC 7512)");
	}
	char pin[256];
	int has_pin = 0;
	int rc = take_pin(ps, pin, sizeof pin, &has_pin, e);
	if (!rc)
		rc = load_module(ps, e);
	if (!rc)
		rc = find_slot(ps, e);
	if (!rc)
		rc = open_and_login(ps, pin, has_pin, e);
	OPENSSL_cleanse(pin, sizeof pin);
	if (rc)
		p11_session_close(ps);
	return rc;
}

int p11_find_key(struct p11_session *ps, CK_OBJECT_CLASS cls, CK_KEY_TYPE type,
		 CK_OBJECT_HANDLE *out, struct err *e)
{
	CK_ATTRIBUTE t[4] = { { CKA_CLASS, &cls, sizeof cls } };
	CK_ULONG n = 1, found = 0;
	if (type != (CK_KEY_TYPE)-1)
		t[n++] = (CK_ATTRIBUTE){ CKA_KEY_TYPE, &type, sizeof type };
	CK_ATTRIBUTE_PTR label = p11_kit_uri_get_attribute(ps->uri, CKA_LABEL);
	CK_ATTRIBUTE_PTR id = p11_kit_uri_get_attribute(ps->uri, CKA_ID);
	if (label)
		t[n++] = *label;
	if (id)
		t[n++] = *id;
	CK_OBJECT_HANDLE h[2];
	if (ps->f->C_FindObjectsInit(ps->s, t, n) != CKR_OK)
		return err_set(e, ERR_KEYSTORE, "%s: C_FindObjectsInit failed", ps->name);
	CK_RV rv = ps->f->C_FindObjects(ps->s, h, 2, &found);
	ps->f->C_FindObjectsFinal(ps->s);
	if (rv != CKR_OK || found != 1)
		return err_set(e, ERR_KEYSTORE, "%s: %s key object matches, expected exactly one", ps->name,
			       rv == CKR_OK && found ? "more than one" : "no");
	*out = h[0];
	return 0;
}

void p11_session_close(struct p11_session *ps)
{
	if (ps->f) {
		if (ps->has_session)
			ps->f->C_CloseSession(ps->s);
		p11_kit_module_finalize(ps->f);
		p11_kit_module_release(ps->f);
	}
	if (ps->uri)
		p11_kit_uri_free(ps->uri);
	ps->f = NULL;
	ps->uri = NULL;
	ps->has_session = 0;
}
