#include "certparse.h"

#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/objects.h>

/* One element of the expected tag at *p (within end): its contents and,
 * when whole is not NULL, the element with its header. */
struct elem {
	const uint8_t *start, *body;
	size_t len, whole;
};

static int next(const uint8_t **p, const uint8_t *end, int tag, int cls, int constructed,
		struct elem *el)
{
	const uint8_t *q = *p;
	long len;
	int t, c;
	if (q >= end)
		return -1;
	int r = ASN1_get_object(&q, &len, &t, &c, end - q);
	if ((r & 0x80) || r == 0x21 /* indefinite */ || t != tag || c != cls ||
	    !(r & V_ASN1_CONSTRUCTED) != !constructed || len > end - q)
		return -1;
	el->start = *p;
	el->body = q;
	el->len = (size_t)len;
	el->whole = (size_t)(q - *p) + (size_t)len;
	*p = q + len;
	return 0;
}

static int fail(struct err *e, const char *what)
{
	return err_set(e, ERR_INPUT, "%s", what);
}

static int parse_ext(const uint8_t *p, const uint8_t *end, struct tbbr_x509_ext *x, struct err *e)
{
	struct elem oid, crit, val;
	if (next(&p, end, V_ASN1_OBJECT, V_ASN1_UNIVERSAL, 0, &oid))
		return fail(e, "an extension has no OID");
	const uint8_t *q = oid.start;
	ASN1_OBJECT *o = d2i_ASN1_OBJECT(NULL, &q, (long)oid.whole);
	int ok = o && OBJ_obj2txt(x->oid, sizeof x->oid, o, 1) > 0;
	ASN1_OBJECT_free(o);
	if (!ok)
		return fail(e, "an extension OID does not decode");
	x->critical = 0;
	if (!next(&p, end, V_ASN1_BOOLEAN, V_ASN1_UNIVERSAL, 0, &crit)) {
		if (crit.len != 1)
			return fail(e, "an extension's critical flag is not one byte");
		x->critical = crit.body[0] != 0;
	}
	if (next(&p, end, V_ASN1_OCTET_STRING, V_ASN1_UNIVERSAL, 0, &val) || p != end)
		return err_set(e, ERR_INPUT, "extension %s: not OID, critical, OCTET STRING", x->oid);
	x->val = val.body;
	x->len = val.len;
	return 0;
}

/* [3] { SEQUENCE OF Extension }, which must end the TBS. */
static int parse_exts(const uint8_t *p, const uint8_t *end, struct tbbr_x509 *c, struct err *e)
{
	struct elem wrap, seq, one;
	if (next(&p, end, 3, V_ASN1_CONTEXT_SPECIFIC, 1, &wrap) || p != end)
		return fail(e, "the extensions are missing or not the last field of the TBS");
	const uint8_t *q = wrap.body, *qend = wrap.body + wrap.len;
	if (next(&q, qend, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, 1, &seq) || q != qend)
		return fail(e, "the extensions are not one SEQUENCE");
	q = seq.body;
	qend = seq.body + seq.len;
	for (c->next = 0; q < qend; c->next++) {
		int rc;
		if (c->next == TBBR_PARSE_MAX_EXTS)
			return fail(e, "more than 16 extensions");
		if (next(&q, qend, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, 1, &one))
			return fail(e, "an extension is not a SEQUENCE");
		if ((rc = parse_ext(one.body, one.body + one.len, &c->ext[c->next], e)))
			return rc;
	}
	return 0;
}

static int parse_tbs(const uint8_t *p, const uint8_t *end, struct tbbr_x509 *c, struct err *e)
{
	static const uint8_t v3[] = { 0xa0, 0x03, 0x02, 0x01, 0x02 };
	struct elem el;
	if (end - p < (long)sizeof v3 || memcmp(p, v3, sizeof v3))
		return fail(e, "version: the bytes are not A0 03 02 01 02 (v3)");
	p += sizeof v3;
	if (next(&p, end, V_ASN1_INTEGER, V_ASN1_UNIVERSAL, 0, &el))
		return fail(e, "serial number: not an INTEGER");
	if (next(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, 1, &el))
		return fail(e, "signature algorithm (TBS): not a SEQUENCE");
	c->alg = el.start;
	c->alg_len = el.whole;
	static const char *const names[] = { "issuer", "validity", "subject" };
	for (int i = 0; i < 3; i++)
		if (next(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, 1, &el))
			return err_set(e, ERR_INPUT, "%s: not a SEQUENCE", names[i]);
	if (next(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, 1, &el))
		return fail(e, "subject public key info: not a SEQUENCE");
	c->spki = el.start;
	c->spki_len = el.whole;
	if (!next(&p, end, 1, V_ASN1_CONTEXT_SPECIFIC, 0, &el))
		(void)el; /* issuerUniqueID */
	if (!next(&p, end, 2, V_ASN1_CONTEXT_SPECIFIC, 0, &el))
		(void)el; /* subjectUniqueID */
	return parse_exts(p, end, c, e);
}

int tbbr_x509_parse(const uint8_t *der, size_t len, struct tbbr_x509 *c, struct err *e)
{
	const uint8_t *p = der, *end = der + len;
	struct elem cert, tbs, alg, bits;
	memset(c, 0, sizeof *c);
	if (next(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, 1, &cert) || p != end)
		return fail(e, "not one DER Certificate filling the whole entry");
	p = cert.body;
	end = cert.body + cert.len;
	if (next(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, 1, &tbs))
		return fail(e, "TBSCertificate: not a SEQUENCE");
	c->tbs = tbs.start;
	c->tbs_len = tbs.whole;
	int rc = parse_tbs(tbs.body, tbs.body + tbs.len, c, e);
	if (rc)
		return rc;
	if (next(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, 1, &alg))
		return fail(e, "signatureAlgorithm: not a SEQUENCE");
	if (alg.whole != c->alg_len || memcmp(alg.start, c->alg, alg.whole))
		return fail(e, "the two signature algorithm fields differ");
	if (next(&p, end, V_ASN1_BIT_STRING, V_ASN1_UNIVERSAL, 0, &bits) || p != end || bits.len < 2 ||
	    bits.body[0] != 0)
		return fail(e, "signatureValue: not a BIT STRING ending the certificate");
	c->sig = bits.body + 1;
	c->sig_len = bits.len - 1;
	return 0;
}

const struct tbbr_x509_ext *tbbr_x509_ext_find(const struct tbbr_x509 *c, const char *oid)
{
	for (size_t i = 0; i < c->next; i++)
		if (!strcmp(c->ext[i].oid, oid))
			return &c->ext[i];
	return NULL;
}

int tbbr_x509_alg_is_ecdsa_sha256(const struct tbbr_x509 *c)
{
	static const uint8_t alg[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
	return c->alg_len == sizeof alg && !memcmp(c->alg, alg, sizeof alg);
}
