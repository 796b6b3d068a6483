/* File helpers: bounded whole-file reads, and atomic output files
 * (temporary file in the target directory, fsync, rename). */
#ifndef COMMON_FILEIO_H
#define COMMON_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

/* Open a regular file read-only: *fd and its *size, or an error that names the
 * path (ERR_IO cannot open, ERR_INPUT not a regular file; *fd is then -1). */
int file_open_regular(const char *path, int *fd, uint64_t *size, struct err *e);
/* Read a regular file of at most max bytes into a NUL-terminated buffer. */
int file_read_all(const char *path, size_t max, uint8_t **buf, size_t *len,
		  struct err *e);

/* An output file that appears at its final path only when committed. */
struct atomic_file {
	char path[4096];
	char tmp[4096];
	int fd;
	FILE *fp; /* when opened with atomic_open_stream */
};

int atomic_open(struct atomic_file *af, const char *path, struct err *e);
/* Same, with a stdio stream on the descriptor. */
int atomic_open_stream(struct atomic_file *af, const char *path, struct err *e);
/* fsync, rename to the final path, fsync the directory. */
int atomic_commit(struct atomic_file *af, struct err *e);
/* The two halves of a commit, for batches that close each file when written
 * and rename them all only when every one succeeded. */
int atomic_close(struct atomic_file *af, struct err *e);
int atomic_rename(struct atomic_file *af, struct err *e);
/* Remove the temporary file; safe after a commit or on a closed file. */
void atomic_abort(struct atomic_file *af);
/* Remove temporary files a killed run left for this path (".NAME.XXXXXX"). */
void atomic_remove_stale(const char *path);

/* Write a whole buffer atomically. */
int file_write_atomic(const char *path, const void *buf, size_t len, struct err *e);

/* Read [off, off+len) of fd through buf (bufsz bytes) and hand each chunk to
 * fn; stops at the first non-zero return. A short file is an i/o error. */
typedef int (*chunk_fn)(const uint8_t *p, size_t n, void *arg, struct err *e);
int fd_for_each_chunk(int fd, uint64_t off, uint64_t len, uint8_t *buf, size_t bufsz, chunk_fn fn,
		      void *arg, struct err *e);

/* Write all of len bytes (write loop). */
int fd_write_all(int fd, const void *buf, size_t len);
/* Read up to len bytes; returns bytes read (short only at end of file) or -1. */
long fd_read_full(int fd, void *buf, size_t len);

/* Join dir and a relative name of an existing file into out; refuses names
 * that escape dir (absolute, "..", empty, or a symlink that resolves outside). */
int path_join_inside(const char *dir, const char *name, char *out, size_t outsz,
		     struct err *e);

/* Make sure dir exists; *created tells whether this call made it (so that a
 * failed run can remove it again). ERR_IO when it cannot be made or is not
 * a directory. */
int dir_ensure(const char *dir, int *created, struct err *e);

/* Create the missing directories above the file path (as mkdir -p its directory).
 * made receives the outermost one this call created ("" when none) so that a run
 * that fails can remove them again with dir_remove_made. */
int dir_ensure_parent(const char *path, char *made, size_t madesz, struct err *e);
/* Remove (if empty) the directories above path, up to and including made. */
void dir_remove_made(const char *path, const char *made);

/* Directory part of path ("." when none) into out. */
void path_dirname(const char *path, char *out, size_t outsz);
const char *path_basename(const char *path);

#endif
