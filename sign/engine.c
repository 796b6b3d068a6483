#include "engine.h"

#include "common/uri.h"

#include <stdlib.h>
#include <string.h>

/* Verify a signature the store returned, before it is recorded: a bad
 * signature never leaves. */
static int record(const struct keystore *ks, const struct mf_image *im, const struct ks_sig *sig,
		  struct sig_entry *out, struct err *e)
{
	if (ecdsa_verify_digest(&ks->pub, im->digest, sig->raw, e))
		return err_set(e, ERR_VERIFY,
			       "image %s: the signature returned by %s does not verify with its public key",
			       im->id, ks->signer);
	memset(out, 0, sizeof *out);
	snprintf(out->id, sizeof out->id, "%s", im->id);
	out->algo = ks->pub.algo;
	memcpy(out->digest, im->digest, mf_digest_len(im));
	uri_redact(im->key_uri, out->key_uri, sizeof out->key_uri);
	snprintf(out->signer, sizeof out->signer, "%s", sig->signer[0] ? sig->signer : ks->signer);
	memcpy(out->public_key, ks->pub.xy, ecc_xy_len(ks->pub.algo));
	memcpy(out->der, sig->der, sig->der_len);
	out->der_len = sig->der_len;
	memcpy(out->raw, sig->raw, ecc_sig_len(ks->pub.algo));
	return 0;
}

int sign_one(struct keystore *ks, void *worker, const struct mf_image *im,
	     struct sig_entry *out, struct err *e)
{
	struct ks_sig sig;
	memset(&sig, 0, sizeof sig);
	int rc = ks->ops->sign(ks, worker, im->digest, mf_digest_len(im), &sig, e);
	if (rc)
		return err_prefix(e, "image %s", im->id);
	return record(ks, im, &sig, out, e);
}

/* Digests per request for a store: its batch size, but spread evenly over
 * the workers so that a small batch still runs in parallel (1000 digests,
 * 32 jobs: 32 requests of 32, one round trip each). */
static size_t batch_size(const struct engine *en, size_t store)
{
	const struct keystore *ks = &en->stores[store];
	if (!ks->ops->sign_batch || ks->batch_max < 2)
		return 1;
	size_t jobs = en->jobs < 1 ? 1 : (size_t)en->jobs;
	size_t share = (en->pending + jobs - 1) / jobs;
	size_t max = ks->batch_max < ENGINE_BATCH_MAX ? ks->batch_max : ENGINE_BATCH_MAX;
	return share < 1 ? 1 : share < max ? share : max;
}

/* The next pending tasks: one, or a run of tasks of the same store. */
static size_t take(struct engine *en, struct sign_task **out)
{
	size_t n = 0, cap = 1;
	pthread_mutex_lock(&en->mu);
	while (!en->abort && !(en->interrupted && *en->interrupted) && en->next < en->n && n < cap) {
		struct sign_task *c = &en->tasks[en->next];
		if (c->state != 0) {
			en->next++;
			continue;
		}
		if (n && c->store != out[0]->store)
			break;
		if (!n)
			cap = batch_size(en, c->store);
		out[n++] = c;
		en->next++;
	}
	pthread_mutex_unlock(&en->mu);
	return n;
}

static void finish(struct engine *en, struct sign_task *t, int rc)
{
	pthread_mutex_lock(&en->mu);
	if (rc) {
		t->state = -1;
		en->failed++;
		/* Throttling and faults are retried below this level; what reaches
		 * here (access, state, validation, a bad signature) will not heal. */
		en->abort = 1;
	} else {
		t->state = 1;
		en->done++;
		if (en->on_signed)
			en->on_signed(en, t, en->arg);
	}
	pthread_mutex_unlock(&en->mu);
}

/* A run of tasks in one request; each keeps its own outcome. */
static void sign_many(struct engine *en, struct keystore *ks, void *w, struct sign_task **b, size_t n)
{
	const uint8_t *digests[ENGINE_BATCH_MAX];
	int rcs[ENGINE_BATCH_MAX];
	struct ks_sig *sigs = calloc(n, sizeof *sigs);
	struct err *errs = calloc(n, sizeof *errs);
	for (size_t i = 0; i < n; i++) {
		digests[i] = b[i]->im->digest;
		rcs[i] = sigs && errs ? 0 : err_set(&b[i]->err, ERR_INTERNAL, "out of memory");
	}
	if (sigs && errs)
		ks->ops->sign_batch(ks, w, digests, mf_digest_len(b[0]->im), n, sigs, rcs, errs);
	for (size_t i = 0; i < n; i++) {
		int rc = rcs[i];
		if (rc && errs) {
			b[i]->err = errs[i];
			err_prefix(&b[i]->err, "image %s", b[i]->im->id);
		}
		if (!rc)
			rc = record(ks, b[i]->im, &sigs[i], &b[i]->result, &b[i]->err);
		finish(en, b[i], rc);
	}
	free(sigs);
	free(errs);
}

static void *worker_main(void *arg)
{
	struct engine *en = arg;
	void **ws = calloc(en->nstores, sizeof *ws);
	struct sign_task *b[ENGINE_BATCH_MAX];
	size_t n;
	while (ws && (n = take(en, b))) {
		struct keystore *ks = &en->stores[b[0]->store];
		int rc = 0;
		if (!ws[b[0]->store] && !(ws[b[0]->store] = ks->ops->worker_open(ks, &b[0]->err)))
			rc = b[0]->err.code ? (int)b[0]->err.code : ERR_KEYSTORE;
		if (rc || n == 1) {
			if (!rc)
				rc = sign_one(ks, ws[b[0]->store], b[0]->im, &b[0]->result, &b[0]->err);
			for (size_t i = 1; i < n; i++)
				b[i]->err = b[0]->err;
			for (size_t i = 0; i < n; i++)
				finish(en, b[i], rc);
		} else {
			sign_many(en, ks, ws[b[0]->store], b, n);
		}
	}
	for (size_t i = 0; ws && i < en->nstores; i++)
		if (ws[i])
			en->stores[i].ops->worker_close(&en->stores[i], ws[i]);
	free(ws);
	return NULL;
}

int engine_run(struct engine *en)
{
	pthread_mutex_init(&en->mu, NULL);
	en->next = en->done = en->failed = en->pending = 0;
	for (size_t i = 0; i < en->n; i++)
		en->pending += en->tasks[i].state == 0;
	en->abort = 0;
	int jobs = en->jobs < 1 ? 1 : en->jobs;
	if ((size_t)jobs > en->n)
		jobs = en->n ? (int)en->n : 1;
	pthread_t *th = calloc((size_t)jobs, sizeof *th);
	int started = 0;
	for (int i = 0; th && i < jobs; i++)
		if (!pthread_create(&th[i], NULL, worker_main, en))
			started++;
	if (!started)
		worker_main(en);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	free(th);
	pthread_mutex_destroy(&en->mu);
	for (size_t i = 0; i < en->n; i++)
		if (en->tasks[i].state == -1)
			return en->tasks[i].err.code ? (int)en->tasks[i].err.code : ERR_KEYSTORE;
	for (size_t i = 0; i < en->n; i++)
		if (en->tasks[i].state == 0)
			return ERR_KEYSTORE; /* stopped early */
	return 0;
}
