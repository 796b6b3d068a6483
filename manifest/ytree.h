/* A strict YAML reader on libyaml: loads a document into a small tree with
 * limits (no aliases or anchors, bounded depth, node count and scalar size,
 * duplicate keys refused), so that schema readers can check fields and name
 * the line of each problem. */
#ifndef MANIFEST_YTREE_H
#define MANIFEST_YTREE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

enum ynode_type { YN_SCALAR, YN_MAP, YN_SEQ };

struct ynode {
	enum ynode_type type;
	size_t line;
	char *str;             /* scalar text */
	int plain;             /* scalar was unquoted */
	size_t n;              /* children: map keys and values alternate */
	size_t cap;
	struct ynode **kids;
};

#define YTREE_MAX_DEPTH 16
#define YTREE_MAX_NODES 200000
#define YTREE_MAX_SCALAR 4096
#define YTREE_MAX_DOC (16u << 20)

/* Parse a buffer; name is used in messages. Returns the root or NULL. */
struct ynode *ytree_parse(const uint8_t *buf, size_t len, const char *name, struct err *e);
void ytree_free(struct ynode *n);

/* Map lookup (NULL when absent). */
struct ynode *ymap_get(const struct ynode *map, const char *key);
/* Refuse keys not in the NULL-terminated allowed list. */
int ymap_only(const struct ynode *map, const char *const *allowed, const char *ctx,
	      struct err *e);

/* Typed getters. ctx names the place ("manifest.yaml: images[2] (fsbl)").
 * Required fields fail when absent; *_opt leave the default. */
int yget_str(const struct ynode *map, const char *key, char *out, size_t outsz,
	     const char *ctx, struct err *e);
int yget_str_opt(const struct ynode *map, const char *key, char *out, size_t outsz,
		 const char *ctx, struct err *e);
int yget_u64(const struct ynode *map, const char *key, uint64_t max, uint64_t *out,
	     const char *ctx, struct err *e);
int yget_u64_opt(const struct ynode *map, const char *key, uint64_t max, uint64_t *out,
		 const char *ctx, struct err *e);
int yget_hex(const struct ynode *map, const char *key, uint8_t *out, size_t want,
	     const char *ctx, struct err *e);
/* A required sequence or map child. */
const struct ynode *yget_seq(const struct ynode *map, const char *key, const char *ctx,
			     struct err *e);

#endif
