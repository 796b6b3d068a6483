#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/sha.h>

#include "common/fileio.h"
#include "common/hex.h"

#define AUDIT_MAX (256u << 20)

/* Walk the lines of text; *prev ends as the hash of the last line. 0, or the
 * 1-based number of the first broken line. */
static size_t walk(const char *text, size_t len, uint8_t prev[32], size_t *lines, char *why, size_t wn)
{
	size_t off = 0, n = 0;
	memset(prev, 0, 32);
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t l = nl ? (size_t)(nl - (text + off)) : len - off;
		char want[65], line[4096];
		n++;
		hex_encode(prev, 32, want);
		snprintf(line, sizeof line, "%.*s", (int)(l < sizeof line ? l : sizeof line - 1), text + off);
		json_object *o = !nl ? NULL : json_tokener_parse(line), *p = NULL;
		int ok = o && l < sizeof line && json_object_object_get_ex(o, "prev", &p) &&
			 !strcmp(json_object_get_string(p), want);
		snprintf(why, wn, "%s", !nl ? "is not ended by a newline (a torn write)"
				    : !o ? "is not a JSON object"
				    : "does not carry the SHA-256 of the line before it (a line was "
				      "edited, deleted or inserted)");
		json_object_put(o);
		if (!ok) {
			*lines = n;
			return n;
		}
		SHA256((const unsigned char *)text + off, l, prev);
		off += l + 1;
	}
	*lines = n;
	return 0;
}

int audit_verify(const char *path, size_t *lines, struct err *e)
{
	uint8_t *text, prev[32];
	size_t len, bad;
	char why[160];
	*lines = 0;
	int rc = file_read_all(path, AUDIT_MAX, &text, &len, e);
	if (rc)
		return rc;
	bad = walk((const char *)text, len, prev, lines, why, sizeof why);
	free(text);
	if (bad)
		return err_set(e, ERR_VERIFY, "%s: line %zu %s", path, bad, why);
	return 0;
}

int audit_open(struct audit *a, const char *path, struct err *e)
{
	uint8_t *text = NULL;
	size_t len = 0, lines, bad = 0;
	char why[160];
	snprintf(a->path, sizeof a->path, "%s", path);
	a->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (a->fd < 0)
		return err_set(e, ERR_IO, "audit log %s: cannot open: %s", path, strerror(errno));
	/* one run at a time: two runs reading the same last line would fork the chain */
	int rc = flock(a->fd, LOCK_EX | LOCK_NB)
		? err_set(e, ERR_IO, "audit log %s is in use by another kms-sign-digest run: one run at a time per log",
			  path)
		: file_read_all(path, AUDIT_MAX, &text, &len, e);
	if (!rc)
		bad = walk((const char *)text, len, a->prev, &lines, why, sizeof why);
	free(text);
	if (!rc && bad)
		rc = err_set(e, ERR_VERIFY, "audit log %s: line %zu %s: nothing is appended to a broken "
			     "chain", path, bad, why);
	if (rc) {
		close(a->fd);
		a->fd = -1;
	}
	return rc;
}

static char *line_of(const struct audit *a, const struct sig_entry *s, const char *principal)
{
	char t[32], hex[2 * ECC_RAW_SIG_MAX + 1], prev[65];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "time", json_object_new_string(t));
	hex_encode(a->manifest_sha256, 32, hex);
	json_object_object_add(o, "manifest_sha256", json_object_new_string(hex));
	json_object_object_add(o, "release", json_object_new_string(a->release ? a->release : ""));
	json_object_object_add(o, "image", json_object_new_string(s->id));
	hex_encode(s->digest, ecc_digest_len(s->algo), hex);
	json_object_object_add(o, "digest", json_object_new_string(hex));
	json_object_object_add(o, "key_uri", json_object_new_string(s->key_uri));
	json_object_object_add(o, "key", json_object_new_string(s->signer));
	json_object_object_add(o, "principal", json_object_new_string(principal ? principal : ""));
	json_object_object_add(o, "algorithm", json_object_new_string(ecc_algo_name(s->algo)));
	hex_encode(s->raw, ecc_sig_len(s->algo), hex);
	json_object_object_add(o, "signature", json_object_new_string(hex));
	hex_encode(a->prev, 32, prev);
	json_object_object_add(o, "prev", json_object_new_string(prev));
	char *line = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return line;
}

int audit_append(struct audit *a, const struct sig_entry *s, const char *principal, struct err *e)
{
	if (a->fd < 0)
		return 0;
	char *line = line_of(a, s, principal);
	if (!line)
		return err_set(e, ERR_INTERNAL, "out of memory");
	size_t n = strlen(line);
	line[n] = '\n';
	int rc = fd_write_all(a->fd, line, n + 1) || fsync(a->fd)
			 ? err_set(e, ERR_IO, "audit log %s: cannot append: %s", a->path, strerror(errno)) : 0;
	if (!rc)
		SHA256((const unsigned char *)line, n, a->prev);
	free(line);
	return rc;
}

void audit_close(struct audit *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
}
