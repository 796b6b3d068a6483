#include "policy.h"

#include <stdio.h>
#include <string.h>

#include "common/uri.h"

static int header_allowed(const struct key_policy *p, const char *h)
{
	for (size_t i = 0; i < p->nheaders; i++)
		if (!strcmp(p->headers[i], h))
			return 1;
	return p->nheaders == 0;
}

static int type_allowed(const struct key_policy *p, uint32_t t)
{
	for (size_t i = 0; i < p->ntypes; i++)
		if (p->types[i] == t)
			return 1;
	return p->ntypes == 0;
}

/* A TF-A certificate: listed in tbbr_certs, or a key whose policy says
 * nothing of what it signs (a key limited to STM32 headers signs no
 * certificate). */
static int check_cert(const struct mf_image *im, const struct key_policy *p, const char *shown,
		      const char *allowed, struct err *e)
{
	for (size_t i = 0; i < p->ncerts; i++)
		if (!strcmp(p->certs[i], im->cert))
			return 0;
	if (!p->ncerts && !p->nheaders && !p->ntypes && !p->has_min_version)
		return 0;
	return err_set(e, ERR_VERIFY, "image %s: the policy of key %s refuses TF-A certificate %s (rule "
		       "tbbr_certs: %s); nothing was signed", im->id, shown, im->cert, allowed);
}

static int check_image(const struct mf_image *im, const struct key_conf *kc, const char *shown,
		       char *allowed, size_t an, struct err *e)
{
	const struct key_policy *p = &kc->policy;
	policy_describe(p, allowed, an);
	if (im->kind == MF_KIND_TBBR_CERT)
		return check_cert(im, p, shown, allowed, e);
	/* The converse of check_cert: a key limited to TF-A certificates signs
	 * no STM32 header. */
	if (p->ncerts && !p->nheaders && !p->ntypes && !p->has_min_version)
		return err_set(e, ERR_VERIFY, "image %s: the policy of key %s refuses STM32 header %s: the key "
			       "signs only TF-A certificates (rule tbbr_certs: %s); nothing was signed", im->id,
			       shown, im->header, allowed);
	if (!header_allowed(p, im->header))
		return err_set(e, ERR_VERIFY, "image %s: the policy of key %s refuses header %s (rule headers: "
			       "%s); nothing was signed", im->id, shown, im->header, allowed);
	if (!type_allowed(p, im->binary_type))
		return err_set(e, ERR_VERIFY, "image %s: the policy of key %s refuses binary type 0x%02x "
			       "(rule binary_types: %s); nothing was signed", im->id, shown, im->binary_type,
			       allowed);
	if (p->has_min_version && im->image_version < p->min_version)
		return err_set(e, ERR_VERIFY, "image %s: the policy of key %s refuses image version %u "
			       "(rule min_image_version: %u); nothing was signed", im->id, shown,
			       im->image_version, p->min_version);
	return 0;
}

int policy_check(const struct manifest *m, const struct signer_conf *c, struct err *e)
{
	char shown[MF_URI_MAX + 16], allowed[512];
	for (size_t i = 0; i < m->n; i++) {
		const struct key_conf *kc = signer_conf_find(c, m->images[i].key_uri);
		uri_redact(m->images[i].key_uri, shown, sizeof shown);
		int rc = kc ? check_image(&m->images[i], kc, shown, allowed, sizeof allowed, e) : 0;
		if (rc)
			return rc;
	}
	for (size_t k = 0; k < c->n; k++) {
		size_t count = 0;
		for (size_t i = 0; i < m->n; i++)
			count += signer_conf_find(c, m->images[i].key_uri) == &c->keys[k];
		uri_redact(c->keys[k].uri, shown, sizeof shown);
		if (c->keys[k].policy.max_images && count > c->keys[k].policy.max_images)
			return err_set(e, ERR_VERIFY, "the manifest asks key %s for %zu signatures; its policy "
				       "allows %zu per run (rule max_images); nothing was signed", shown, count,
				       c->keys[k].policy.max_images);
	}
	return 0;
}

void policy_describe(const struct key_policy *p, char *out, size_t n)
{
	size_t o = 0;
	out[0] = '\0';
#define ADD(...) (o += (size_t)snprintf(out + o, o < n ? n - o : 0, __VA_ARGS__), o = o < n ? o : n - 1)
	if (p->nheaders) {
		ADD("headers");
		for (size_t i = 0; i < p->nheaders; i++)
			ADD("%s%s", i ? ", " : " ", p->headers[i]);
	}
	if (p->ntypes) {
		ADD("%sbinary types", o ? "; " : "");
		for (size_t i = 0; i < p->ntypes; i++)
			ADD("%s0x%02x", i ? ", " : " ", p->types[i]);
	}
	if (p->has_min_version)
		ADD("%simage version >= %u", o ? "; " : "", p->min_version);
	if (p->ncerts) {
		ADD("%sTF-A certificates", o ? "; " : "");
		for (size_t i = 0; i < p->ncerts; i++)
			ADD("%s%s", i ? ", " : " ", p->certs[i]);
	}
	if (p->max_images)
		ADD("%sat most %zu images per run", o ? "; " : "", p->max_images);
	if (!o)
		ADD("no policy");
#undef ADD
}
