/* The chain verdict of stm32-inspect on a FIP: the certificate set it holds
 * (the chain row whose certificates are all there, the largest first),
 * checked with tbbr_chain_check against the FIP's own images, the OTP value
 * and, with --fsbl, the signed FSBL header whose key table holds the root key. */
#include <string.h>

#include "image/digest.h"
#include "image/verify.h"
#include "inspect_fip.h"
#include "tbbr/chain.h"

static int cert_uuid(const struct tbbr_cert *ce, uint8_t uuid[FIP_UUID_LEN])
{
	return ce->fip_name ? fip_name_uuid(ce->fip_name, uuid) : fip_uuid_parse(ce->fip_uuid, uuid);
}

static const struct fip_entry *find_uuid(const struct fip_view *v, const uint8_t uuid[FIP_UUID_LEN], size_t *at)
{
	for (size_t i = 0; i < v->n; i++)
		if (!memcmp(v->e[i].uuid, uuid, FIP_UUID_LEN))
			return *at = i, &v->e[i];
	return NULL;
}

/* The chain whose certificates are all in the FIP (the largest such row);
 * else the one with most present, so that the verdict names what is missing. */
static const struct tbbr_chain *pick_chain(const struct fip_view *v, size_t *present)
{
	const struct tbbr_chain *best = NULL, *c;
	size_t best_n = 0, at;
	int best_full = 0;
	for (size_t r = 0; (c = tbbr_chain_at(r)); r++) {
		size_t n = 0;
		uint8_t u[FIP_UUID_LEN];
		for (size_t i = 0; i < c->ncerts; i++)
			n += !cert_uuid(c->certs[i], u) && find_uuid(v, u, &at);
		int full = n == c->ncerts;
		if (n && (full > best_full || (full == best_full && n > best_n)))
			best = c, best_n = n, best_full = full;
	}
	*present = best_n;
	return best;
}

static void fill(const struct fip_view *v, struct tbbr_check *k)
{
	size_t at;
	uint8_t u[FIP_UUID_LEN];
	for (size_t i = 0; i < k->chain->ncerts; i++)
		if (!cert_uuid(k->chain->certs[i], u) && find_uuid(v, u, &at)) {
			k->der[i] = v->e[at].data;
			k->len[i] = v->e[at].len;
		}
	for (int img = 0; img < TBBR_NIMAGES; img++) {
		const char *name = tbbr_img_fip_name((enum tbbr_img)img);
		if (name && !fip_name_uuid(name, u) && find_uuid(v, u, &at)) {
			memcpy(k->hash[img], v->sha256[at], 32);
			k->have_image |= 1u << img;
		}
	}
}

/* The FSBL is believed only as far as the ROM would boot it. */
static int load_fsbl(const char *path, const uint8_t *otp, struct stm32_image *img, struct err *e)
{
	struct image_file f;
	struct image_sums sums;
	struct rom_verdict rv;
	int rc = image_file_open(path, &f, e);
	if (!rc && !(rc = stm32_file_sums(f.fd, &f.img, f.hdr, &sums, e))) {
		stm32_rom_verify(&f.img, &sums, otp, &rv);
		*img = f.img;
		if (!rv.ok)
			rc = err_set(e, ERR_VERIFY, "the FSBL %s does not boot: check %s: %s", path,
				     rom_check_name(rv.first_failed), rv.msg[rv.first_failed]);
	}
	image_file_close(&f);
	return rc;
}

/* Images a certificate hashes that the FIP does not carry: their hash is
 * not checked here (BL2 checks it where it loads them from). */
static void absent_images(const struct tbbr_check *k, char *out, size_t n)
{
	size_t o = 0;
	out[0] = '\0';
	for (int img = 0; img < TBBR_NIMAGES; img++) {
		int required;
		if (!(k->have_image & (1u << img)) && tbbr_chain_uses_image(k->chain, (enum tbbr_img)img, &required) &&
		    required && o < n)
			o += (size_t)snprintf(out + o, n - o, "%s%s", o ? ", " : "", tbbr_img_name((enum tbbr_img)img));
	}
}

static void report(const struct tbbr_check *k, int rc, const struct err *e, const struct fip_chain_opts *o,
		   FILE *text, json_object *obj)
{
	const char *chain = k->chain->name;
	char absent[160];
	absent_images(k, absent, sizeof absent);
	if (text && absent[0])
		fprintf(text, "  Not in the FIP:    %s (its hash is not checked here)\n", absent);
	if (text) {
		fprintf(text, "  Chain:             %s %s%s\n", chain, rc ? "REJECTED: " : "holds",
			rc ? e->msg : "");
		if (!rc)
			fprintf(text, "  Root key:          %s\n", o->fsbl ? "pk_hashes[pk_idx] of the FSBL header, table = OTP"
						: o->otp ? "SHA-256(X || Y) = OTP (MP15 rule)" : "not checked (no --otp, no --fsbl)");
		if (rc && o->explain)
			fprintf(text, "  Explain:           BL2 stops at the first certificate or hash above; "
				      "the certificates before it verified\n");
	}
	if (obj) {
		json_object *c = json_object_new_object();
		json_object_object_add(c, "checked", json_object_new_boolean(1));
		json_object_object_add(c, "chain", json_object_new_string(chain));
		json_object_object_add(c, "ok", json_object_new_boolean(!rc));
		if (rc)
			json_object_object_add(c, "error", json_object_new_string(e->msg));
		if (absent[0])
			json_object_object_add(c, "not_in_fip", json_object_new_string(absent));
		json_object_object_add(obj, "chain", c);
	}
}

int fip_chain_verdict(const struct fip_view *v, const struct fip_chain_opts *o, FILE *text,
		      json_object *obj)
{
	struct tbbr_check k;
	struct stm32_image fsbl;
	struct err e = { 0 };
	size_t present;
	memset(&k, 0, sizeof k);
	if (!(k.chain = pick_chain(v, &present))) {
		if (text)
			fprintf(text, "  Chain:             not checked (no TF-A certificates)\n");
		if (obj) {
			json_object *c = json_object_new_object();
			json_object_object_add(c, "checked", json_object_new_boolean(0));
			json_object_object_add(obj, "chain", c);
		}
		return 0;
	}
	if (fip_view_bad_cert(v, &e)) { /* the listing reports it */
		if (text)
			fprintf(text, "  Chain:             not checked (a certificate entry is malformed)\n");
		return 0;
	}
	fill(v, &k);
	k.otp = o->otp;
	int rc = o->fsbl ? load_fsbl(o->fsbl, o->otp, &fsbl, &e) : 0;
	k.fsbl = o->fsbl ? &fsbl : NULL;
	if (!rc)
		rc = tbbr_chain_check(&k, &e);
	report(&k, rc, &e, o, text, obj);
	return rc;
}
