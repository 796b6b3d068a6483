#include "ratelimit.h"

#include <errno.h>
#include <stdint.h>
#include <time.h>

#include <openssl/rand.h>

double now_monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sleep_seconds(double s)
{
	if (s <= 0)
		return;
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void ratelimit_init(struct ratelimit *rl, double per_second)
{
	pthread_mutex_init(&rl->mu, NULL);
	rl->interval = per_second > 0 ? 1.0 / per_second : 0;
	rl->next = 0;
}

void ratelimit_wait(struct ratelimit *rl)
{
	if (rl->interval <= 0)
		return;
	pthread_mutex_lock(&rl->mu);
	double now = now_monotonic();
	double slot = rl->next > now ? rl->next : now;
	rl->next = slot + rl->interval;
	pthread_mutex_unlock(&rl->mu);
	sleep_seconds(slot - now);
}

static struct ratelimit process_rl;
static int process_rl_ready;

struct ratelimit *ratelimit_shared(double per_second)
{
	if (!process_rl_ready) {
		ratelimit_init(&process_rl, per_second);
		process_rl_ready = 1;
	}
	return &process_rl;
}

double backoff_jitter(int base_ms, int cap_ms, int attempt)
{
	double cap = cap_ms / 1000.0;
	double exp = base_ms / 1000.0 * (double)(1u << (attempt > 20 ? 20 : attempt));
	uint32_t r = 0;
	RAND_bytes((unsigned char *)&r, sizeof r);
	return (exp < cap ? exp : cap) * ((double)r / 4294967296.0); /* full jitter */
}
