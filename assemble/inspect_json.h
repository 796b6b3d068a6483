#ifndef ASSEMBLE_INSPECT_JSON_H
#define ASSEMBLE_INSPECT_JSON_H

#include <json-c/json.h>

#include "explain.h"
#include "image/digest.h"
#include "image/verify.h"

json_object *inspect_json(const char *path, const struct stm32_image *img,
			  const struct image_sums *sums, const struct rom_verdict *v,
			  const struct explanation *ex);
json_object *inspect_json_error(const char *path, const struct err *e);

#endif
