#include "signer_conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/num.h"
#include "common/uri.h"
#include "manifest/ytree.h"

void key_uri_identity(const char *uri, char *out, size_t n)
{
	size_t len = !strncmp(uri, "pkcs11:", 7) ? strcspn(uri, "?") : strlen(uri);
	snprintf(out, n, "%.*s", (int)len, uri);
}

static int read_pin(const char *text, struct key_conf *k, const char *ctx, struct err *e)
{
	if (!strcmp(text, "prompt")) {
		k->pin = PIN_PROMPT;
		return 0;
	}
	if (!strncmp(text, "file:", 5) && text[5]) {
		k->pin = PIN_FILE;
		snprintf(k->pin_arg, sizeof k->pin_arg, "%s", text + 5);
		return 0;
	}
	if (!strncmp(text, "env:", 4) && text[4]) {
		k->pin = PIN_ENV;
		snprintf(k->pin_arg, sizeof k->pin_arg, "%s", text + 4);
		return 0;
	}
	return err_set(e, ERR_INPUT, "%s: pin must be file:PATH, env:VARIABLE or prompt", ctx);
}

static int read_list(const struct ynode *pol, const char *key, int numbers, struct key_policy *p,
		     const char *ctx, struct err *e)
{
	const struct ynode *seq = ymap_get(pol, key);
	if (!seq)
		return 0;
	if (seq->type != YN_SEQ || seq->n > POLICY_MAX_LIST)
		return err_set(e, ERR_INPUT, "%s: line %zu: '%s' must be a list of at most %d", ctx,
			       seq->line, key, POLICY_MAX_LIST);
	for (size_t i = 0; i < seq->n; i++) {
		const struct ynode *v = seq->kids[i];
		uint64_t t;
		if (v->type != YN_SCALAR || (numbers && num_parse_u64(v->str, 0xFF, &t)) ||
		    (!numbers && strlen(v->str) >= sizeof p->headers[0]))
			return err_set(e, ERR_INPUT, "%s: line %zu: '%s' holds '%.20s': expected %s", ctx,
				       v->line, key, v->type == YN_SCALAR ? v->str : "a list",
				       numbers ? "a binary type (0x10 ...)" : "a header version (\"2.2\" ...)");
		if (numbers)
			p->types[p->ntypes++] = (uint32_t)t;
		else
			snprintf(p->headers[p->nheaders++], sizeof p->headers[0], "%s", v->str);
	}
	return 0;
}

/* tbbr_certs: the TF-A certificates (tbbr/cot.c names) a key may sign. */
static int read_certs(const struct ynode *pol, struct key_policy *p, const char *ctx, struct err *e)
{
	const struct ynode *seq = ymap_get(pol, "tbbr_certs");
	if (!seq)
		return 0;
	if (seq->type != YN_SEQ || seq->n > POLICY_MAX_LIST)
		return err_set(e, ERR_INPUT, "%s: line %zu: 'tbbr_certs' must be a list of at most %d", ctx,
			       seq->line, POLICY_MAX_LIST);
	for (size_t i = 0; i < seq->n; i++) {
		const struct ynode *v = seq->kids[i];
		if (v->type != YN_SCALAR || strlen(v->str) >= sizeof p->certs[0])
			return err_set(e, ERR_INPUT, "%s: line %zu: 'tbbr_certs' holds something that is not a "
				       "certificate name (trusted_key ...)", ctx, v->line);
		snprintf(p->certs[p->ncerts++], sizeof p->certs[0], "%s", v->str);
	}
	return 0;
}

static int read_policy(const struct ynode *k, struct key_policy *p, const char *ctx, struct err *e)
{
	static const char *const fields[] = { "headers", "binary_types", "min_image_version",
					      "max_images", "tbbr_certs", NULL };
	const struct ynode *pol = ymap_get(k, "policy");
	uint64_t v = 0, max = 0;
	int rc;
	if (!pol)
		return 0;
	if (pol->type != YN_MAP)
		return err_set(e, ERR_INPUT, "%s: line %zu: policy must be a map", ctx, pol->line);
	if ((rc = ymap_only(pol, fields, ctx, e)) || (rc = read_list(pol, "headers", 0, p, ctx, e)) ||
	    (rc = read_list(pol, "binary_types", 1, p, ctx, e)) || (rc = read_certs(pol, p, ctx, e)) ||
	    (rc = yget_u64_opt(pol, "max_images", MANIFEST_MAX_IMAGES, &max, ctx, e)))
		return rc;
	p->max_images = (size_t)max;
	if (ymap_get(pol, "min_image_version")) {
		if ((rc = yget_u64(pol, "min_image_version", UINT32_MAX, &v, ctx, e)))
			return rc;
		p->has_min_version = 1;
		p->min_version = (uint32_t)v;
	}
	return 0;
}

/* approle: { role_id, secret_id_file, mount } of a Vault / OpenBao key. */
static int read_approle(const struct ynode *k, struct key_conf *kc, const char *ctx, struct err *e)
{
	static const char *const fields[] = { "role_id", "secret_id_file", "mount", NULL };
	const struct ynode *a = ymap_get(k, "approle");
	int rc;
	if (!a)
		return 0;
	if (a->type != YN_MAP)
		return err_set(e, ERR_INPUT, "%s: line %zu: approle must be a map (role_id, secret_id_file, "
			       "mount)", ctx, a->line);
	if (strncmp(kc->uri, "hashivault://", 13) && strncmp(kc->uri, "openbao://", 10))
		return err_set(e, ERR_INPUT, "%s: line %zu: approle is for hashivault:// and openbao:// keys",
			       ctx, a->line);
	if ((rc = ymap_only(a, fields, ctx, e)) ||
	    (rc = yget_str(a, "role_id", kc->approle_role_id, sizeof kc->approle_role_id, ctx, e)) ||
	    (rc = yget_str(a, "secret_id_file", kc->approle_secret_file, sizeof kc->approle_secret_file, ctx, e)) ||
	    (rc = yget_str_opt(a, "mount", kc->approle_mount, sizeof kc->approle_mount, ctx, e)))
		return rc;
	if (!kc->approle_role_id[0] || strstr(kc->approle_mount, "..") || strchr(kc->approle_mount, '?'))
		return err_set(e, ERR_INPUT, "%s: line %zu: approle needs a role_id and a plain mount name", ctx,
			       a->line);
	return 0;
}

static int read_key(const struct ynode *k, size_t i, const char *name, struct key_conf *kc,
		    struct err *e)
{
	static const char *const fields[] = { "uri", "module", "pin", "profile", "region",
					      "endpoint", "access_token_file", "approle", "policy", NULL };
	char ctx[4200], pin[1100] = "";
	snprintf(ctx, sizeof ctx, "%s: keys[%zu]", name, i);
	memset(kc, 0, sizeof *kc);
	int rc;
	if (k->type != YN_MAP)
		return err_set(e, ERR_INPUT, "%s: line %zu: a key must be a map", ctx, k->line);
	if ((rc = ymap_only(k, fields, ctx, e)) ||
	    (rc = yget_str(k, "uri", kc->uri, sizeof kc->uri, ctx, e)) ||
	    (rc = yget_str_opt(k, "module", kc->module, sizeof kc->module, ctx, e)) ||
	    (rc = yget_str_opt(k, "pin", pin, sizeof pin, ctx, e)) ||
	    (rc = yget_str_opt(k, "profile", kc->profile, sizeof kc->profile, ctx, e)) ||
	    (rc = yget_str_opt(k, "region", kc->region, sizeof kc->region, ctx, e)) ||
	    (rc = yget_str_opt(k, "endpoint", kc->endpoint, sizeof kc->endpoint, ctx, e)) ||
	    (rc = yget_str_opt(k, "access_token_file", kc->access_token_file, sizeof kc->access_token_file,
			       ctx, e)) ||
	    (pin[0] && (rc = read_pin(pin, kc, ctx, e))) || (rc = read_policy(k, &kc->policy, ctx, e)) ||
	    (rc = read_approle(k, kc, ctx, e)))
		return rc;
	/* a transit key's ?version=N is part of its name; elsewhere a query is a module or a PIN */
	int versioned = !strncmp(kc->uri, "hashivault://", 13) || !strncmp(kc->uri, "openbao://", 10);
	if (uri_has_pin_value(kc->uri) || (strchr(kc->uri, '?') && !versioned))
		return err_set(e, ERR_INPUT, "%s: uri names the key only: module and PIN are their own "
			       "fields (module:, pin:)", ctx);
	if (!strncmp(kc->uri, "pkcs11:", 7) && !kc->module[0])
		return err_set(e, ERR_INPUT, "%s: a pkcs11: key needs module: /path/to/module.so", ctx);
	return 0;
}

static int parse_root(const struct ynode *root, const char *name, struct signer_conf *c,
		      struct err *e)
{
	static const char *const fields[] = { "format", "audit_log", "keys", NULL };
	char fmt[64];
	int rc;
	if ((rc = ymap_only(root, fields, name, e)) ||
	    (rc = yget_str(root, "format", fmt, sizeof fmt, name, e)))
		return rc;
	if (strcmp(fmt, SIGNER_CONF_FORMAT))
		return err_set(e, ERR_INPUT, "%s: format '%s' is not %s", name, fmt, SIGNER_CONF_FORMAT);
	if ((rc = yget_str_opt(root, "audit_log", c->audit_log, sizeof c->audit_log, name, e)))
		return rc;
	const struct ynode *seq = yget_seq(root, "keys", name, e);
	if (!seq)
		return e->code;
	if (!(c->keys = calloc(seq->n ? seq->n : 1, sizeof *c->keys)))
		return err_set(e, ERR_INTERNAL, "out of memory");
	for (size_t i = 0; i < seq->n; i++) {
		if ((rc = read_key(seq->kids[i], i, name, &c->keys[i], e)))
			return rc;
		if (signer_conf_find(c, c->keys[i].uri))
			return err_set(e, ERR_INPUT, "%s: keys[%zu]: %.200s is configured twice", name, i,
				       c->keys[i].uri);
		c->n++;
	}
	return 0;
}

int signer_conf_parse(const uint8_t *buf, size_t len, const char *name, struct signer_conf *c,
		      struct err *e)
{
	memset(c, 0, sizeof *c);
	struct ynode *root = ytree_parse(buf, len, name, e);
	if (!root)
		return e->code;
	int rc = root->type == YN_MAP ? parse_root(root, name, c, e)
				      : err_set(e, ERR_INPUT, "%s: expected a map", name);
	ytree_free(root);
	if (rc)
		signer_conf_free(c);
	else
		snprintf(c->path, sizeof c->path, "%s", name);
	return rc;
}

int signer_conf_load(const char *path, struct signer_conf *c, struct err *e)
{
	char def[4200];
	memset(c, 0, sizeof *c);
	if (!path) {
		const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
		if (xdg && *xdg)
			snprintf(def, sizeof def, "%s/stm32-kms-sign/signer.yaml", xdg);
		else if (home && *home)
			snprintf(def, sizeof def, "%s/.config/stm32-kms-sign/signer.yaml", home);
		else
			return 0;
		if (access(def, F_OK))
			return 0; /* no configuration: AWS keys as the environment says */
		path = def;
	}
	uint8_t *buf;
	size_t len;
	int rc = file_read_all(path, 1u << 20, &buf, &len, e);
	if (rc)
		return err_prefix(e, "signer configuration");
	rc = signer_conf_parse(buf, len, path, c, e);
	free(buf);
	return rc;
}

void signer_conf_free(struct signer_conf *c)
{
	free(c->keys);
	memset(c, 0, sizeof *c);
}

const struct key_conf *signer_conf_find(const struct signer_conf *c, const char *uri)
{
	char id[MF_URI_MAX];
	key_uri_identity(uri, id, sizeof id);
	for (size_t i = 0; c && i < c->n; i++)
		if (!strcmp(c->keys[i].uri, id))
			return &c->keys[i];
	return NULL;
}
