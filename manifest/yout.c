#include "yout.h"

#include <string.h>

#include "common/hex.h"

static void emit(struct yout *y, yaml_event_t *ev, int ok)
{
	if (y->failed)
		return;
	if (!ok || !yaml_emitter_emit(&y->em, ev))
		y->failed = 1;
}

int yout_open(struct yout *y, FILE *fp, struct err *e)
{
	memset(y, 0, sizeof *y);
	if (!yaml_emitter_initialize(&y->em))
		return err_set(e, ERR_INTERNAL, "out of memory");
	yaml_emitter_set_output_file(&y->em, fp);
	yaml_emitter_set_unicode(&y->em, 1);
	yaml_emitter_set_width(&y->em, -1);
	yaml_event_t ev;
	emit(y, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	emit(y, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
	return 0;
}

int yout_close(struct yout *y, struct err *e)
{
	yaml_event_t ev;
	emit(y, &ev, yaml_document_end_event_initialize(&ev, 1));
	emit(y, &ev, yaml_stream_end_event_initialize(&ev));
	if (!y->failed && !yaml_emitter_flush(&y->em))
		y->failed = 1;
	yaml_emitter_delete(&y->em);
	if (y->failed)
		return err_set(e, ERR_IO, "YAML output failed");
	return 0;
}

void yout_map(struct yout *y)
{
	yaml_event_t ev;
	emit(y, &ev, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
							 YAML_BLOCK_MAPPING_STYLE));
}

void yout_seq(struct yout *y, int flow)
{
	yaml_event_t ev;
	emit(y, &ev, yaml_sequence_start_event_initialize(
			     &ev, NULL, NULL, 1,
			     flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE));
}

void yout_end_map(struct yout *y)
{
	yaml_event_t ev;
	emit(y, &ev, yaml_mapping_end_event_initialize(&ev));
}

void yout_end_seq(struct yout *y)
{
	yaml_event_t ev;
	emit(y, &ev, yaml_sequence_end_event_initialize(&ev));
}

static void scalar(struct yout *y, const char *s, yaml_scalar_style_t style)
{
	yaml_event_t ev;
	emit(y, &ev, yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
						  (int)strlen(s), 1, 1, style));
}

void yout_str(struct yout *y, const char *s)
{
	scalar(y, s, YAML_ANY_SCALAR_STYLE);
}

void yout_quoted(struct yout *y, const char *s)
{
	scalar(y, s, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
}

void yout_key(struct yout *y, const char *k)
{
	scalar(y, k, YAML_PLAIN_SCALAR_STYLE);
}

void yout_kv(struct yout *y, const char *k, const char *v)
{
	yout_key(y, k);
	yout_str(y, v);
}

void yout_kv_quoted(struct yout *y, const char *k, const char *v)
{
	yout_key(y, k);
	yout_quoted(y, v);
}

void yout_kv_u64(struct yout *y, const char *k, uint64_t v)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
	yout_kv(y, k, buf);
}

void yout_kv_hex32(struct yout *y, const char *k, uint64_t v)
{
	char buf[32];
	snprintf(buf, sizeof buf, "0x%llx", (unsigned long long)v);
	yout_kv(y, k, buf);
}

void yout_kv_bytes(struct yout *y, const char *k, const uint8_t *b, size_t n)
{
	char buf[2 * 256 + 1];
	if (n > 256) {
		y->failed = 1;
		return;
	}
	hex_encode(b, n, buf);
	yout_kv(y, k, buf);
}
