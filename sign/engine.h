/* The batch: a bounded pool of worker threads over the images to sign. */
#ifndef SIGN_ENGINE_H
#define SIGN_ENGINE_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>

#include "keystore.h"
#include "manifest/sigdoc.h"

/* Most digests in one request of a store that signs batches. */
#define ENGINE_BATCH_MAX 256

struct sign_task {
	const struct mf_image *im;
	size_t store;             /* index into the engine's stores */
	int state;                /* 0 pending, 1 signed, -1 failed */
	struct sig_entry result;
	struct err err;
};

struct engine {
	struct sign_task *tasks;
	size_t n;
	struct keystore *stores;
	size_t nstores;
	int jobs;
	/* called under the engine lock after each signature (the journal) */
	void (*on_signed)(struct engine *en, const struct sign_task *t, void *arg);
	void *arg;
	/* set (by a signal handler) to stop taking new tasks; may be NULL */
	volatile sig_atomic_t *interrupted;
	/* private */
	pthread_mutex_t mu;
	size_t next, done, failed;
	size_t pending;           /* tasks to sign when the run started */
	int abort;
};

/* Runs every task; returns 0 when all signed, else the first failure's code
 * (tasks keep their own errors). Non-retryable errors stop the batch early. */
int engine_run(struct engine *en);

/* Sign one digest, convert, and verify it locally against the store's key. */
int sign_one(struct keystore *ks, void *worker, const struct mf_image *im,
	     struct sig_entry *out, struct err *e);

#endif
