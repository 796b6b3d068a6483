/* The chain verdict of stm32-inspect on a FIP. The check itself is the other
 * half of issue 15 (tbbr/chain.c); until it lands this says it did not run. */
#include "inspect_fip.h"

int fip_chain_verdict(const struct fip_view *v, const struct fip_chain_opts *o, FILE *text,
		      json_object *obj)
{
	(void)v;
	(void)o;
	if (text)
		fprintf(text, "  Chain:             not checked\n");
	if (obj) {
		json_object *c = json_object_new_object();
		json_object_object_add(c, "checked", json_object_new_boolean(0));
		json_object_object_add(obj, "chain", c);
	}
	return 0;
}
