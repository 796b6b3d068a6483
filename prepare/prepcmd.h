#ifndef PREPARE_PREPCMD_H
#define PREPARE_PREPCMD_H

#include "prep.h"

struct prep_opts {
	struct prep_spec spec;
	struct prep_keyset keyset;  /* --pubkey files */
	const struct stm32_soc *soc;
	int has_key_index;
	int has_dc;                 /* --derivation-constant given */
	const char *output, *manifest, *release, *out_dir;
	int json, quiet;
	char **args;
	int nargs;
	/* stm32-prep fip */
	const char *fip_keys[16], *fip_images[24];
	int nfip_keys, nfip_images;
	int has_nv[3];              /* --nv-counter, --nv-trusted, --nv-non-trusted */
	uint32_t nv[3];
};

int cmd_single(struct prep_opts *o);
int cmd_release(struct prep_opts *o);
int cmd_keys(struct prep_opts *o);
int cmd_fip(struct prep_opts *o);

/* The warning for a v2.x table of fewer than 8 keys (stderr). */
void prep_warn_short_table(const char *id, const struct stm32_image *img, int quiet);

/* Every warning about a prepared image: the library's (r->warn), then the
 * short table. The OEM secret warning is printed even with -q. */
void prep_warn(const char *id, const struct prep_result *r, int quiet);

/* Print an error as "stm32-prep: message" (kept for --json) and return its code. */
int prep_fail(const struct err *e);
/* One prepared image as a JSON object (the schema of docs/formats.md). */
struct json_object;
struct json_object *prep_result_json(const char *id, const char *file, const struct prep_result *r);

#endif
