#include "p11.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <p11-kit/p11-kit.h>

#include "uri.h"

/* The PIN from pin-value or pin-source, then removed from the URI, whose
 * remaining form becomes the name shown in messages. */
static int take_pin(struct p11_module *m, struct err *e)
{
	const char *v = p11_kit_uri_get_pin_value(m->uri);
	const char *src = p11_kit_uri_get_pin_source(m->uri);
	int rc = 0;
	if (v) {
		snprintf(m->pin, sizeof m->pin, "%s", v);
		m->has_pin = 1;
	} else if (src) {
		const char *path = !strncmp(src, "file:", 5) ? src + 5 : src;
		FILE *f = fopen(path, "r");
		m->has_pin = f && fgets(m->pin, (int)sizeof m->pin, f);
		if (f)
			fclose(f);
		m->pin[strcspn(m->pin, "\r\n")] = '\0';
		if (!m->has_pin)
			rc = err_set(e, ERR_KEYSTORE, "cannot read the PIN from pin-source %s", path);
	}
	p11_kit_uri_set_pin_value(m->uri, NULL);
	p11_kit_uri_set_pin_source(m->uri, NULL);
	char *clean = NULL;
	if (p11_kit_uri_format(m->uri, P11_KIT_URI_FOR_ANY, &clean) == P11_KIT_URI_OK) {
		snprintf(m->name, sizeof m->name, "%s", clean);
		free(clean);
	}
	return rc ? err_prefix(e, "%s", m->name) : 0;
}

static int load_module(struct p11_module *m, const char *module, struct err *e)
{
	if (!module)
		return err_set(e, ERR_USAGE, "%s: add ?module-path=/path/to/module.so to the URI", m->name);
	m->f = p11_kit_module_load(module, 0);
	if (!m->f)
		return err_set(e, ERR_KEYSTORE, "%s: cannot load PKCS#11 module %s", m->name, module);
	if (p11_kit_module_initialize(m->f) != CKR_OK) {
		p11_kit_module_release(m->f);
		m->f = NULL;
		return err_set(e, ERR_KEYSTORE, "%s: C_Initialize failed", m->name);
	}
	return 0;
}

/* PKCS#11 text fields are space-padded, not NUL-terminated. */
static void trimmed(const CK_UTF8CHAR *s, size_t n, char *out)
{
	while (n && s[n - 1] == ' ')
		n--;
	memcpy(out, s, n);
	out[n] = '\0';
}

static void token_name(const CK_TOKEN_INFO *info, char *out, size_t n)
{
	char label[33], serial[17];
	trimmed(info->label, sizeof info->label, label);
	trimmed(info->serialNumber, sizeof info->serialNumber, serial);
	snprintf(out, n, "token %s serial %s", label, serial);
}

static int find_slot(struct p11_module *m, struct err *e)
{
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64;
	if (m->f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
		return err_set(e, ERR_KEYSTORE, "%s: C_GetSlotList failed", m->name);
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO info;
		if (m->f->C_GetTokenInfo(slots[i], &info) == CKR_OK &&
		    p11_kit_uri_match_token_info(m->uri, &info) == 1) {
			m->slot = slots[i];
			token_name(&info, m->token, sizeof m->token);
			return 0;
		}
	}
	return err_set(e, ERR_KEYSTORE, "%s: no token matches the URI (%lu token(s) present)", m->name,
		       (unsigned long)n);
}

static int parse_uri(struct p11_module *m, const char *uri, struct err *e)
{
	memset(m, 0, sizeof *m);
	uri_redact(uri, m->name, sizeof m->name); /* until the PIN is out of the URI */
	m->has_mu = pthread_mutex_init(&m->mu, NULL) == 0;
	m->uri = p11_kit_uri_new();
	if (!m->uri)
		return err_set(e, ERR_INTERNAL, "out of memory");
	if (p11_kit_uri_parse(uri, P11_KIT_URI_FOR_ANY, m->uri) != P11_KIT_URI_OK)
		return err_set(e, ERR_USAGE, "%s: not a PKCS#11 URI (RFC 7512)", m->name);
	return 0;
}

int p11_module_open_as(struct p11_module *m, const char *uri, const char *module, const char *pin,
		       struct err *e)
{
	int rc = parse_uri(m, uri, e);
	if (!rc) {
		p11_kit_uri_set_module_path(m->uri, NULL);
		p11_kit_uri_set_pin_source(m->uri, NULL);
		rc = take_pin(m, e); /* only strips a pin-value and names the URI */
	}
	if (!rc && pin) {
		snprintf(m->pin, sizeof m->pin, "%s", pin);
		m->has_pin = 1;
	}
	if (!rc)
		rc = load_module(m, module, e);
	if (!rc)
		rc = find_slot(m, e);
	if (rc)
		p11_module_close(m);
	return rc;
}

int p11_module_open(struct p11_module *m, const char *uri, struct err *e)
{
	int rc = parse_uri(m, uri, e);
	if (!rc)
		rc = take_pin(m, e);
	const char *module = rc ? NULL : p11_kit_uri_get_module_path(m->uri);
	if (!rc)
		rc = load_module(m, module ? module : getenv("PKCS11_MODULE_PATH"), e);
	if (!rc)
		rc = find_slot(m, e);
	if (rc)
		p11_module_close(m);
	return rc;
}

int p11_session_open(struct p11_module *m, CK_SESSION_HANDLE *s, struct err *e)
{
	if (m->f->C_OpenSession(m->slot, CKF_SERIAL_SESSION, NULL, NULL, s) != CKR_OK)
		return err_set(e, ERR_KEYSTORE, "%s: C_OpenSession failed", m->name);
	if (!m->has_pin)
		return 0;
	pthread_mutex_lock(&m->mu);
	CK_RV rv = m->f->C_Login(*s, CKU_USER, (CK_UTF8CHAR_PTR)m->pin, strlen(m->pin));
	pthread_mutex_unlock(&m->mu);
	if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN)
		return 0;
	m->f->C_CloseSession(*s);
	if (rv == CKR_PIN_INCORRECT)
		return err_set(e, ERR_KEYSTORE, "%s: login failed: CKR_PIN_INCORRECT (wrong PIN)", m->name);
	if (rv == CKR_PIN_LOCKED)
		return err_set(e, ERR_KEYSTORE, "%s: login failed: CKR_PIN_LOCKED (the token locked the PIN)", m->name);
	return err_set(e, ERR_KEYSTORE, "%s: login failed (CKR 0x%lx)", m->name, (unsigned long)rv);
}

void p11_session_close(struct p11_module *m, CK_SESSION_HANDLE s)
{
	m->f->C_CloseSession(s);
}

int p11_find_key(struct p11_module *m, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, CK_KEY_TYPE type,
		 CK_OBJECT_HANDLE *out, struct err *e)
{
	CK_ATTRIBUTE t[4] = { { CKA_CLASS, &cls, sizeof cls } };
	CK_ULONG n = 1, found = 0;
	if (type != (CK_KEY_TYPE)-1)
		t[n++] = (CK_ATTRIBUTE){ CKA_KEY_TYPE, &type, sizeof type };
	CK_ATTRIBUTE_PTR label = p11_kit_uri_get_attribute(m->uri, CKA_LABEL);
	CK_ATTRIBUTE_PTR id = p11_kit_uri_get_attribute(m->uri, CKA_ID);
	if (label)
		t[n++] = *label;
	if (id)
		t[n++] = *id;
	CK_OBJECT_HANDLE h[2];
	if (m->f->C_FindObjectsInit(s, t, n) != CKR_OK)
		return err_set(e, ERR_KEYSTORE, "%s: C_FindObjectsInit failed", m->name);
	CK_RV rv = m->f->C_FindObjects(s, h, 2, &found);
	m->f->C_FindObjectsFinal(s);
	if (rv != CKR_OK || found != 1)
		return err_set(e, ERR_KEYSTORE, "%s: %s key object matches, expected exactly one%s", m->name,
			       rv == CKR_OK && found ? "more than one" : "no",
			       rv == CKR_OK && !found && !m->has_pin
				       ? " (without a PIN only public objects are visible: add pin-source=)" : "");
	*out = h[0];
	return 0;
}

int p11_find_public_of(struct p11_module *m, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv,
		       CK_OBJECT_HANDLE *out, struct err *e)
{
	uint8_t id[256];
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE ida = { CKA_ID, id, sizeof id };
	if (m->f->C_GetAttributeValue(s, priv, &ida, 1) != CKR_OK || ida.ulValueLen == 0)
		return err_set(e, ERR_KEYSTORE, "%s: the private key has no CKA_ID to find its public key by",
			       m->name);
	CK_ATTRIBUTE t[2] = { { CKA_CLASS, &cls, sizeof cls }, ida };
	CK_OBJECT_HANDLE h[2];
	CK_ULONG found = 0;
	if (m->f->C_FindObjectsInit(s, t, 2) != CKR_OK)
		return err_set(e, ERR_KEYSTORE, "%s: C_FindObjectsInit failed", m->name);
	CK_RV rv = m->f->C_FindObjects(s, h, 2, &found);
	m->f->C_FindObjectsFinal(s);
	if (rv != CKR_OK || found != 1)
		return err_set(e, ERR_KEYSTORE, "%s: %s public key object has the private key's CKA_ID",
			       m->name, rv == CKR_OK && found ? "more than one" : "no");
	*out = h[0];
	return 0;
}

void p11_module_close(struct p11_module *m)
{
	if (m->f) {
		p11_kit_module_finalize(m->f);
		p11_kit_module_release(m->f);
	}
	if (m->uri)
		p11_kit_uri_free(m->uri);
	if (m->has_mu)
		pthread_mutex_destroy(&m->mu);
	OPENSSL_cleanse(m->pin, sizeof m->pin);
	m->f = NULL;
	m->uri = NULL;
	m->has_mu = 0;
	m->has_pin = 0;
}
