#include "paths.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"

/* realpath of the directory, then the base name. */
static int resolve(const char *path, char *out, size_t n)
{
	char dir[PATH_MAX], real[PATH_MAX];
	path_dirname(path, dir, sizeof dir);
	if (!realpath(dir, real))
		return -1;
	return (size_t)snprintf(out, n, "%s/%s", real, path_basename(path)) < n ? 0 : -1;
}

int path_same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	if (!stat(a, &sa) && !stat(b, &sb))
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	char ra[PATH_MAX + 256], rb[PATH_MAX + 256];
	if (resolve(a, ra, sizeof ra) || resolve(b, rb, sizeof rb))
		return !strcmp(a, b);
	return !strcmp(ra, rb);
}

int path_refuse_same(const char *output, const char *what, const char *input,
		     const char *input_what, struct err *e)
{
	if (!output || !input || !path_same_file(output, input))
		return 0;
	return err_set(e, ERR_USAGE, "%s %s is %s (%s): an output never replaces an input", what, output,
		       input_what, input);
}

int path_make_parents(const char *path, struct err *e)
{
	char dir[PATH_MAX];
	struct stat st;
	path_dirname(path, dir, sizeof dir);
	if (!stat(dir, &st))
		return S_ISDIR(st.st_mode) ? 0 : err_set(e, ERR_IO, "%s: not a directory", dir);
	for (char *p = dir + 1; ; p++) {
		if (*p && *p != '/')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			return err_set(e, ERR_IO, "%s: cannot create: %s", dir, strerror(errno));
		*p = c;
		if (!c)
			break;
	}
	return 0;
}
