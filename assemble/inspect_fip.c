#include "inspect_fip.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "common/fileio.h"
#include "common/hex.h"

int fip_file_is_fip(const char *path)
{
	int fd;
	uint64_t size;
	uint8_t head[4];
	if (file_open_regular(path, &fd, &size, NULL))
		return 0;
	long got = fd_read_full(fd, head, sizeof head);
	close(fd);
	return got == (long)sizeof head && fip_is_fip(head, sizeof head);
}

/* Printable ASCII only (a CN goes to a terminal). */
static void clean_copy(char *out, size_t outsz, const unsigned char *s, int n)
{
	size_t k = 0;
	for (int i = 0; i < n && k + 1 < outsz; i++)
		out[k++] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	out[k] = '\0';
}

static void subject_cn(X509 *x, char *out, size_t outsz)
{
	X509_NAME *name = X509_get_subject_name(x);
	int i = name ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
	unsigned char *utf8 = NULL;
	int n = i < 0 ? -1 : ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	out[0] = '\0';
	if (n >= 0)
		clean_copy(out, outsz, utf8, n);
	OPENSSL_free(utf8);
}

static void sig_alg(X509 *x, char *out, size_t outsz)
{
	const X509_ALGOR *alg = NULL;
	const ASN1_OBJECT *obj = NULL;
	int nid = X509_get_signature_nid(x);
	if (nid != NID_undef) {
		snprintf(out, outsz, "%s", OBJ_nid2ln(nid));
		return;
	}
	X509_get0_signature(NULL, &alg, x);
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	if (!obj || OBJ_obj2txt(out, (int)outsz, obj, 1) <= 0)
		snprintf(out, outsz, "unknown");
}

/* A -cert entry must be one whole DER certificate; a blob is shown as one
 * when it is. */
static void decode_cert(const struct fip_entry *en, struct fip_cert_info *c)
{
	const char *name = fip_uuid_name(en->uuid);
	size_t nl = name ? strlen(name) : 0;
	int named_cert = nl > 5 && !strcmp(name + nl - 5, "-cert");
	const unsigned char *p = en->data;
	memset(c, 0, sizeof *c);
	X509 *x = en->len <= (size_t)INT32_MAX ? d2i_X509(NULL, &p, (long)en->len) : NULL;
	size_t used = x ? (size_t)(p - en->data) : 0;
	if (x && used == en->len) {
		c->is_cert = 1;
		subject_cn(x, c->cn, sizeof c->cn);
		sig_alg(x, c->sig_alg, sizeof c->sig_alg);
	} else if (named_cert) {
		c->is_cert = c->bad = 1;
		if (x)
			snprintf(c->problem, sizeof c->problem, "%zu bytes after the DER certificate", en->len - used);
		else
			snprintf(c->problem, sizeof c->problem, "not a DER X.509 certificate");
	}
	X509_free(x);
}

int fip_view_load(const char *path, struct fip_view *v, struct err *e)
{
	memset(v, 0, sizeof *v);
	snprintf(v->path, sizeof v->path, "%s", path);
	int rc = file_read_all(path, FIP_FILE_MAX, &v->buf, &v->len, e);
	if (rc)
		return rc;
	rc = fip_parse(v->buf, v->len, v->e, FIP_VIEW_MAX, &v->n, e);
	if (rc) {
		err_prefix(e, "%s", path);
		fip_view_free(v);
		return rc;
	}
	fip_header(v->buf, &v->serial, &v->toc_flags);
	for (size_t i = 0; i < v->n; i++) {
		if (!EVP_Digest(v->e[i].data, v->e[i].len, v->sha256[i], NULL, EVP_sha256(), NULL)) {
			fip_view_free(v);
			return err_set(e, ERR_INTERNAL, "%s: SHA-256 failed", path);
		}
		decode_cert(&v->e[i], &v->cert[i]);
	}
	return 0;
}

void fip_view_free(struct fip_view *v)
{
	free(v->buf);
	v->buf = NULL;
	v->n = 0;
}

size_t fip_view_offset(const struct fip_view *v, size_t i)
{
	return (size_t)(v->e[i].data - v->buf);
}

int fip_view_bad_cert(const struct fip_view *v, struct err *e)
{
	char label[64];
	for (size_t i = 0; i < v->n; i++)
		if (v->cert[i].bad)
			return err_set(e, ERR_INPUT, "%s: FIP entry %zu (%s): %s", v->path, i,
				       fip_entry_label(v->e[i].uuid, label, sizeof label), v->cert[i].problem);
	return 0;
}

void fip_view_print(FILE *out, const struct fip_view *v)
{
	fprintf(out, "%s\n", v->path);
	fprintf(out, "  Format:            TF-A FIP (ToC name 0x%08x, serial 0x%08x, flags 0x%llx)\n",
		FIP_TOC_NAME, v->serial, (unsigned long long)v->toc_flags);
	fprintf(out, "  Entries:           %zu\n", v->n);
	fprintf(out, "  %-3s %-22s %-10s %-10s %s\n", "#", "name", "offset", "size", "SHA-256");
	for (size_t i = 0; i < v->n; i++) {
		char label[64], hex[65];
		const struct fip_cert_info *c = &v->cert[i];
		hex_encode(v->sha256[i], 32, hex);
		fprintf(out, "  %-3zu %-22s 0x%-8zx 0x%-8zx %s\n", i, fip_entry_label(v->e[i].uuid, label, sizeof label),
			fip_view_offset(v, i), v->e[i].len, hex);
		if (c->bad)
			fprintf(out, "        certificate: MALFORMED: %s\n", c->problem);
		else if (c->is_cert)
			fprintf(out, "        certificate: CN \"%s\", %s\n", c->cn, c->sig_alg);
	}
}

static json_object *entry_json(const struct fip_view *v, size_t i)
{
	char text[37], hex[65];
	const char *name = fip_uuid_name(v->e[i].uuid);
	const struct fip_cert_info *c = &v->cert[i];
	json_object *o = json_object_new_object();
	fip_uuid_format(v->e[i].uuid, text);
	hex_encode(v->sha256[i], 32, hex);
	json_object_object_add(o, "name", json_object_new_string(name ? name : "blob"));
	json_object_object_add(o, "uuid", json_object_new_string(text));
	json_object_object_add(o, "offset", json_object_new_int64((int64_t)fip_view_offset(v, i)));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)v->e[i].len));
	json_object_object_add(o, "flags", json_object_new_int64((int64_t)v->e[i].flags));
	json_object_object_add(o, "sha256", json_object_new_string(hex));
	if (c->is_cert) {
		json_object *k = json_object_new_object();
		if (c->bad) {
			json_object_object_add(k, "error", json_object_new_string(c->problem));
		} else {
			json_object_object_add(k, "subject_cn", json_object_new_string(c->cn));
			json_object_object_add(k, "signature_algorithm", json_object_new_string(c->sig_alg));
		}
		json_object_object_add(o, "certificate", k);
	}
	return o;
}

json_object *fip_view_json(const struct fip_view *v)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array();
	json_object_object_add(o, "file", json_object_new_string(v->path));
	json_object_object_add(o, "format", json_object_new_string("fip"));
	json_object_object_add(o, "toc_serial", json_object_new_int64(v->serial));
	json_object_object_add(o, "toc_flags", json_object_new_int64((int64_t)v->toc_flags));
	for (size_t i = 0; i < v->n; i++)
		json_object_array_add(arr, entry_json(v, i));
	json_object_object_add(o, "entries", arr);
	return o;
}
