#include "journal.h"

#include <stdio.h>
#include <string.h>

#include "common/fileio.h"
#include "common/hex.h"
#include "common/uri.h"

void journal_path(const char *output, char *out, size_t n)
{
	snprintf(out, n, "%s.journal", output);
}

int journal_write(int fd, const struct sig_entry *s)
{
	char digest[2 * ECC_DIGEST_MAX + 1], der[4 * ((ECC_DER_SIG_MAX + 2) / 3) + 1], line[2048];
	hex_encode(s->digest, ecc_digest_len(s->algo), digest);
	b64_encode(s->der, s->der_len, der);
	int n = snprintf(line, sizeof line, "%s %s %s %s\n", s->id, digest, der, s->signer);
	if (n <= 0 || (size_t)n >= sizeof line)
		return -1;
	return fd_write_all(fd, line, (size_t)n);
}

static int parse_line(const char *line, const struct manifest *m, struct sig_entry *s)
{
	char id[MF_ID_MAX], digest[2 * ECC_DIGEST_MAX + 1], der[256], signer[MF_URI_MAX];
	const struct mf_image *im;
	memset(s, 0, sizeof *s);
	if (sscanf(line, "%63s %96s %255s %511s", id, digest, der, signer) != 4 ||
	    !(im = manifest_find(m, id)) || hex_decode_exact(digest, s->digest, mf_digest_len(im)) ||
	    sig_parse_any(der, im->key.algo, s->raw, NULL) ||
	    b64_decode(der, s->der, sizeof s->der, &s->der_len))
		return -1;
	s->algo = im->key.algo;
	snprintf(s->id, sizeof s->id, "%s", id);
	snprintf(s->signer, sizeof s->signer, "%s", signer);
	uri_redact(im->key_uri, s->key_uri, sizeof s->key_uri);
	memcpy(s->public_key, im->key.xy, ecc_xy_len(im->key.algo));
	return 0;
}

int journal_read(const char *path, const struct manifest *m, struct sigdoc *prev)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	char line[2048];
	int n = 0;
	while (fgets(line, sizeof line, f)) {
		struct sig_entry s;
		if (!parse_line(line, m, &s) && !sigdoc_find(prev, s.id) && !sigdoc_add(prev, &s, NULL))
			n++;
	}
	fclose(f);
	return n;
}
