#include "cot.h"

#include <string.h>

/* OIDs: TF-A include/tools_share/tbbr_oid.h; ST's DDR firmware hash. */
#define OID_TFW_NVCTR "1.3.6.1.4.1.4128.2100.1"
#define OID_NTFW_NVCTR "1.3.6.1.4.1.4128.2100.2"
#define OID_HW_CONFIG_HASH "1.3.6.1.4.1.4128.2100.203"
#define OID_FW_CONFIG_HASH "1.3.6.1.4.1.4128.2100.204"
#define OID_TW_PK "1.3.6.1.4.1.4128.2100.302"
#define OID_NTW_PK "1.3.6.1.4.1.4128.2100.303"
#define OID_SOC_CONTENT_PK "1.3.6.1.4.1.4128.2100.501"
#define OID_SOC_AP_FW_HASH "1.3.6.1.4.1.4128.2100.603"
#define OID_SOC_FW_CONFIG_HASH "1.3.6.1.4.1.4128.2100.604"
#define OID_TOS_CONTENT_PK "1.3.6.1.4.1.4128.2100.901"
#define OID_TOS_FW_HASH "1.3.6.1.4.1.4128.2100.1001"
#define OID_TOS_FW_EXTRA1_HASH "1.3.6.1.4.1.4128.2100.1002"
#define OID_TOS_FW_EXTRA2_HASH "1.3.6.1.4.1.4128.2100.1003"
#define OID_TOS_FW_CONFIG_HASH "1.3.6.1.4.1.4128.2100.1004"
#define OID_NT_CONTENT_PK "1.3.6.1.4.1.4128.2100.1101"
#define OID_NT_FW_HASH "1.3.6.1.4.1.4128.2100.1201"
#define OID_NT_FW_CONFIG_HASH "1.3.6.1.4.1.4128.2100.1202"
#define OID_STM32MP_DDR_FW_HASH "1.3.6.1.4.1.4128.2300.1"

#define NV_T { OID_TFW_NVCTR, TBBR_EXT_NVCTR, TBBR_NV_TRUSTED, 0 }
#define NV_NT { OID_NTFW_NVCTR, TBBR_EXT_NVCTR, TBBR_NV_NON_TRUSTED, 0 }
#define PK(oid, k) { oid, TBBR_EXT_PK, k, 0 }
#define HASH(oid, i) { oid, TBBR_EXT_HASH, i, 0 }
#define HASH_OPT(oid, i) { oid, TBBR_EXT_HASH, i, 1 }

#define CFG_UUID "501d8dd2-8bce-49a5-84eb-559a9f2eaeaf"

static const struct tbbr_cert trusted_key = {
	"trusted_key", "Trusted Key Certificate", TBBR_KEY_ROOT, "trusted-key-cert", NULL,
	{ NV_T, PK(OID_TW_PK, TBBR_KEY_TW), PK(OID_NTW_PK, TBBR_KEY_NTW) },
};
static const struct tbbr_cert tos_fw_key = {
	"tos_fw_key", "Trusted OS Firmware Key Certificate", TBBR_KEY_TW, "tos-fw-key-cert", NULL,
	{ NV_T, PK(OID_TOS_CONTENT_PK, TBBR_KEY_TOS) },
};
static const struct tbbr_cert tos_fw_content = {
	"tos_fw_content", "Trusted OS Firmware Content Certificate", TBBR_KEY_TOS, "tos-fw-cert", NULL,
	{ NV_T, HASH(OID_TOS_FW_HASH, TBBR_IMG_BL32), HASH_OPT(OID_TOS_FW_EXTRA1_HASH, TBBR_IMG_BL32_EXTRA1),
	  HASH_OPT(OID_TOS_FW_EXTRA2_HASH, TBBR_IMG_BL32_EXTRA2),
	  HASH_OPT(OID_TOS_FW_CONFIG_HASH, TBBR_IMG_TOS_FW_CONFIG) },
};
static const struct tbbr_cert nt_fw_key = {
	"nt_fw_key", "Non-Trusted Firmware Key Certificate", TBBR_KEY_NTW, "nt-fw-key-cert", NULL,
	{ NV_NT, PK(OID_NT_CONTENT_PK, TBBR_KEY_NT) },
};
static const struct tbbr_cert nt_fw_content = {
	"nt_fw_content", "Non-Trusted Firmware Content Certificate", TBBR_KEY_NT, "nt-fw-cert", NULL,
	{ NV_NT, HASH(OID_NT_FW_HASH, TBBR_IMG_BL33), HASH_OPT(OID_NT_FW_CONFIG_HASH, TBBR_IMG_NT_FW_CONFIG) },
};
static const struct tbbr_cert soc_fw_key = {
	"soc_fw_key", "SoC Firmware Key Certificate", TBBR_KEY_TW, "soc-fw-key-cert", NULL,
	{ NV_T, PK(OID_SOC_CONTENT_PK, TBBR_KEY_SOC) },
};
static const struct tbbr_cert soc_fw_content = {
	"soc_fw_content", "SoC Firmware Content Certificate", TBBR_KEY_SOC, "soc-fw-cert", NULL,
	{ NV_T, HASH(OID_SOC_AP_FW_HASH, TBBR_IMG_BL31), HASH(OID_SOC_FW_CONFIG_HASH, TBBR_IMG_SOC_FW_CONFIG) },
};
/* ST's cfg certificate (TF-A stm32mp1 cot): the DTBs BL2 loads; on MP2x
 * also the DDR firmware. */
static const struct tbbr_cert stm32mp1_cfg = {
	"stm32mp_cfg_cert", "STM32MP config FW Certificate", TBBR_KEY_ROOT, NULL, CFG_UUID,
	{ NV_T, HASH(OID_HW_CONFIG_HASH, TBBR_IMG_HW_CONFIG), HASH(OID_FW_CONFIG_HASH, TBBR_IMG_FW_CONFIG) },
};
static const struct tbbr_cert stm32mp2_cfg = {
	"stm32mp_cfg_cert", "STM32MP config FW Certificate", TBBR_KEY_ROOT, NULL, CFG_UUID,
	{ NV_T, HASH(OID_HW_CONFIG_HASH, TBBR_IMG_HW_CONFIG), HASH(OID_FW_CONFIG_HASH, TBBR_IMG_FW_CONFIG),
	  HASH(OID_STM32MP_DDR_FW_HASH, TBBR_IMG_DDR_FW) },
};

/* Certificates in cert_create's order of creation (and fiptool's table order
 * for the FIP; the cfg certificate, a blob, goes last there). */
static const struct tbbr_chain chains[] = {
	{ "stm32mp1", { "stm32mp13", "stm32mp15", "stm32mp1" },
	  { &stm32mp1_cfg, &trusted_key, &tos_fw_key, &tos_fw_content, &nt_fw_key, &nt_fw_content }, 6 },
	{ "stm32mp2", { "stm32mp25", "stm32mp23", "stm32mp21", "stm32mp2" },
	  { &stm32mp2_cfg, &trusted_key, &soc_fw_key, &soc_fw_content, &tos_fw_key, &tos_fw_content,
	    &nt_fw_key, &nt_fw_content }, 8 },
	/* cert_create built without a platform (Debian's): no cfg certificate. */
	{ "tbbr", { "tbbr" },
	  { &trusted_key, &soc_fw_key, &soc_fw_content, &tos_fw_key, &tos_fw_content, &nt_fw_key,
	    &nt_fw_content }, 7 },
};

const struct tbbr_chain *tbbr_chain_at(size_t i)
{
	return i < sizeof chains / sizeof chains[0] ? &chains[i] : NULL;
}

const struct tbbr_chain *tbbr_chain_find(const char *soc)
{
	for (const struct tbbr_chain *c = chains; c < chains + sizeof chains / sizeof chains[0]; c++) {
		if (!strcmp(c->name, soc))
			return c;
		for (size_t j = 0; j < 4 && c->socs[j]; j++)
			if (!strcmp(c->socs[j], soc))
				return c;
	}
	return NULL;
}

const struct tbbr_cert *tbbr_chain_cert(const struct tbbr_chain *c, const char *name)
{
	for (size_t i = 0; i < c->ncerts; i++)
		if (!strcmp(c->certs[i]->name, name))
			return c->certs[i];
	return NULL;
}

static size_t next_ext(const struct tbbr_cert *ce)
{
	size_t n = 0;
	while (n < TBBR_MAX_EXTS && ce->ext[n].oid)
		n++;
	return n;
}

int tbbr_chain_uses_key(const struct tbbr_chain *c, enum tbbr_key k)
{
	for (size_t i = 0; i < c->ncerts; i++)
		if (c->certs[i]->signer == k)
			return 1;
	return 0;
}

int tbbr_chain_uses_image(const struct tbbr_chain *c, enum tbbr_img img, int *required)
{
	int used = 0;
	*required = 0;
	for (size_t i = 0; i < c->ncerts; i++)
		for (size_t j = 0; j < next_ext(c->certs[i]); j++) {
			const struct tbbr_ext *x = &c->certs[i]->ext[j];
			if (x->kind == TBBR_EXT_HASH && x->arg == (int)img) {
				used = 1;
				*required |= !x->optional;
			}
		}
	return used;
}

const struct tbbr_cert *tbbr_chain_key_holder(const struct tbbr_chain *c, enum tbbr_key k)
{
	for (size_t i = 0; i < c->ncerts; i++)
		for (size_t j = 0; j < next_ext(c->certs[i]); j++)
			if (c->certs[i]->ext[j].kind == TBBR_EXT_PK && c->certs[i]->ext[j].arg == (int)k)
				return c->certs[i];
	return NULL;
}

static const char *const key_names[TBBR_NKEYS] = { "root", "trusted-world", "non-trusted-world",
						   "tos", "nt", "soc" };
static const struct {
	const char *name, *fip;
	int packed; /* in the FIP the certificates go into */
} img_names[TBBR_NIMAGES] = {
	{ "bl31", "soc-fw", 1 },
	{ "bl32", "tos-fw", 1 },
	{ "bl32-extra1", "tos-fw-extra1", 1 },
	{ "bl32-extra2", "tos-fw-extra2", 1 },
	{ "bl33", "nt-fw", 1 },
	{ "hw-config", "hw-config", 1 },
	{ "fw-config", "fw-config", 1 },
	{ "soc-fw-config", "soc-fw-config", 1 },
	{ "tos-fw-config", "tos-fw-config", 1 },
	{ "nt-fw-config", "nt-fw-config", 1 },
	/* ST's fiptool name; ST's MP2x build puts it in a DDR-only FIP of its own,
	 * the cfg certificate of the main FIP hashes it (the vectors' FIP: the same) */
	{ "ddr-fw", "ddr-fw", 0 },
};

const char *tbbr_key_name(enum tbbr_key k)
{
	return (unsigned)k < TBBR_NKEYS ? key_names[k] : NULL;
}

int tbbr_key_from_name(const char *name)
{
	for (int k = 0; k < TBBR_NKEYS; k++)
		if (!strcmp(key_names[k], name))
			return k;
	return -1;
}

const char *tbbr_img_name(enum tbbr_img i)
{
	return (unsigned)i < TBBR_NIMAGES ? img_names[i].name : NULL;
}

const char *tbbr_img_fip_name(enum tbbr_img i)
{
	return (unsigned)i < TBBR_NIMAGES ? img_names[i].fip : NULL;
}

int tbbr_img_packed(enum tbbr_img i)
{
	return (unsigned)i < TBBR_NIMAGES && img_names[i].packed;
}

int tbbr_img_from_name(const char *name)
{
	for (int i = 0; i < TBBR_NIMAGES; i++)
		if (!strcmp(img_names[i].name, name))
			return i;
	return -1;
}

const char *tbbr_counter_name(enum tbbr_counter c)
{
	return c == TBBR_NV_TRUSTED ? "trusted" : c == TBBR_NV_NON_TRUSTED ? "non-trusted" : NULL;
}
