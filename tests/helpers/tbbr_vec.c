#include "tbbr_vec.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "testutil.h"

static const char *const key_files[TBBR_NKEYS] = { "rot", "tw", "ntw", "tos", "nt", "soc" };
static const char *const img_files[TBBR_NIMAGES] = {
	[TBBR_IMG_BL31] = "bl31.bin", [TBBR_IMG_BL32] = "bl32.bin", [TBBR_IMG_BL33] = "bl33.bin",
	[TBBR_IMG_HW_CONFIG] = "hw.dtb", [TBBR_IMG_FW_CONFIG] = "fwcfg.dtb",
	[TBBR_IMG_SOC_FW_CONFIG] = "socfwcfg.dtb", [TBBR_IMG_DDR_FW] = "ddr_fw.bin",
};

void tbbr_vec_values_from(const char *keys, const char *images, uint32_t nv, struct tbbr_values *v)
{
	memset(v, 0, sizeof *v);
	char path[4096];
	struct err e = { 0 };
	for (int k = 0; k < TBBR_NKEYS; k++) {
		snprintf(path, sizeof path, "%s/%s.pub.pem", keys, key_files[k]);
		if (!file_exists(path))
			snprintf(path, sizeof path, "%s/%s.pem", keys, key_files[k]);
		cr_assert_eq(pubkey_load_file(path, &v->key[k], &e), 0, "%s", e.msg);
		v->have_key |= 1u << k;
	}
	for (int i = 0; i < TBBR_NIMAGES; i++) {
		if (!img_files[i])
			continue;
		snprintf(path, sizeof path, "%s/%s", images, img_files[i]);
		size_t len;
		uint8_t *b = read_file(path, &len);
		cr_assert(b, "%s", path);
		sha256(b, len, v->hash[i]);
		free(b);
		v->have_image |= 1u << i;
	}
	v->nv[TBBR_NV_TRUSTED] = v->nv[TBBR_NV_NON_TRUSTED] = nv;
}

void tbbr_vec_values(const char *dir, uint32_t nv, struct tbbr_values *v)
{
	char k[4096], i[4096];
	snprintf(k, sizeof k, "%s/keys", dir);
	snprintf(i, sizeof i, "%s/images", dir);
	tbbr_vec_values_from(k, i, nv, v);
}

static int64_t asn1_seconds(const ASN1_TIME *t)
{
	struct tm tm;
	cr_assert(ASN1_TIME_to_tm(t, &tm));
	return (int64_t)timegm(&tm);
}

void tbbr_vec_read_cert(const char *path, struct tbbr_vec_cert *c)
{
	memset(c, 0, sizeof *c);
	c->der = read_file(path, &c->der_len);
	cr_assert(c->der, "%s", path);
	const uint8_t *p = c->der;
	X509 *x = d2i_X509(NULL, &p, (long)c->der_len);
	cr_assert(x, "%s: not a certificate", path);
	/* The TBS as stored: the first element of the outer SEQUENCE. */
	long len;
	int tag, cls;
	p = c->der;
	ASN1_get_object(&p, &len, &tag, &cls, (long)c->der_len);
	c->tbs = p;
	const uint8_t *q = p;
	ASN1_get_object(&q, &len, &tag, &cls, (long)c->der_len);
	c->tbs_len = (size_t)(q - p) + (size_t)len;
	const ASN1_BIT_STRING *sig;
	X509_get0_signature(&sig, NULL, x);
	c->sig = c->der + c->der_len - (size_t)ASN1_STRING_length(sig);
	c->sig_len = (size_t)ASN1_STRING_length(sig);
	cr_assert(!memcmp(c->sig, ASN1_STRING_get0_data(sig), c->sig_len));
	c->stamp.not_before = asn1_seconds(X509_get0_notBefore(x));
	c->stamp.not_after = asn1_seconds(X509_get0_notAfter(x));
	c->stamp.has_serial = 1;
	cr_assert(ASN1_INTEGER_get_uint64(&c->stamp.serial, X509_get0_serialNumber(x)));
	X509_free(x);
}

void tbbr_vec_cert_free(struct tbbr_vec_cert *c)
{
	free(c->der);
	memset(c, 0, sizeof *c);
}
