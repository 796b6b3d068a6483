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

/* One entry: its UUID and its bytes (borrowed, not copied). */
struct fip_entry {
	uint8_t uuid[FIP_UUID_LEN];
	const uint8_t *data;
	size_t len;
	uint64_t flags;
};

/* fiptool's name for a UUID ("tos-fw", "nt-fw", "trusted-key-cert", ...), or
 * NULL for a UUID fiptool does not name (a blob). */
const char *fip_uuid_name(const uint8_t uuid[FIP_UUID_LEN]);
/* The UUID of a fiptool name; -1 when unknown. */
int fip_name_uuid(const char *name, uint8_t uuid[FIP_UUID_LEN]);
/* Text UUID "501d8dd2-8bce-49a5-84eb-559a9f2eaeaf" <-> bytes as fiptool
 * stores them. */
int fip_uuid_parse(const char *text, uint8_t uuid[FIP_UUID_LEN]);
void fip_uuid_format(const uint8_t uuid[FIP_UUID_LEN], char out[37]);

/* A FIP exactly as `fiptool create` lays it out for these entries in this
 * order (fiptool's own order is its table order, then blobs: callers pass
 * entries in that order; fip_sort_as_fiptool does it). */
void fip_sort_as_fiptool(struct fip_entry *v, size_t n);
int fip_build(const struct fip_entry *v, size_t n, struct buf *out, struct err *e);

/* Parse a FIP (bounds, ToC name, terminator, overlaps checked); entries
 * point into buf. n_out gets the count; more than max is an error. */
int fip_parse(const uint8_t *buf, size_t len, struct fip_entry *out, size_t max,
	      size_t *n_out, struct err *e);

#endif
