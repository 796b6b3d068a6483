/* stm32-sign-compat: a drop-in for ST's signing-tool command line. */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "compat.h"

int main(int argc, char **argv)
{
	/* a full disk or ulimit -f: write() fails with EFBIG and is reported */
	signal(SIGXFSZ, SIG_IGN);
	/* libcurl with CURLOPT_NOSIGNAL (threads) leaves SIGPIPE to us: a write to
	 * a connection the server reset must be an error, not the end of the run */
	signal(SIGPIPE, SIG_IGN);
	struct compat_opts o;
	memset(&o, 0, sizeof o);
	o.cfg = (struct sign_config){ .jobs = 1, .max_rate = 50, .max_attempts = 12,
				      .retry_base_ms = 50, .retry_cap_ms = 4000, .timeout_ms = 30000 };
	int rc = compat_parse(argc, argv, &o);
	if (rc)
		return rc;
	o.cfg.key_password = o.password;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = compat_run(&o);
	curl_global_cleanup();
	return rc;
}
