#include "review.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "common/hex.h"
#include "common/uri.h"
#include "policy.h"

/* What the signer checks itself, and what only stm32-assemble can bind to
 * the prepared image. */
static const char *const checked_here[] = { "digest", "key_uri", "public_key", "policy", NULL };
static const char *const checked_by_assembler[] = { "file", "header", "binary_type", "image_version",
						    "load", "entry", "segments", "key_index",
						    "table_hash", NULL };

static void list_text(const char *title, const char *const *names)
{
	printf("%s:", title);
	for (size_t i = 0; names[i]; i++)
		printf("%s%s", i ? ", " : " ", names[i]);
	printf("\n");
}

static void keys_text(const struct manifest *m, const struct signer_conf *c)
{
	char shown[MF_URI_MAX + 16], pol[512];
	printf("\nKeys (signer configuration: %s):\n", c->path[0] ? c->path : "none");
	for (size_t i = 0; i < m->n; i++) {
		const char *uri = m->images[i].key_uri;
		size_t first = 0;
		while (first < i && strcmp(m->images[first].key_uri, uri))
			first++;
		if (first < i)
			continue;
		const struct key_conf *kc = signer_conf_find(c, uri);
		uri_redact(uri, shown, sizeof shown);
		if (kc)
			policy_describe(&kc->policy, pol, sizeof pol);
		printf("  %s: %s%s\n", shown, kc ? "configured; policy: " : "not configured",
		       kc ? pol : "");
	}
}

void review_text(const struct manifest *m, const struct signer_conf *c)
{
	char hex[2 * ECC_DIGEST_MAX + 1], uri[MF_URI_MAX + 16];
	printf("Release %s: %zu image(s) to sign\n", m->release[0] ? m->release : "(unnamed)", m->n);
	printf("%-24s %-36s %-4s %-5s %-7s %-8s %-64s %s\n", "ID", "FILE", "HDR", "TYPE", "VERSION",
	       "KEY IDX", "DIGEST", "KEY");
	for (size_t i = 0; i < m->n; i++) {
		const struct mf_image *im = &m->images[i];
		hex_encode(im->digest, mf_digest_len(im), hex);
		uri_redact(im->key_uri, uri, sizeof uri);
		if (im->kind == MF_KIND_TBBR_CERT)
			printf("%-24s %-36s TF-A certificate %s of FIP %s, %s key%s %s %s\n", im->id, im->file,
			       im->cert, im->fip, im->role, im->has_key_index ? " (FSBL key table slot)" : "", hex,
			       uri);
		else
			printf("%-24s %-36s %-4s 0x%02x  %-7u %-8u %s %s\n", im->id, im->file, im->header,
			       im->binary_type, im->image_version, im->key_index, hex, uri);
	}
	keys_text(m, c);
	printf("\n");
	list_text("Checked here before signing", checked_here);
	list_text("Not checkable here (this host never sees the image; stm32-assemble binds them to "
		  "the prepared file)", checked_by_assembler);
}

static json_object *names_json(const char *const *names)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; names[i]; i++)
		json_object_array_add(a, json_object_new_string(names[i]));
	return a;
}

static json_object *image_json(const struct mf_image *im, const struct signer_conf *c)
{
	char hex[2 * ECC_DIGEST_MAX + 1], uri[MF_URI_MAX + 16], pol[512];
	json_object *o = json_object_new_object();
	hex_encode(im->digest, mf_digest_len(im), hex);
	uri_redact(im->key_uri, uri, sizeof uri);
	const struct key_conf *kc = signer_conf_find(c, im->key_uri);
	json_object_object_add(o, "id", json_object_new_string(im->id));
	json_object_object_add(o, "file", json_object_new_string(im->file));
	if (im->kind == MF_KIND_TBBR_CERT) {
		json_object_object_add(o, "kind", json_object_new_string("tbbr-cert"));
		json_object_object_add(o, "certificate", json_object_new_string(im->cert));
		json_object_object_add(o, "role", json_object_new_string(im->role));
		json_object_object_add(o, "fip", json_object_new_string(im->fip));
	}
	json_object_object_add(o, "header", json_object_new_string(im->header));
	json_object_object_add(o, "binary_type", json_object_new_int64(im->binary_type));
	json_object_object_add(o, "image_version", json_object_new_int64(im->image_version));
	if (im->has_addresses) {
		json_object_object_add(o, "load", json_object_new_int64(im->load));
		json_object_object_add(o, "entry", json_object_new_int64(im->entry));
	}
	json_object_object_add(o, "algorithm", json_object_new_string(ecc_algo_name(im->key.algo)));
	json_object_object_add(o, "key_index", json_object_new_int64(im->key_index));
	json_object_object_add(o, "digest", json_object_new_string(hex));
	json_object_object_add(o, "key_uri", json_object_new_string(uri));
	json_object_object_add(o, "key_configured", json_object_new_boolean(kc != NULL));
	if (kc) {
		policy_describe(&kc->policy, pol, sizeof pol);
		json_object_object_add(o, "policy", json_object_new_string(pol));
	}
	return o;
}

void review_json(const struct manifest *m, const struct signer_conf *c)
{
	json_object *o = json_object_new_object(), *imgs = json_object_new_array();
	json_object_object_add(o, "release", json_object_new_string(m->release));
	json_object_object_add(o, "signer_config", c->path[0] ? json_object_new_string(c->path) : NULL);
	for (size_t i = 0; i < m->n; i++)
		json_object_array_add(imgs, image_json(&m->images[i], c));
	json_object_object_add(o, "images", imgs);
	json_object_object_add(o, "checked_here", names_json(checked_here));
	json_object_object_add(o, "checked_by_assembler", names_json(checked_by_assembler));
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}
