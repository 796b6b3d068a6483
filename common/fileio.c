#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int file_open_regular(const char *path, int *fd, uint64_t *size, struct err *e)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return err_set(e, ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	struct stat st;
	if (fstat(*fd, &st) || !S_ISREG(st.st_mode)) {
		close(*fd);
		*fd = -1;
		return err_set(e, ERR_INPUT, "%s: not a regular file", path);
	}
	*size = (uint64_t)st.st_size;
	return 0;
}

int file_read_all(const char *path, size_t max, uint8_t **buf, size_t *len,
		  struct err *e)
{
	int fd;
	uint64_t size;
	int rc = file_open_regular(path, &fd, &size, e);
	if (rc)
		return rc;
	if (size > max) {
		close(fd);
		return err_set(e, ERR_INPUT, "%s: %llu bytes, more than the limit of %zu",
			       path, (unsigned long long)size, max);
	}
	uint8_t *b = malloc((size_t)size + 1);
	if (!b) {
		close(fd);
		return err_set(e, ERR_INTERNAL, "%s: out of memory", path);
	}
	long n = fd_read_full(fd, b, (size_t)size);
	close(fd);
	if (n != (long)size) {
		free(b);
		return err_set(e, ERR_IO, "%s: short read", path);
	}
	b[n] = '\0';
	*buf = b;
	*len = (size_t)n;
	return 0;
}

long fd_read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (long)got;
}

int fd_for_each_chunk(int fd, uint64_t off, uint64_t len, uint8_t *buf, size_t bufsz, chunk_fn fn,
		      void *arg, struct err *e)
{
	while (len) {
		size_t want = len < bufsz ? (size_t)len : bufsz;
		ssize_t n = pread(fd, buf, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return err_set(e, ERR_IO, "read at 0x%llx failed%s%s", (unsigned long long)off,
				       n < 0 ? ": " : " (file shrank)", n < 0 ? strerror(errno) : "");
		int rc = fn(buf, (size_t)n, arg, e);
		if (rc)
			return rc;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

int fd_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int dir_ensure(const char *dir, int *created, struct err *e)
{
	struct stat st;
	*created = 0;
	if (!stat(dir, &st))
		return S_ISDIR(st.st_mode) ? 0 : err_set(e, ERR_IO, "%s: cannot create: %s", dir, strerror(ENOTDIR));
	if (mkdir(dir, 0755))
		return err_set(e, ERR_IO, "%s: cannot create: %s", dir, strerror(errno));
	*created = 1;
	return 0;
}

int dir_ensure_parent(const char *path, char *made, size_t madesz, struct err *e)
{
	char d[4096];
	made[0] = '\0';
	path_dirname(path, d, sizeof d);
	if (strlen(d) >= sizeof d - 1)
		return err_set(e, ERR_IO, "%s: path too long", path);
	for (char *p = d + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		struct stat st;
		if (stat(d, &st)) {
			if (mkdir(d, 0755))
				return err_set(e, ERR_IO, "%s: cannot create %s: %s", path, d, strerror(errno));
			if (!made[0])
				snprintf(made, madesz, "%s", d);
		} else if (!S_ISDIR(st.st_mode)) {
			return err_set(e, ERR_IO, "%s: cannot create: %s is not a directory", path, d);
		}
		*p = c;
		if (!c)
			return 0;
	}
}

void dir_remove_made(const char *path, const char *made)
{
	char d[4096], up[4096];
	if (!made[0])
		return;
	path_dirname(path, d, sizeof d);
	for (;;) {
		rmdir(d);
		if (!strcmp(d, made) || !strcmp(d, ".") || !strcmp(d, "/"))
			return;
		path_dirname(d, up, sizeof up);
		memcpy(d, up, sizeof d);
	}
}

void path_dirname(const char *path, char *out, size_t outsz)
{
	const char *slash = strrchr(path, '/');
	if (!slash) {
		snprintf(out, outsz, ".");
		return;
	}
	size_t n = (size_t)(slash - path);
	if (n == 0)
		n = 1;
	snprintf(out, outsz, "%.*s", (int)n, path);
}

const char *path_basename(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

int atomic_open(struct atomic_file *af, const char *path, struct err *e)
{
	memset(af, 0, sizeof *af);
	af->fd = -1;
	char dir[4096];
	path_dirname(path, dir, sizeof dir);
	if ((size_t)snprintf(af->path, sizeof af->path, "%s", path) >= sizeof af->path ||
	    (size_t)snprintf(af->tmp, sizeof af->tmp, "%s/.%s.XXXXXX", dir,
			     path_basename(path)) >= sizeof af->tmp)
		return err_set(e, ERR_USAGE, "%s: path too long", path);
	af->fd = mkostemp(af->tmp, O_CLOEXEC);
	if (af->fd < 0) {
		af->tmp[0] = '\0';
		return err_set(e, ERR_IO, "%s: cannot create a temporary file in %s: %s",
			       path, dir, strerror(errno));
	}
	fchmod(af->fd, 0644);
	return 0;
}

int atomic_open_stream(struct atomic_file *af, const char *path, struct err *e)
{
	int rc = atomic_open(af, path, e);
	if (rc)
		return rc;
	af->fp = fdopen(af->fd, "w");
	if (!af->fp) {
		atomic_abort(af);
		return err_set(e, ERR_IO, "%s: fdopen: %s", path, strerror(errno));
	}
	return 0;
}

static void fsync_dir(const char *path)
{
	char dir[4096];
	path_dirname(path, dir, sizeof dir);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
}

int atomic_close(struct atomic_file *af, struct err *e)
{
	if (af->fd < 0)
		return 0;
	int bad = 0;
	if (af->fp)
		bad = fflush(af->fp) != 0 || ferror(af->fp);
	if (!bad)
		bad = fsync(af->fd) != 0;
	int saved = errno;
	if (af->fp)
		bad |= fclose(af->fp) != 0;
	else
		bad |= close(af->fd) != 0;
	af->fp = NULL;
	af->fd = -1;
	if (bad) {
		int rc = err_set(e, ERR_IO, "%s: write failed: %s", af->path,
				 strerror(saved ? saved : errno));
		atomic_abort(af);
		return rc;
	}
	return 0;
}

int atomic_rename(struct atomic_file *af, struct err *e)
{
	if (rename(af->tmp, af->path)) {
		int r = err_set(e, ERR_IO, "%s: rename failed: %s", af->path, strerror(errno));
		atomic_abort(af);
		return r;
	}
	af->tmp[0] = '\0';
	fsync_dir(af->path);
	return 0;
}

int atomic_commit(struct atomic_file *af, struct err *e)
{
	int rc = atomic_close(af, e);
	return rc ? rc : atomic_rename(af, e);
}

void atomic_abort(struct atomic_file *af)
{
	if (af->fp)
		fclose(af->fp);
	else if (af->fd >= 0)
		close(af->fd);
	af->fp = NULL;
	af->fd = -1;
	if (af->tmp[0])
		unlink(af->tmp);
	af->tmp[0] = '\0';
}

void atomic_remove_stale(const char *path)
{
	char dir[4096], pattern[4300];
	path_dirname(path, dir, sizeof dir);
	if ((size_t)snprintf(pattern, sizeof pattern, "%s/.%s.??????", dir, path_basename(path)) >= sizeof pattern)
		return;
	glob_t g;
	if (glob(pattern, GLOB_NOSORT, NULL, &g) == 0)
		for (size_t i = 0; i < g.gl_pathc; i++)
			unlink(g.gl_pathv[i]);
	globfree(&g);
}

int file_write_atomic(const char *path, const void *buf, size_t len, struct err *e)
{
	struct atomic_file af;
	int rc = atomic_open(&af, path, e);
	if (rc)
		return rc;
	if (fd_write_all(af.fd, buf, len)) {
		rc = err_set(e, ERR_IO, "%s: write failed: %s", path, strerror(errno));
		atomic_abort(&af);
		return rc;
	}
	return atomic_commit(&af, e);
}

int path_join_inside(const char *dir, const char *name, char *out, size_t outsz,
		     struct err *e)
{
	if (!name[0])
		return err_set(e, ERR_INPUT, "empty path");
	if (name[0] == '/')
		return err_set(e, ERR_INPUT, "'%s' is absolute; paths must be relative", name);
	/* Refuse any ".." component. */
	const char *p = name;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return err_set(e, ERR_INPUT, "'%s' escapes its directory (..)", name);
		p += n;
		if (*p == '/')
			p++;
	}
	if ((size_t)snprintf(out, outsz, "%s/%s", dir, name) >= outsz)
		return err_set(e, ERR_INPUT, "'%s': path too long", name);
	/* Through symlinks too: the resolved file must lie under the directory. */
	char real_dir[PATH_MAX], real_file[PATH_MAX];
	if (!realpath(dir, real_dir))
		return err_set(e, ERR_IO, "%s: %s", dir, strerror(errno));
	if (!realpath(out, real_file))
		return err_set(e, ERR_IO, "'%s': %s", name, strerror(errno));
	size_t n = strlen(real_dir);
	if (strncmp(real_file, real_dir, n) || (real_file[n] != '/' && strcmp(real_dir, "/")))
		return err_set(e, ERR_INPUT, "'%s' resolves to %s, outside %s", name, real_file,
			       real_dir);
	return 0;
}
