/* Injecting signatures into prepared images and verifying each finished
 * image as the ROM will, before anything reaches its final name. */
#ifndef ASSEMBLE_ASSEMBLE_H
#define ASSEMBLE_ASSEMBLE_H

#include "common/fileio.h"
#include "image/verify.h"
#include "manifest/sigdoc.h"

struct asm_item {
	const struct mf_image *im;
	struct mf_image own;  /* a FIP's item: im points here (id, file) */
	const struct sig_entry *sig;
	char input[4096];
	char output[4096];
	struct atomic_file af;
	struct rom_verdict verdict;
	int encrypted;       /* the finished image carries the FSBL decryption extension */
	uint32_t dc;         /* its derivation constant */
	int ok;              /* verified, and not refused since */
	int verified;        /* the finished image passed every check */
	int written;         /* and is at its final name */
	struct err err;      /* what failed, naming the image and the check */
	int has_img;         /* a verified STM32 image: its header (a FIP's root key is in its table) */
	struct stm32_image img;
	uint8_t *cert;       /* a TF-A certificate: the DER written */
	size_t cert_len;
	int nofile;          /* verified, but nothing to write */
};

struct asm_opts {
	const char *manifest, *signatures, *out_dir;
	int has_otp;
	uint8_t otp[32];
	int keep_going, json, quiet;
};

/* Checks that apply to the documents as a whole: same manifest, complete,
 * one signature per image and no other. Fills err on the first problem. */
int asm_check_documents(const struct manifest *m, const struct sigdoc *d, const char *mpath,
			const char *spath, struct err *e);
/* The bindings of one image, before its file is touched. */
int asm_check_bindings(struct asm_item *it, const char *mdir, struct err *e);
/* Copy with the signature injected into a temp file, then verify that file. */
int asm_build(struct asm_item *it, const struct asm_opts *o, struct err *e);

/* kind tbbr-cert: the certificate (TBS, ecdsa-with-SHA256, the DER of the
 * signature) into a temp file at it->output, kept in it->cert. */
int asm_build_cert(struct asm_item *it, struct err *e);
/* The output name of a certificate: CERT.crt for FIP "fip", else FIP.CERT.crt. */
int asm_cert_output(const char *dir, const struct mf_image *im, char *out, size_t n);
/* A FIP of the manifest: its certificates (already built) checked as BL2
 * does against its images and the release's FSBL, then the FIP written to a
 * temp file at fit->output. items: the manifest's images. */
int asm_fip(struct asm_item *items, size_t n, struct asm_item *fit, const struct mf_fip *f,
	    const struct asm_opts *o, const char *mdir, struct err *e);

#endif
