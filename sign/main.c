/* kms-sign-digest: sign a manifest's digests with AWS KMS, a PKCS#11 token or
 * (for development) a PEM file. It never sees firmware: only digests. */
#include <curl/curl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "common/jsonrun.h"
#include "common/err.h"
#include "common/num.h"

static const char usage_text[] =
	"Usage:\n"
	"  kms-sign-digest MANIFEST -o SIGNATURES [OPTIONS]\n"
	"  kms-sign-digest pubkey URI [-o KEY.pem]\n"
	"  kms-sign-digest audit verify AUDIT.jsonl\n"
	"\n"
	"Signs every digest of a manifest written by stm32-prep with the key its\n"
	"URI names, after checking that key is the one the manifest expects, and\n"
	"verifies every signature before writing it.\n"
	"\n"
	"Key URIs:  awskms:///alias/NAME | awskms:///arn:aws:kms:... | awskms://HOST:PORT/KEYID\n"
	"           pkcs11:token=T;object=O (module and PIN from the signer configuration;\n"
	"           the pubkey verb also takes ?module-path=...&pin-source=file:...)\n"
	"           hashivault://KEY?version=N | openbao://KEY?version=N (VAULT_ADDR, VAULT_TOKEN)\n"
	"           azurekms://NAME.vault.azure.net/KEY/VERSION (or NAME.managedhsm.azure.net)\n"
	"           gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/N\n"
	"           file:key.pem (development only)\n"
	"\n"
	"Options:\n"
	"  -o, --output FILE     signatures document (pubkey: PEM file; default stdout);\n"
	"                        missing directories are made\n"
	"  --config FILE         signer configuration: the keys this host signs with, their\n"
	"                        PKCS#11 module and PIN source, AWS settings and policy\n"
	"                        (default $XDG_CONFIG_HOME/stm32-kms-sign/signer.yaml)\n"
	"  -j, --jobs N          requests in flight (default 8)\n"
	"  --max-rate R          requests per second, all jobs together (default 200)\n"
	"  --max-attempts N      attempts per request, retries included (default 12)\n"
	"  --batch-size N        most digests per request where the store signs batches\n"
	"                        (Vault, OpenBao: default 64; 1 sends one request each)\n"
	"  --gcp-access-token-file FILE\n"
	"                        Google Cloud KMS: an access token in a file (gcloud auth\n"
	"                        print-access-token > FILE), before GOOGLE_APPLICATION_CREDENTIALS\n"
	"                        and the metadata server\n"
	"  --audit-log FILE      append one hash-chained JSON line per signature\n"
	"                        (also audit_log: in the signer configuration)\n"
	"  --review              print what would be signed, the keys and their policy,\n"
	"                        and sign nothing (with --json: as JSON)\n"
	"  --resume              keep valid signatures already in the output, sign the rest\n"
	"  --json                one JSON document on stdout (with -q and on failure too)\n"
	"  -q, --quiet           no summary\n"
	"  -v, --verbose         log each request (AWS KMS: each retry) to stderr, never secrets\n"
	"  -h, --help            this help\n"
	"  -V, --version         version\n"
	"\n"
	"Environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,\n"
	"AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE, AWS_REGION,\n"
	"AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL, AWS_USE_FIPS_ENDPOINT,\n"
	"AWS_CA_BUNDLE, AWS_CONTAINER_CREDENTIALS_FULL_URI / _RELATIVE_URI,\n"
	"AWS_EC2_METADATA_DISABLED, HTTPS_PROXY, NO_PROXY; Google: GOOGLE_APPLICATION_CREDENTIALS,\n"
	"GCE_METADATA_HOST, CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS,\n"
	"CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE (Vault, Azure: see the README).\n"
	"\n"
	"Exit codes: 0 all signed, 1 a key or signature check failed, 2 usage,\n"
	"3 malformed manifest, 4 i/o, 5 key store or network.\n";

static void on_interrupt(int sig)
{
	(void)sig;
	sign_interrupted = 1; /* a second one ends the process (SA_RESETHAND) */
}

static void catch_interrupts(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_interrupt;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void log_stderr(const char *msg)
{
	fprintf(stderr, "kms-sign-digest: %s\n", msg);
}

static int usage(const char *msg)
{
	jsonrun_error("%s", msg);
	fprintf(stderr, "Try 'kms-sign-digest --help'.\n");
	return ERR_USAGE;
}

/* Known before the options are parsed, so that a usage error is JSON too.
 * --review prints its own document. */
static int wants_json(int argc, char **argv)
{
	int json = 0, review = 0;
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		json |= !strcmp(argv[i], "--json");
		review |= !strcmp(argv[i], "--review");
	}
	return json && !review;
}

static int run(int argc, char **argv, struct sign_opts *o);

static int parse_int(const char *arg, int lo, int hi, int *out)
{
	uint64_t v;
	if (num_parse_u64(arg, (uint64_t)hi, &v) || (int)v < lo)
		return -1;
	*out = (int)v;
	return 0;
}

static int parse_opt(struct sign_opts *o, int c, const char *arg)
{
	int v;
	switch (c) {
	case 'o': o->output = arg; return 0;
	case 'j':
		if (parse_int(arg, 1, 256, &o->cfg.jobs))
			return usage("--jobs takes 1 to 256");
		return 0;
	case 'r':
		if (parse_int(arg, 1, 100000, &v))
			return usage("--max-rate takes 1 to 100000 requests per second");
		o->cfg.max_rate = v;
		return 0;
	case 'a':
		if (parse_int(arg, 1, 100, &o->cfg.max_attempts))
			return usage("--max-attempts takes 1 to 100");
		return 0;
	case 'B':
		if (parse_int(arg, 1, 256, &o->cfg.batch_size))
			return usage("--batch-size takes 1 to 256");
		return 0;
	case 'C': o->config = arg; return 0;
	case 'G': o->cfg.gcp_access_token_file = arg; return 0;
	case 'L': o->audit_log = arg; return 0;
	case 'R': o->review = 1; return 0;
	case 'S': o->resume = 1; return 0;
	case 'J': o->json = 1; return 0;
	case 'q': o->quiet = 1; return 0;
	case 'v': o->cfg.verbose++; return 0;
	}
	return usage("unknown or incomplete option");
}

int main(int argc, char **argv)
{
	/* a full disk or ulimit -f: write() fails with EFBIG and is reported */
	signal(SIGXFSZ, SIG_IGN);
	/* libcurl with CURLOPT_NOSIGNAL (threads) leaves SIGPIPE to us: a write to
	 * a connection the server reset must be an error, not the end of the run */
	signal(SIGPIPE, SIG_IGN);
	struct sign_opts o = {
		.cfg = { .jobs = 8, .max_rate = 200, .max_attempts = 12, .retry_base_ms = 50,
			 .retry_cap_ms = 4000, .timeout_ms = 30000, .log = log_stderr },
	};
	jsonrun_start("kms-sign-digest", wants_json(argc, argv));
	return jsonrun_end(run(argc, argv, &o));
}

static int run(int argc, char **argv, struct sign_opts *o)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' }, { "jobs", required_argument, NULL, 'j' },
		{ "max-rate", required_argument, NULL, 'r' },
		{ "max-attempts", required_argument, NULL, 'a' },
		{ "batch-size", required_argument, NULL, 'B' },
		{ "config", required_argument, NULL, 'C' },
		{ "gcp-access-token-file", required_argument, NULL, 'G' },
		{ "audit-log", required_argument, NULL, 'L' },
		{ "review", no_argument, NULL, 'R' }, { "resume", no_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'J' }, { "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' }, { NULL, 0, NULL, 0 },
	};
	int c, rc;
	while ((c = getopt_long(argc, argv, "o:j:qvhV", opts, NULL)) != -1) {
		if (c == 'h' || c == 'V') {
			jsonrun_start("kms-sign-digest", 0); /* the text asked for, and nothing else */
			if (c == 'h')
				fputs(usage_text, stdout);
			else
				printf("kms-sign-digest %s\n", STM32_SIGN_VERSION);
			return 0;
		}
		if ((rc = parse_opt(o, c, optarg)))
			return rc;
	}
	int nargs = argc - optind;
	if (nargs == 2 && !strcmp(argv[optind], "pubkey"))
		o->pubkey_uri = argv[optind + 1];
	else if (nargs == 3 && !strcmp(argv[optind], "audit") && !strcmp(argv[optind + 1], "verify"))
		o->audit_verify = argv[optind + 2];
	else if (nargs == 1)
		o->manifest = argv[optind];
	else
		return usage(nargs ? "too many arguments" : "missing MANIFEST");
	if (o->manifest && !o->output && !o->review)
		return usage("missing -o SIGNATURES");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	catch_interrupts();
	rc = o->pubkey_uri ? cmd_pubkey(o) : o->audit_verify ? cmd_audit_verify(o) : cmd_sign(o);
	curl_global_cleanup();
	return rc;
}
