/* libFuzzer: TF-A FIPs (tbbr/fip.c). What parses must rebuild into a FIP
 * that parses to the same entries. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tbbr/fip.h"

#define MAX_E 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fip_entry v[MAX_E], w[MAX_E];
	size_t n, m;
	struct err e;
	if (fip_parse(data, size, v, MAX_E, &n, &e))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (v[i].data < data || v[i].len > size || (size_t)(v[i].data - data) > size - v[i].len)
			abort();
	struct buf out;
	buf_init(&out, 1u << 26);
	if (fip_build(v, n, &out, &e))
		abort();
	const uint8_t *b = (const uint8_t *)buf_cstr(&out);
	if (fip_parse(b, buf_len(&out), w, MAX_E, &m, &e))
		abort();
	/* empty entries are left out of a built ToC, as fiptool does */
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!v[i].len)
			continue;
		if (k >= m || memcmp(v[i].uuid, w[k].uuid, FIP_UUID_LEN) || v[i].len != w[k].len ||
		    memcmp(v[i].data, w[k].data, v[i].len))
			abort();
		k++;
	}
	if (k != m)
		abort();
	buf_free(&out);
	return 0;
}
