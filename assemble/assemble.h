/* Injecting signatures into prepared images and verifying each finished
 * image as the ROM will, before anything reaches its final name. */
#ifndef ASSEMBLE_ASSEMBLE_H
#define ASSEMBLE_ASSEMBLE_H

#include "common/fileio.h"
#include "image/verify.h"
#include "manifest/sigdoc.h"

struct asm_item {
	const struct mf_image *im;
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

#endif
