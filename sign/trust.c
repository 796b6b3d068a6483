#include "trust.h"

#include <string.h>

#include <p11-kit/uri.h>

#include "common/uri.h"

/* module-path and pin-source of a pkcs11: URI, decoded by p11-kit. */
static int p11_query(const char *uri, char *module, char *pin_src, size_t n)
{
	P11KitUri *u = p11_kit_uri_new();
	int rc = u && p11_kit_uri_parse(uri, P11_KIT_URI_FOR_ANY, u) == P11_KIT_URI_OK ? 0 : -1;
	if (!rc) {
		const char *m = p11_kit_uri_get_module_path(u), *s = p11_kit_uri_get_pin_source(u);
		snprintf(module, n, "%s", m ? m : "");
		snprintf(pin_src, n, "%s", s ? s : "");
	}
	if (u)
		p11_kit_uri_free(u);
	return rc;
}

static int same_pin_source(const struct key_conf *kc, const char *src)
{
	if (kc->pin != PIN_FILE)
		return 0;
	return !strcmp(src, kc->pin_arg) || (!strncmp(src, "file:", 5) && !strcmp(src + 5, kc->pin_arg));
}

static int check_pkcs11(const char *uri, const char *shown, const struct signer_conf *c,
			const struct key_conf *kc, struct err *e)
{
	char module[1024], src[1024];
	if (p11_query(uri, module, src, sizeof module))
		return err_set(e, ERR_USAGE, "key %s: not a PKCS#11 URI (RFC 7512)", shown);
	if (!kc)
		return err_set(e, ERR_USAGE, "key %s: a PKCS#11 key is used only as the signer configuration "
			       "(%s) describes it, and it is not there: the manifest cannot choose the "
			       "module or the PIN; nothing was loaded", shown,
			       c->path[0] ? c->path : "none read: --config FILE");
	if (module[0] && strcmp(module, kc->module))
		return err_set(e, ERR_USAGE, "key %s: the manifest chooses module-path %s, which the signer "
			       "configuration does not hold for this key; nothing was loaded", shown, module);
	if (src[0] && !same_pin_source(kc, src))
		return err_set(e, ERR_USAGE, "key %s: the manifest chooses pin-source %s, which the signer "
			       "configuration does not hold for this key; nothing was loaded", shown, src);
	return 0;
}

int trust_manifest_key(const char *uri, const struct signer_conf *c, const struct key_conf **kc,
		       struct err *e)
{
	char shown[MF_URI_MAX + 16];
	uri_redact(uri, shown, sizeof shown);
	*kc = signer_conf_find(c, uri);
	if (uri_has_pin_value(uri))
		return err_set(e, ERR_USAGE, "key %s: the manifest carries a PIN (pin-value): refused", shown);
	if (!strncmp(uri, "pkcs11:", 7))
		return check_pkcs11(uri, shown, c, *kc, e);
	if (c->path[0] && !*kc)
		return err_set(e, ERR_USAGE, "key %s is not in the signer configuration %s: this host "
			       "does not sign with it", shown, c->path);
	return 0;
}
