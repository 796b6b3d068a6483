/* TF-A's Firmware Image Package (FIP): a ToC header, entries by UUID, then
 * the images. Written and read here byte for byte as TF-A's fiptool does
 * (tools/fiptool in TF-A; include/tools_share/firmware_image_package.h).
 * Library code: errors in struct err, never prints. */
#ifndef TBBR_FIP_H
#define TBBR_FIP_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

#define FIP_UUID_LEN 16
#define FIP_TOC_NAME 0xAA640001u     /* ToC header "name" */
#define FIP_TOC_SERIAL 0x12345678u   /* the serial number fiptool writes */
#define FIP_HEADER_LEN 16            /* name, serial number, flags (u64) */
#define FIP_ENTRY_LEN 40             /* UUID, offset (u64), size (u64), flags (u64) */

/* One entry: its UUID and its bytes (borrowed, not copied). */
struct fip_entry {
	uint8_t uuid[FIP_UUID_LEN];
	const uint8_t *data;
	size_t len;
	uint64_t flags;
};

/* fiptool's table, in its order: TF-A 2.8's generic table (Debian's fiptool),
 * then the two entries ST's fork adds on STM32MP (ddr-fw, stm32mp-cfg-cert;
 * st_only: Debian's fiptool packs those as --blob). */
struct fip_name {
	const char *name;      /* the command-line name: "tos-fw" */
	const char *desc;      /* fiptool info's name: "Secure Payload BL32 (Trusted OS)" */
	const char *uuid_text; /* as fiptool prints it, lower case */
	int st_only;
};
const struct fip_name *fip_table(size_t *n);

/* fiptool's name for a UUID ("tos-fw", "nt-fw", "trusted-key-cert", ...; ST's
 * fork's "ddr-fw" and "stm32mp-cfg-cert" too), or NULL for a UUID no table row
 * names (a blob). */
const char *fip_uuid_name(const uint8_t uuid[FIP_UUID_LEN]);
/* The UUID of a fiptool name; -1 when unknown. */
int fip_name_uuid(const char *name, uint8_t uuid[FIP_UUID_LEN]);
/* Text UUID "501d8dd2-8bce-49a5-84eb-559a9f2eaeaf" <-> bytes as fiptool
 * stores them. */
int fip_uuid_parse(const char *text, uint8_t uuid[FIP_UUID_LEN]);
void fip_uuid_format(const uint8_t uuid[FIP_UUID_LEN], char out[37]);

/* A FIP exactly as `fiptool create` lays it out for these entries in this
 * order (fiptool's own order is its table order, then blobs: callers pass
 * entries in that order; fip_sort_as_fiptool does it: table rows by rank, ST's
 * ddr-fw then stm32mp-cfg-cert, then the other blobs in the order given). */
void fip_sort_as_fiptool(struct fip_entry *v, size_t n);
int fip_build(const struct fip_entry *v, size_t n, struct buf *out, struct err *e);
/* The same with fiptool's --align (a power of two; 1 is its default) and
 * --plat-toc-flags (the header's flags word). fip_build is (1, 0). Appends to
 * out (buf_init'ed by the caller). Refuses a null or repeated UUID. An empty
 * entry is left out of the ToC but still counted in its size, as fiptool does. */
int fip_build_opts(const struct fip_entry *v, size_t n, uint64_t align, uint64_t toc_flags,
		   struct buf *out, struct err *e);

/* Parse a FIP (bounds, ToC name, terminator, overlaps checked); entries
 * point into buf. n_out gets the count; more than max is an error. */
int fip_parse(const uint8_t *buf, size_t len, struct fip_entry *out, size_t max,
	      size_t *n_out, struct err *e);

/* 1 when buf starts with the ToC name (how stm32-inspect tells a FIP). */
int fip_is_fip(const uint8_t *buf, size_t len);
/* The header's serial number and flags (len >= FIP_HEADER_LEN). */
void fip_header(const uint8_t *buf, uint32_t *serial, uint64_t *flags);
/* "nt-fw", or "blob 501d8dd2-..." for a UUID not in the table, into out. */
const char *fip_entry_label(const uint8_t uuid[FIP_UUID_LEN], char *out, size_t outsz);

#endif
