/* stm32-inspect on a TF-A FIP: the entries (fiptool's names, offsets, sizes,
 * SHA-256) and, for certificates, the subject CN and signature algorithm.
 * The chain verdict is one hook, fip_chain_verdict (assemble/inspect_chain.c). */
#ifndef ASSEMBLE_INSPECT_FIP_H
#define ASSEMBLE_INSPECT_FIP_H

#include <stdio.h>

#include <json-c/json.h>

#include "common/err.h"
#include "tbbr/fip.h"

#define FIP_VIEW_MAX 64          /* entries */
#define FIP_FILE_MAX (64u << 20) /* bytes */

struct fip_cert_info {
	int is_cert;        /* a -cert entry, or a blob that is one whole DER certificate */
	int bad;            /* a -cert entry that is not one whole DER X.509 certificate */
	char cn[128];       /* subject CN ("" when none) */
	char sig_alg[64];   /* "ecdsa-with-SHA256" */
	char problem[128];  /* why bad */
};

struct fip_view {
	char path[4096];
	uint8_t *buf;
	size_t len;
	uint32_t serial;
	uint64_t toc_flags;
	size_t n;
	struct fip_entry e[FIP_VIEW_MAX];
	uint8_t sha256[FIP_VIEW_MAX][32];
	struct fip_cert_info cert[FIP_VIEW_MAX];
};

/* 1 when the file starts with the FIP ToC name; 0 otherwise (or unreadable:
 * the image path then reports it). */
int fip_file_is_fip(const char *path);
/* Read and parse (fip_parse) a FIP file, hash each entry, decode certificates. */
int fip_view_load(const char *path, struct fip_view *v, struct err *e);
void fip_view_free(struct fip_view *v);
/* Offset of entry i in the file. */
size_t fip_view_offset(const struct fip_view *v, size_t i);
/* The first malformed certificate entry as an error (ERR_INPUT), or 0. */
int fip_view_bad_cert(const struct fip_view *v, struct err *e);
void fip_view_print(FILE *out, const struct fip_view *v);
json_object *fip_view_json(const struct fip_view *v);

/* THE hook for the chain verdict (issue 15's chain check: root key hash
 * against the OTP value or a signed FSBL's key table, each signature with the
 * parent certificate's key, every image hash, the NV counters; --explain
 * names the certificate or hash that breaks it). Prints to text (when not
 * NULL) or adds "chain" to obj (when not NULL); returns the exit code:
 * 0 when the chain holds or nothing was checked, ERR_VERIFY when it breaks. */
struct fip_chain_opts {
	const uint8_t *otp; /* 32 bytes, or NULL */
	int explain;
	const char *fsbl;   /* --fsbl: the signed FSBL whose key table holds the root key, or NULL */
};
int fip_chain_verdict(const struct fip_view *v, const struct fip_chain_opts *o, FILE *text,
		      json_object *obj);

#endif
