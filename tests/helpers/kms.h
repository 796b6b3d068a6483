/* The loopback KMS endpoint (tests/tools/kms_server.py), started per test. */
#ifndef TESTS_KMS_H
#define TESTS_KMS_H

#include <sys/types.h>

struct kms_srv {
	pid_t pid;
	int port;
	char dir[64];
	char env[1024];  /* "export ...;" to put before a command */
};

/* Start tests/tools/<script> (a loopback fake that prints "READY <port>"
 * and writes DIR/kms-cert.pem) with args; env is left empty. 0 on success. */
int fake_start(struct kms_srv *s, const char *script, const char *dir, const char *args);
/* keys: server arguments, e.g. "--key k1=/path/k1.pem". 0 on success. */
int kms_start(struct kms_srv *s, const char *dir, const char *keys);
/* Start with fixture keys: "alias=kN ..." gives --key alias=tests/fixtures/keys/kN.pem;
 * a bare "kN" is its own alias. Asserts that the endpoint started. */
void kms_start_fixture_keys(struct kms_srv *s, const char *dir, const char *keys);
void kms_stop(struct kms_srv *s);
int kms_control(struct kms_srv *s, const char *json);
int kms_reset(struct kms_srv *s);
/* A counter from /_stats ("sign", "requests", "connections", ...). */
long kms_stat(struct kms_srv *s, const char *name);
/* Largest number of Sign calls any single digest received. */
long kms_max_per_digest(struct kms_srv *s);
/* After a batch of n digests through a fake throttling about 20 % of its
 * answers (one request per digest): each digest signed exactly once, over
 * n/10 throttled answers retried, and one token for the batch. */
void expect_throttled_batch(struct kms_srv *s, long n);

#endif
