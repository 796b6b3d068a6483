/* The AWS profile keys of roles and IAM Identity Center, and when
 * credentials that expire are fetched again. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sign/aws_creds.h"

static const char CONFIG[] =
	"[profile signer]\n"
	"role_arn = arn:aws:iam::111122223333:role/signer\n"
	"source_profile = base\n"
	"external_id = ext-42\n"
	"role_session_name = release-42\n"
	"duration_seconds = 900\n"
	"mfa_serial = arn:aws:iam::111122223333:mfa/op\n"
	"[profile sso]\n"
	"sso_session = corp\n"
	"sso_account_id = 111122223333\n"
	"sso_role_name = SignerAccess\n"
	"[sso-session corp]\n"
	"sso_start_url = https://corp.awsapps.com/start\n"
	"sso_region = eu-west-1\n";

Test(aws_profile, role_keys_are_read_from_the_profile)
{
	struct aws_profile p;
	struct err e;
	memset(&p, 0, sizeof p);
	snprintf(p.name, sizeof p.name, "signer");
	cr_assert_eq(aws_profile_parse(CONFIG, "config", &p, 1, &e), 0);
	cr_expect_str_eq(p.role_arn, "arn:aws:iam::111122223333:role/signer");
	cr_expect_str_eq(p.source_profile, "base");
	cr_expect_str_eq(p.external_id, "ext-42");
	cr_expect_str_eq(p.role_session_name, "release-42");
	cr_expect_str_eq(p.duration_seconds, "900");
	cr_expect_str_eq(p.mfa_serial, "arn:aws:iam::111122223333:mfa/op");
	cr_expect_eq(p.sso_session[0], '\0');
}

Test(aws_profile, an_sso_session_section_gives_the_start_url_and_region)
{
	struct aws_profile p;
	struct err e;
	memset(&p, 0, sizeof p);
	snprintf(p.name, sizeof p.name, "sso");
	cr_assert_eq(aws_profile_parse(CONFIG, "config", &p, 1, &e), 0);
	cr_expect_str_eq(p.sso_session, "corp");
	cr_expect_eq(p.sso_start_url[0], '\0', "the profile section has no start URL");
	cr_assert_eq(aws_profile_parse(CONFIG, "config", &p, 2, &e), 0);
	cr_expect_str_eq(p.sso_start_url, "https://corp.awsapps.com/start");
	cr_expect_str_eq(p.sso_region, "eu-west-1");
	cr_expect(aws_profile_is_sso(&p));
}

struct due_case {
	long life;    /* expiration - obtained */
	long elapsed; /* now - obtained */
	int due;
};

static struct due_case due_cases[] = {
	{ 3600, 0, 0 },    { 3600, 3299, 0 }, { 3600, 3300, 1 }, /* 5 minutes before */
	{ 900, 599, 0 },   { 900, 600, 1 },                      /* STS's shortest session */
	{ 4, 1, 0 },       { 4, 2, 1 },                          /* short ones: at half-life */
	{ 60, 29, 0 },     { 60, 30, 1 },
	{ 0, 100000, 0 },                                        /* no expiration */
};

Test(aws_profile, credentials_are_due_five_minutes_before_expiry_or_at_half_life)
{
	for (size_t i = 0; i < sizeof due_cases / sizeof due_cases[0]; i++) {
		struct due_case *c = &due_cases[i];
		struct aws_creds k;
		memset(&k, 0, sizeof k);
		time_t now = time(NULL);
		k.obtained = now - c->elapsed;
		k.expiration = c->life ? k.obtained + c->life : 0;
		cr_expect_eq(aws_creds_refresh_due(&k), c->due, "life %ld, %ld s in", c->life, c->elapsed);
	}
}
