/* TF-A's trusted-boot chains (TBBR "chain of trust") as data: per chain, the
 * certificates cert_create makes, each with its signing key role, subject CN
 * and its extensions in order (OIDs of TF-A's include/tools_share/tbbr_oid.h
 * and ST's stm32mp cfg certificate). Code reads rows; it never asks which
 * chip it is. */
#ifndef TBBR_COT_H
#define TBBR_COT_H

#include <stddef.h>
#include <stdint.h>

/* Key roles (cert_create's --rot-key, --trusted-world-key, ...). */
enum tbbr_key {
	TBBR_KEY_ROOT,
	TBBR_KEY_TW,
	TBBR_KEY_NTW,
	TBBR_KEY_TOS,
	TBBR_KEY_NT,
	TBBR_KEY_SOC,
	TBBR_NKEYS,
};

/* Images a certificate may hash (cert_create's --tos-fw, --nt-fw, ...). */
enum tbbr_img {
	TBBR_IMG_BL31,
	TBBR_IMG_BL32,
	TBBR_IMG_BL32_EXTRA1,
	TBBR_IMG_BL32_EXTRA2,
	TBBR_IMG_BL33,
	TBBR_IMG_HW_CONFIG,
	TBBR_IMG_FW_CONFIG,
	TBBR_IMG_SOC_FW_CONFIG,
	TBBR_IMG_TOS_FW_CONFIG,
	TBBR_IMG_NT_FW_CONFIG,
	TBBR_IMG_DDR_FW,
	TBBR_NIMAGES,
};

enum tbbr_counter { TBBR_NV_TRUSTED, TBBR_NV_NON_TRUSTED, TBBR_NCOUNTERS };

enum tbbr_ext_kind {
	TBBR_EXT_NVCTR, /* INTEGER: the counter of arg (enum tbbr_counter) */
	TBBR_EXT_PK,    /* SubjectPublicKeyInfo of the key of arg (enum tbbr_key) */
	TBBR_EXT_HASH,  /* DigestInfo{sha256, hash of image arg (enum tbbr_img)} */
};

struct tbbr_ext {
	const char *oid;
	enum tbbr_ext_kind kind;
	int arg;
	int optional; /* an absent image: cert_create writes a hash of zeros */
};

#define TBBR_MAX_EXTS 5
#define TBBR_MAX_CERTS 8

struct tbbr_cert {
	const char *name;       /* file name without .crt, as in the vectors: "trusted_key" */
	const char *cn;         /* subject and issuer CN (cert_create's certificates are self-issued) */
	enum tbbr_key signer;   /* the key that signs it, also its subject public key */
	const char *fip_name;   /* fiptool's option/name, or NULL: a blob with fip_uuid */
	const char *fip_uuid;   /* blob UUID when fip_name is NULL */
	struct tbbr_ext ext[TBBR_MAX_EXTS];
};

struct tbbr_chain {
	const char *name;                  /* "stm32mp1", "stm32mp2", "tbbr" (cert_create generic) */
	const char *socs[4];               /* --soc values that select it */
	const struct tbbr_cert *certs[TBBR_MAX_CERTS];
	size_t ncerts;
};

/* The chain of a --soc value (or a chain name), or NULL. */
const struct tbbr_chain *tbbr_chain_find(const char *soc);
/* Every chain, NULL-terminated by index (i past the last: NULL). */
const struct tbbr_chain *tbbr_chain_at(size_t i);
/* A certificate of the chain by name, or NULL. */
const struct tbbr_cert *tbbr_chain_cert(const struct tbbr_chain *c, const char *name);
/* Does the chain use this key role / image (some certificate names it)? And
 * is that image required (a non-optional extension hashes it)? */
int tbbr_chain_uses_key(const struct tbbr_chain *c, enum tbbr_key k);
int tbbr_chain_uses_image(const struct tbbr_chain *c, enum tbbr_img i, int *required);
/* The certificate whose PK extension carries key k (the parent of the
 * certificates that key signs), or NULL (the root key). */
const struct tbbr_cert *tbbr_chain_key_holder(const struct tbbr_chain *c, enum tbbr_key k);

/* Names used on the command line and in documents: "root", "trusted-world",
 * "non-trusted-world", "tos", "nt", "soc"; images "bl31", "bl32", "bl33",
 * "hw-config", ...; counters "trusted", "non-trusted". -1 when unknown. */
const char *tbbr_key_name(enum tbbr_key k);
int tbbr_key_from_name(const char *name);
const char *tbbr_img_name(enum tbbr_img i);
int tbbr_img_from_name(const char *name);
/* fiptool's name of the image's FIP entry ("tos-fw", ..., ST's "ddr-fw"). */
const char *tbbr_img_fip_name(enum tbbr_img i);
/* Does stm32-assemble pack it into the FIP with the certificates? (Not the
 * DDR firmware: ST's MP2x build gives it a DDR-only FIP; its hash is still
 * in the cfg certificate.) */
int tbbr_img_packed(enum tbbr_img i);
const char *tbbr_counter_name(enum tbbr_counter c);

#endif
