/* The signature journal: one line per signature, appended with write() the
 * moment it arrives ("id digest der-base64 signer"), so a killed run loses
 * nothing it was paid for; --resume reads it back. */
#ifndef SIGN_JOURNAL_H
#define SIGN_JOURNAL_H

#include <stddef.h>

#include "manifest/sigdoc.h"

/* OUTPUT.journal */
void journal_path(const char *output, char *out, size_t n);
/* Append one signature; 0 or -1. */
int journal_write(int fd, const struct sig_entry *s);
/* Add the journal's signatures for images of m to prev (not yet verified:
 * the caller checks each against the manifest). Torn lines are skipped.
 * Returns how many were added. */
int journal_read(const char *path, const struct manifest *m, struct sigdoc *prev);

#endif
