/* Deterministic YAML output through libyaml's emitter (quoting and escaping
 * are libyaml's, never hand-rolled). */
#ifndef MANIFEST_YOUT_H
#define MANIFEST_YOUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <yaml.h>

#include "common/err.h"

struct yout {
	yaml_emitter_t em;
	int failed;
};

int yout_open(struct yout *y, FILE *fp, struct err *e);
int yout_close(struct yout *y, struct err *e); /* ends the document */
void yout_map(struct yout *y);
void yout_seq(struct yout *y, int flow);
void yout_end_map(struct yout *y);
void yout_end_seq(struct yout *y);
void yout_str(struct yout *y, const char *s);
void yout_quoted(struct yout *y, const char *s);
void yout_key(struct yout *y, const char *k);
void yout_kv(struct yout *y, const char *k, const char *v);
void yout_kv_quoted(struct yout *y, const char *k, const char *v);
void yout_kv_u64(struct yout *y, const char *k, uint64_t v);
void yout_kv_hex32(struct yout *y, const char *k, uint64_t v); /* 0x... */
void yout_kv_bytes(struct yout *y, const char *k, const uint8_t *b, size_t n);

#endif
