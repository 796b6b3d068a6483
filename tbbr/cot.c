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

#define NV_T { .oid = OID_TFW_NVCTR, .kind = TBBR_EXT_NVCTR, .arg = TBBR_NV_TRUSTED }
#define NV_NT { .oid = OID_NTFW_NVCTR, .kind = TBBR_EXT_NVCTR, .arg = TBBR_NV_NON_TRUSTED }
#define PK(o, k) { .oid = o, .kind = TBBR_EXT_PK, .arg = k }
#define HASH(o, i) { .oid = o, .kind = TBBR_EXT_HASH, .arg = i }
#define HASH_OPT(o, i) { .oid = o, .kind = TBBR_EXT_HASH, .arg = i, .optional = 1 }

#define CFG_UUID "501d8dd2-8bce-49a5-84eb-559a9f2eaeaf"

static const struct tbbr_cert trusted_key = {
	.name = "trusted_key",
	.cn = "Trusted Key Certificate",
	.signer = TBBR_KEY_ROOT,
	.fip_name = "trusted-key-cert",
	.ext = { NV_T, PK(OID_TW_PK, TBBR_KEY_TW), PK(OID_NTW_PK, TBBR_KEY_NTW) },
};
static const struct tbbr_cert tos_fw_key = {
	.name = "tos_fw_key",
	.cn = "Trusted OS Firmware Key Certificate",
	.signer = TBBR_KEY_TW,
	.fip_name = "tos-fw-key-cert",
	.ext = { NV_T, PK(OID_TOS_CONTENT_PK, TBBR_KEY_TOS) },
};
static const struct tbbr_cert tos_fw_content = {
	.name = "tos_fw_content",
	.cn = "Trusted OS Firmware Content Certificate",
	.signer = TBBR_KEY_TOS,
	.fip_name = "tos-fw-cert",
	.ext = { NV_T, HASH(OID_TOS_FW_HASH, TBBR_IMG_BL32), HASH_OPT(OID_TOS_FW_EXTRA1_HASH, TBBR_IMG_BL32_EXTRA1),
		 HASH_OPT(OID_TOS_FW_EXTRA2_HASH, TBBR_IMG_BL32_EXTRA2),
		 HASH_OPT(OID_TOS_FW_CONFIG_HASH, TBBR_IMG_TOS_FW_CONFIG) },
};
static const struct tbbr_cert nt_fw_key = {
	.name = "nt_fw_key",
	.cn = "Non-Trusted Firmware Key Certificate",
	.signer = TBBR_KEY_NTW,
	.fip_name = "nt-fw-key-cert",
	.ext = { NV_NT, PK(OID_NT_CONTENT_PK, TBBR_KEY_NT) },
};
static const struct tbbr_cert nt_fw_content = {
	.name = "nt_fw_content",
	.cn = "Non-Trusted Firmware Content Certificate",
	.signer = TBBR_KEY_NT,
	.fip_name = "nt-fw-cert",
	.ext = { NV_NT, HASH(OID_NT_FW_HASH, TBBR_IMG_BL33), HASH_OPT(OID_NT_FW_CONFIG_HASH, TBBR_IMG_NT_FW_CONFIG) },
};
static const struct tbbr_cert soc_fw_key = {
	.name = "soc_fw_key",
	.cn = "SoC Firmware Key Certificate",
	.signer = TBBR_KEY_TW,
	.fip_name = "soc-fw-key-cert",
	.ext = { NV_T, PK(OID_SOC_CONTENT_PK, TBBR_KEY_SOC) },
};
static const struct tbbr_cert soc_fw_content = {
	.name = "soc_fw_content",
	.cn = "SoC Firmware Content Certificate",
	.signer = TBBR_KEY_SOC,
	.fip_name = "soc-fw-cert",
	.ext = { NV_T, HASH(OID_SOC_AP_FW_HASH, TBBR_IMG_BL31), HASH(OID_SOC_FW_CONFIG_HASH, TBBR_IMG_SOC_FW_CONFIG) },
};
/* ST's cfg certificate (TF-A stm32mp1 cot): the DTBs BL2 loads; on MP2x
 * also the DDR firmware. */
static const struct tbbr_cert stm32mp1_cfg = {
	.name = "stm32mp_cfg_cert",
	.cn = "STM32MP config FW Certificate",
	.signer = TBBR_KEY_ROOT,
	.fip_uuid = CFG_UUID,
	.ext = { NV_T, HASH(OID_HW_CONFIG_HASH, TBBR_IMG_HW_CONFIG), HASH(OID_FW_CONFIG_HASH, TBBR_IMG_FW_CONFIG) },
};
static const struct tbbr_cert stm32mp2_cfg = {
	.name = "stm32mp_cfg_cert",
	.cn = "STM32MP config FW Certificate",
	.signer = TBBR_KEY_ROOT,
	.fip_uuid = CFG_UUID,
	.ext = { NV_T, HASH(OID_HW_CONFIG_HASH, TBBR_IMG_HW_CONFIG), HASH(OID_FW_CONFIG_HASH, TBBR_IMG_FW_CONFIG),
		 HASH(OID_STM32MP_DDR_FW_HASH, TBBR_IMG_DDR_FW) },
};

/* Certificates in cert_create's order of creation (and fiptool's table order
 * for the FIP; the cfg certificate, a blob, goes last there). */
static const struct tbbr_chain chains[] = {
	{
		.name = "stm32mp1",
		.otp = TBBR_OTP_BY_SOC,
		.certs = { &stm32mp1_cfg, &trusted_key, &tos_fw_key, &tos_fw_content, &nt_fw_key, &nt_fw_content },
		.ncerts = 6,
	},
	{
		.name = "stm32mp2",
		.otp = TBBR_OTP_TABLE_HASH,
		.certs = { &stm32mp2_cfg, &trusted_key, &soc_fw_key, &soc_fw_content, &tos_fw_key, &tos_fw_content,
			   &nt_fw_key, &nt_fw_content },
		.ncerts = 8,
	},
	/* cert_create built without a platform (Debian's): no cfg certificate. */
	{
		.name = "tbbr",
		.otp = TBBR_OTP_NONE,
		.certs = { &trusted_key, &soc_fw_key, &soc_fw_content, &tos_fw_key, &tos_fw_content, &nt_fw_key,
			   &nt_fw_content },
		.ncerts = 7,
	},
};

/* MP15's ROM checks the header's single key against SHA-256(X || Y); MP13
 * and MP2x check the header's key table hash (the root key is one entry). */
static const struct tbbr_soc socs[] = {
	{ .name = "stm32mp13", .chain = &chains[0], .otp = TBBR_OTP_TABLE_HASH },
	{ .name = "stm32mp15", .chain = &chains[0], .otp = TBBR_OTP_KEY_HASH },
	{ .name = "stm32mp21", .chain = &chains[1], .otp = TBBR_OTP_TABLE_HASH },
	{ .name = "stm32mp23", .chain = &chains[1], .otp = TBBR_OTP_TABLE_HASH },
	{ .name = "stm32mp25", .chain = &chains[1], .otp = TBBR_OTP_TABLE_HASH },
};

const struct tbbr_chain *tbbr_chain_at(size_t i)
{
	return i < sizeof chains / sizeof chains[0] ? &chains[i] : NULL;
}

const struct tbbr_soc *tbbr_soc_find(const char *soc)
{
	for (size_t i = 0; i < sizeof socs / sizeof socs[0]; i++)
		if (!strcmp(socs[i].name, soc))
			return &socs[i];
	return NULL;
}

const struct tbbr_chain *tbbr_chain_find(const char *name)
{
	for (size_t i = 0; i < sizeof chains / sizeof chains[0]; i++)
		if (!strcmp(chains[i].name, name))
			return &chains[i];
	const struct tbbr_soc *s = tbbr_soc_find(name);
	return s ? s->chain : NULL;
}

const char *tbbr_otp_rule_text(enum tbbr_otp_rule r)
{
	switch (r) {
	case TBBR_OTP_KEY_HASH: return "SHA-256(X || Y) of the root key";
	case TBBR_OTP_TABLE_HASH: return "the hash of the FSBL header's key table";
	case TBBR_OTP_BY_SOC: return "per SoC (stm32mp15: SHA-256(X || Y) of the root key; stm32mp13: the hash of the "
				     "FSBL header's key table)";
	default: return "not known for this chain";
	}
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
	{ .name = "bl31", .fip = "soc-fw", .packed = 1 },
	{ .name = "bl32", .fip = "tos-fw", .packed = 1 },
	{ .name = "bl32-extra1", .fip = "tos-fw-extra1", .packed = 1 },
	{ .name = "bl32-extra2", .fip = "tos-fw-extra2", .packed = 1 },
	{ .name = "bl33", .fip = "nt-fw", .packed = 1 },
	{ .name = "hw-config", .fip = "hw-config", .packed = 1 },
	{ .name = "fw-config", .fip = "fw-config", .packed = 1 },
	{ .name = "soc-fw-config", .fip = "soc-fw-config", .packed = 1 },
	{ .name = "tos-fw-config", .fip = "tos-fw-config", .packed = 1 },
	{ .name = "nt-fw-config", .fip = "nt-fw-config", .packed = 1 },
	/* ST's fiptool name; ST's MP2x build puts it in a DDR-only FIP of its own,
	 * the cfg certificate of the main FIP hashes it (the vectors' FIP: the same) */
	{ .name = "ddr-fw", .fip = "ddr-fw", .packed = 0 },
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
