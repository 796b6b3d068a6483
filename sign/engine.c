#include "engine.h"

#include "common/uri.h"

#include <stdlib.h>
#include <string.h>

int sign_one(struct keystore *ks, void *worker, const struct mf_image *im,
	     struct sig_entry *out, struct err *e)
{
	struct ks_sig sig;
	memset(&sig, 0, sizeof sig);
	int rc = ks->ops->sign(ks, worker, im->digest, mf_digest_len(im), &sig, e);
	if (rc)
		return err_prefix(e, "image %s", im->id);
	/* Verified here, before it is recorded: a bad signature never leaves. */
	if (ecdsa_verify_digest(&ks->pub, im->digest, sig.raw, e))
		return err_set(e, ERR_VERIFY,
			       "image %s: the signature returned by %s does not verify with its public key",
			       im->id, ks->signer);
	memset(out, 0, sizeof *out);
	snprintf(out->id, sizeof out->id, "%s", im->id);
	out->algo = ks->pub.algo;
	memcpy(out->digest, im->digest, mf_digest_len(im));
	uri_redact(im->key_uri, out->key_uri, sizeof out->key_uri);
	snprintf(out->signer, sizeof out->signer, "%s", sig.signer[0] ? sig.signer : ks->signer);
	memcpy(out->public_key, ks->pub.xy, ecc_xy_len(ks->pub.algo));
	memcpy(out->der, sig.der, sig.der_len);
	out->der_len = sig.der_len;
	memcpy(out->raw, sig.raw, ecc_sig_len(ks->pub.algo));
	return 0;
}

static struct sign_task *take(struct engine *en)
{
	struct sign_task *t = NULL;
	pthread_mutex_lock(&en->mu);
	while (!en->abort && en->next < en->n) {
		struct sign_task *c = &en->tasks[en->next++];
		if (c->state == 0) {
			t = c;
			break;
		}
	}
	pthread_mutex_unlock(&en->mu);
	return t;
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

static void *worker_main(void *arg)
{
	struct engine *en = arg;
	void **ws = calloc(en->nstores, sizeof *ws);
	struct sign_task *t;
	while (ws && (t = take(en))) {
		struct keystore *ks = &en->stores[t->store];
		int rc = 0;
		if (!ws[t->store] && !(ws[t->store] = ks->ops->worker_open(ks, &t->err)))
			rc = t->err.code ? (int)t->err.code : ERR_KEYSTORE;
		if (!rc)
			rc = sign_one(ks, ws[t->store], t->im, &t->result, &t->err);
		finish(en, t, rc);
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
	en->next = en->done = en->failed = 0;
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
