/* Output paths checked against inputs, and their parent directories made. */
#ifndef COMMON_PATHS_H
#define COMMON_PATHS_H

#include "err.h"

/* True when a and b name the same file: the same inode when both exist (a
 * hard link too), else the same resolved directory and name. */
int path_same_file(const char *a, const char *b);
/* Refuse an output that resolves to an input: "what" names the output
 * option, input_what the input ("the manifest"). ERR_USAGE. */
int path_refuse_same(const char *output, const char *what, const char *input,
		     const char *input_what, struct err *e);
/* mkdir -p of the directory that will hold path. ERR_IO. */
int path_make_parents(const char *path, struct err *e);

#endif
