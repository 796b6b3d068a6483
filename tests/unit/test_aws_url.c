/* Which credential endpoints may be plain http: loopback hosts only. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "sign/aws_creds.h"

struct url_case {
	char url[80];
	int ok;
};

static struct url_case url_cases[] = {
	{ "http://127.0.0.1:8080/creds", 1 },
	{ "http://127.9.9.9/creds", 1 },
	{ "http://localhost:1234/x", 1 },
	{ "http://[::1]:80/x", 1 },
	{ "https://creds.example.com/x", 1 },
	{ "http://localhost.attacker.example/", 0 },
	{ "http://127.0.0.1.attacker.example/", 0 },
	{ "http://1270.0.0.1/", 0 },
	{ "http://169.254.170.23/", 0 },
	{ "http://example.com/", 0 },
	{ "ftp://127.0.0.1/", 0 },
	{ "not a url", 0 },
};

ParameterizedTestParameters(aws_url, regression_only_loopback_hosts_may_be_plain_http)
{
	return cr_make_param_array(struct url_case, url_cases, sizeof url_cases / sizeof url_cases[0]);
}

ParameterizedTest(struct url_case *c, aws_url, regression_only_loopback_hosts_may_be_plain_http)
{
	/* A prefix test accepted http://localhost.attacker.example/. */
	cr_expect_eq(aws_loopback_or_https(c->url), c->ok, "%s", c->url);
}
