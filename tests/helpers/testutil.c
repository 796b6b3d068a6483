#include "testutil.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *slurp(const char *path)
{
	size_t len;
	uint8_t *b = read_file(path, &len);
	return b ? (char *)b : strdup("");
}

struct run run_cmd(const char *fmt, ...)
{
	char cmd[16384], full[20000];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	char out[] = "/tmp/stm32t-out-XXXXXX", errp[] = "/tmp/stm32t-err-XXXXXX";
	close(mkstemp(out));
	close(mkstemp(errp));
	const char *bin = getenv("STM32_BIN");
	snprintf(full, sizeof full, "PATH='%s':\"$PATH\"; export PATH; ( %s ) >%s 2>%s </dev/null",
		 bin ? bin : "build/bin", cmd, out, errp);
	int st = system(full);
	struct run r;
	r.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r.out = slurp(out);
	r.err = slurp(errp);
	unlink(out);
	unlink(errp);
	return r;
}

void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

const char *tmpdir_new(void)
{
	static char dirs[8][64];
	static int i;
	char *d = dirs[i++ % 8];
	snprintf(d, 64, "/tmp/stm32t-XXXXXX");
	if (!mkdtemp(d))
		abort();
	return d;
}

void tmpdir_rm(const char *dir)
{
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd)) {
	}
}

const char *fixture(const char *rel)
{
	static char bufs[8][4096];
	static int i;
	char *b = bufs[i++ % 8];
	const char *t = getenv("STM32_TESTS");
	snprintf(b, 4096, "%s/%s", t ? t : "tests", rel);
	return b;
}

const char *pjoin(const char *dir, const char *name)
{
	static char bufs[16][4096];
	static int i;
	char *b = bufs[i++ % 16];
	snprintf(b, 4096, "%s/%s", dir, name);
	return b;
}

uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc((size_t)n + 1);
	if (fread(b, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(b);
		return NULL;
	}
	fclose(f);
	b[n] = 0;
	if (len)
		*len = (size_t)n;
	return b;
}

int file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	fwrite(data, 1, len, f);
	fclose(f);
}

int dir_count(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

#if defined(__SANITIZE_ADDRESS__)
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <sanitizer/lsan_interface.h>
/* The runner process is Criterion's, not ours: BoxFort, its sandbox, loses a
 * 48-byte timeout request when two tests with a .timeout end at once under
 * --jobs 2 (bxfi_cancel_timeout unlinks from its list wrongly), and
 * LeakSanitizer failed make test on it. Each test runs in a process of its own,
 * started afresh, where leaks are still checked. */
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	(void)set;
	__lsan_disable();
}
#endif
