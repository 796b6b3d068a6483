/* Test helpers: run the tools, make temporary directories, read files. */
#ifndef TESTS_TESTUTIL_H
#define TESTS_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

struct run {
	int code;     /* exit code, or 128 + signal */
	char *out;    /* stdout */
	char *err;    /* stderr */
};

/* Run a shell command (printf-style) with the tools' directory first on PATH;
 * captures stdout and stderr. */
struct run run_cmd(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void run_free(struct run *r);

/* A fresh temporary directory, removed by tmpdir_rm. */
const char *tmpdir_new(void);
void tmpdir_rm(const char *dir);

/* Paths of fixtures: tests/<rel>. */
const char *fixture(const char *rel);
/* A path in the directory: dir/name (static ring of buffers). */
const char *pjoin(const char *dir, const char *name);

uint8_t *read_file(const char *path, size_t *len);
int file_exists(const char *path);
void write_file(const char *path, const void *data, size_t len);
/* Number of entries in a directory, except . and .. */
int dir_count(const char *dir);

#endif
