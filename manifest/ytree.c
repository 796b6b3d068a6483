#include "ytree.h"

#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "common/hex.h"
#include "common/vec.h"
#include "common/num.h"

struct loader {
	yaml_parser_t parser;
	const char *name;
	size_t nodes;
	struct err *e;
};

static struct ynode *node_new(struct loader *L, enum ynode_type t, size_t line)
{
	if (++L->nodes > YTREE_MAX_NODES) {
		err_set(L->e, ERR_INPUT, "%s: more than %d YAML nodes", L->name, YTREE_MAX_NODES);
		return NULL;
	}
	struct ynode *n = calloc(1, sizeof *n);
	if (!n) {
		err_set(L->e, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	n->type = t;
	n->line = line;
	return n;
}

void ytree_free(struct ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		ytree_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

static int add_kid(struct loader *L, struct ynode *p, struct ynode *k)
{
	if (vec_grow((void **)&p->kids, &p->cap, p->n, sizeof *p->kids, 2 * YTREE_MAX_NODES))
		return err_set(L->e, ERR_INTERNAL, "out of memory");
	p->kids[p->n++] = k;
	return 0;
}

static int next_event(struct loader *L, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&L->parser, ev))
		return err_set(L->e, ERR_INPUT, "%s:%zu: YAML error: %s", L->name,
			       L->parser.problem_mark.line + 1,
			       L->parser.problem ? L->parser.problem : "syntax");
	return 0;
}

static struct ynode *load_node(struct loader *L, yaml_event_t *ev, int depth);

static int check_dup_key(struct loader *L, const struct ynode *map, const struct ynode *key)
{
	if (key->type != YN_SCALAR)
		return err_set(L->e, ERR_INPUT, "%s:%zu: mapping keys must be plain strings",
			       L->name, key->line);
	for (size_t i = 0; i < map->n; i += 2)
		if (!strcmp(map->kids[i]->str, key->str))
			return err_set(L->e, ERR_INPUT, "%s:%zu: duplicate key '%s' (first at line %zu)",
				       L->name, key->line, key->str, map->kids[i]->line);
	return 0;
}

static int load_children(struct loader *L, struct ynode *n, yaml_event_type_t end, int depth)
{
	for (;;) {
		yaml_event_t ev;
		if (next_event(L, &ev))
			return L->e->code;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			break;
		}
		struct ynode *k = load_node(L, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!k)
			return L->e->code;
		if (n->type == YN_MAP && n->n % 2 == 0 && check_dup_key(L, n, k)) {
			ytree_free(k);
			return L->e->code;
		}
		if (add_kid(L, n, k)) {
			ytree_free(k);
			return L->e->code;
		}
	}
	return 0;
}

static struct ynode *load_node(struct loader *L, yaml_event_t *ev, int depth)
{
	size_t line = ev->start_mark.line + 1;
	if (depth > YTREE_MAX_DEPTH) {
		err_set(L->e, ERR_INPUT, "%s:%zu: nested deeper than %d levels", L->name, line,
			YTREE_MAX_DEPTH);
		return NULL;
	}
	struct ynode *n = NULL;
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		err_set(L->e, ERR_INPUT, "%s:%zu: YAML aliases are not accepted", L->name, line);
		return NULL;
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.anchor) {
			err_set(L->e, ERR_INPUT, "%s:%zu: YAML anchors are not accepted", L->name, line);
			return NULL;
		}
		if (ev->data.scalar.length > YTREE_MAX_SCALAR) {
			err_set(L->e, ERR_INPUT, "%s:%zu: value longer than %d bytes", L->name, line,
				YTREE_MAX_SCALAR);
			return NULL;
		}
		if (!(n = node_new(L, YN_SCALAR, line)))
			return NULL;
		n->str = strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		if (!n->str || strlen(n->str) != ev->data.scalar.length) {
			err_set(L->e, ERR_INPUT, "%s:%zu: value holds a NUL byte", L->name, line);
			ytree_free(n);
			return NULL;
		}
		return n;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		int map = ev->type == YAML_MAPPING_START_EVENT;
		const yaml_char_t *anchor = map ? ev->data.mapping_start.anchor
						: ev->data.sequence_start.anchor;
		if (anchor) {
			err_set(L->e, ERR_INPUT, "%s:%zu: YAML anchors are not accepted", L->name, line);
			return NULL;
		}
		if (!(n = node_new(L, map ? YN_MAP : YN_SEQ, line)))
			return NULL;
		if (load_children(L, n, map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT,
				  depth)) {
			ytree_free(n);
			return NULL;
		}
		return n;
	}
	default:
		err_set(L->e, ERR_INPUT, "%s:%zu: unexpected YAML event", L->name, line);
		return NULL;
	}
}

/* Skip stream/document start events, load the root, expect the end. */
static struct ynode *load_document(struct loader *L)
{
	yaml_event_t ev;
	for (;;) {
		if (next_event(L, &ev))
			return NULL;
		if (ev.type != YAML_STREAM_START_EVENT && ev.type != YAML_DOCUMENT_START_EVENT)
			break;
		yaml_event_delete(&ev);
	}
	if (ev.type == YAML_STREAM_END_EVENT || ev.type == YAML_DOCUMENT_END_EVENT) {
		yaml_event_delete(&ev);
		err_set(L->e, ERR_INPUT, "%s: empty document", L->name);
		return NULL;
	}
	struct ynode *root = load_node(L, &ev, 0);
	yaml_event_delete(&ev);
	if (!root)
		return NULL;
	if (next_event(L, &ev)) {
		ytree_free(root);
		return NULL;
	}
	int ok = ev.type == YAML_DOCUMENT_END_EVENT;
	yaml_event_delete(&ev);
	if (ok && !next_event(L, &ev)) {
		ok = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	} else {
		ok = 0;
	}
	if (!ok) {
		if (L->e->code == ERR_OK)
			err_set(L->e, ERR_INPUT, "%s: more than one YAML document", L->name);
		ytree_free(root);
		return NULL;
	}
	return root;
}

struct ynode *ytree_parse(const uint8_t *buf, size_t len, const char *name, struct err *e)
{
	struct err local = { 0 };
	struct loader L = { .name = name, .e = e ? e : &local };
	L.e->code = ERR_OK;
	if (len > YTREE_MAX_DOC) {
		err_set(L.e, ERR_INPUT, "%s: larger than %u bytes", name, YTREE_MAX_DOC);
		return NULL;
	}
	if (!yaml_parser_initialize(&L.parser)) {
		err_set(L.e, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&L.parser, buf, len);
	struct ynode *root = load_document(&L);
	yaml_parser_delete(&L.parser);
	return root;
}

struct ynode *ymap_get(const struct ynode *map, const char *key)
{
	if (!map || map->type != YN_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (!strcmp(map->kids[i]->str, key))
			return map->kids[i + 1];
	return NULL;
}

int ymap_only(const struct ynode *map, const char *const *allowed, const char *ctx,
	      struct err *e)
{
	if (!map || map->type != YN_MAP)
		return err_set(e, ERR_INPUT, "%s: expected a mapping", ctx);
	for (size_t i = 0; i < map->n; i += 2) {
		const char *k = map->kids[i]->str;
		int ok = 0;
		for (const char *const *a = allowed; *a; a++)
			ok |= !strcmp(*a, k);
		if (!ok)
			return err_set(e, ERR_INPUT, "%s: line %zu: unknown field '%s'", ctx,
				       map->kids[i]->line, k);
	}
	return 0;
}

static const struct ynode *scalar_of(const struct ynode *map, const char *key, int required,
				     const char *ctx, struct err *e, int *rc)
{
	*rc = 0;
	const struct ynode *v = ymap_get(map, key);
	if (!v) {
		if (required)
			*rc = err_set(e, ERR_INPUT, "%s: missing field '%s'", ctx, key);
		return NULL;
	}
	if (v->type != YN_SCALAR) {
		*rc = err_set(e, ERR_INPUT, "%s: line %zu: '%s' must be a single value", ctx,
			      v->line, key);
		return NULL;
	}
	return v;
}

static int get_str(const struct ynode *map, const char *key, char *out, size_t outsz,
		   int required, const char *ctx, struct err *e)
{
	int rc;
	const struct ynode *v = scalar_of(map, key, required, ctx, e, &rc);
	if (!v)
		return rc;
	if (strlen(v->str) >= outsz)
		return err_set(e, ERR_INPUT, "%s: line %zu: '%s' is longer than %zu bytes", ctx,
			       v->line, key, outsz - 1);
	memcpy(out, v->str, strlen(v->str) + 1);
	return 0;
}

int yget_str(const struct ynode *map, const char *key, char *out, size_t outsz,
	     const char *ctx, struct err *e)
{
	return get_str(map, key, out, outsz, 1, ctx, e);
}

int yget_str_opt(const struct ynode *map, const char *key, char *out, size_t outsz,
		 const char *ctx, struct err *e)
{
	return get_str(map, key, out, outsz, 0, ctx, e);
}

static int get_u64(const struct ynode *map, const char *key, uint64_t max, uint64_t *out,
		   int required, const char *ctx, struct err *e)
{
	int rc;
	const struct ynode *v = scalar_of(map, key, required, ctx, e, &rc);
	if (!v)
		return rc;
	if (num_parse_u64(v->str, max, out))
		return err_set(e, ERR_INPUT,
			       "%s: line %zu: '%s' is '%.40s': expected a number (decimal or 0x hex) up to %llu",
			       ctx, v->line, key, v->str, (unsigned long long)max);
	return 0;
}

int yget_u64(const struct ynode *map, const char *key, uint64_t max, uint64_t *out,
	     const char *ctx, struct err *e)
{
	return get_u64(map, key, max, out, 1, ctx, e);
}

int yget_u64_opt(const struct ynode *map, const char *key, uint64_t max, uint64_t *out,
		 const char *ctx, struct err *e)
{
	return get_u64(map, key, max, out, 0, ctx, e);
}

int yget_hex(const struct ynode *map, const char *key, uint8_t *out, size_t want,
	     const char *ctx, struct err *e)
{
	int rc;
	const struct ynode *v = scalar_of(map, key, 1, ctx, e, &rc);
	if (!v)
		return rc;
	if (hex_decode_exact(v->str, out, want))
		return err_set(e, ERR_INPUT, "%s: line %zu: '%s' must be %zu hex digits", ctx,
			       v->line, key, 2 * want);
	return 0;
}

const struct ynode *yget_seq(const struct ynode *map, const char *key, const char *ctx,
			     struct err *e)
{
	const struct ynode *v = ymap_get(map, key);
	if (!v) {
		err_set(e, ERR_INPUT, "%s: missing field '%s'", ctx, key);
		return NULL;
	}
	if (v->type != YN_SEQ) {
		err_set(e, ERR_INPUT, "%s: line %zu: '%s' must be a list", ctx, v->line, key);
		return NULL;
	}
	return v;
}
