/* libFuzzer: a TF-A certificate as BL2's parser reads it (tbbr/certparse.c),
 * and the chain check over a chain made of that one certificate. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "tbbr/certparse.h"
#include "tbbr/chain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tbbr_x509 c;
	struct err e;
	if (!tbbr_x509_parse(data, size, &c, &e)) {
		/* everything found lies inside the input */
		if (c.tbs < data || c.tbs + c.tbs_len > data + size || c.sig + c.sig_len != data + size)
			__builtin_trap();
		for (size_t i = 0; i < c.next; i++)
			if (c.ext[i].val < data || c.ext[i].val + c.ext[i].len > data + size)
				__builtin_trap();
	}
	struct tbbr_check k;
	memset(&k, 0, sizeof k);
	k.chain = tbbr_chain_find("stm32mp1");
	for (size_t i = 0; i < k.chain->ncerts; i++) {
		k.der[i] = data;
		k.len[i] = size;
	}
	tbbr_chain_check(&k, &e);
	return 0;
}
