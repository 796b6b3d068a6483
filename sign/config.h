#ifndef SIGN_CONFIG_H
#define SIGN_CONFIG_H

struct sign_config {
	int jobs;             /* requests in flight */
	double max_rate;      /* requests per second, all workers together */
	int max_attempts;     /* per request, retries included */
	int retry_base_ms;    /* backoff base (full jitter, doubling) */
	int retry_cap_ms;     /* backoff ceiling */
	int timeout_ms;       /* per HTTP request */
	int batch_size;       /* most digests per request of a batching store; 0: its own */
	int verbose;
	/* where verbose messages go (the library never prints); may be NULL */
	void (*log)(const char *msg);
	/* password of an encrypted PEM key (file: store only); may be NULL */
	const char *key_password;
	/* directory that relative file: key paths start from (the manifest's);
	 * NULL: the current directory */
	const char *base_dir;
	/* --gcp-access-token-file: a Google access token (gcloud auth
	 * print-access-token > FILE); NULL: the configuration's, then ADC */
	const char *gcp_access_token_file;
};

#endif
