/* A client-side rate limit shared by all workers: requests are spaced at
 * 1/rate seconds, whatever the number of threads. */
#ifndef SIGN_RATELIMIT_H
#define SIGN_RATELIMIT_H

#include <pthread.h>

struct ratelimit {
	pthread_mutex_t mu;
	double interval;  /* seconds between requests */
	double next;      /* monotonic time of the next free slot */
};

void ratelimit_init(struct ratelimit *rl, double per_second);
void ratelimit_wait(struct ratelimit *rl);
/* The limiter of the process (--max-rate is for all keys and stores
 * together), set up by the first store opened (before any worker starts). */
struct ratelimit *ratelimit_shared(double per_second);
double now_monotonic(void);
void sleep_seconds(double s);
/* Seconds to wait before retry number `attempt` (1, 2...): exponential
 * backoff from base_ms, capped at cap_ms, with full jitter (uniform in
 * [0, that]), so that clients retrying together spread out. */
double backoff_jitter(int base_ms, int cap_ms, int attempt);

#endif
