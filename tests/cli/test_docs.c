/* --help, man pages, completion and make install agree. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers/testutil.h"

struct tool {
	char name[32];
};

static struct tool tools[] = {
	{ "stm32-prep" }, { "kms-sign-digest" }, { "stm32-assemble" }, { "stm32-inspect" }, { "stm32-sign-compat" },
};

ParameterizedTestParameters(docs, every_help_option_is_in_the_man_page_and_completion)
{
	return cr_make_param_array(struct tool, tools, sizeof tools / sizeof tools[0]);
}

ParameterizedTest(struct tool *t, docs, every_help_option_is_in_the_man_page_and_completion)
{
	/* options are the words of --help that start with - or -- */
	struct run r = run_cmd(
		"%s --help | grep -oE '(^|[ ,])--?[a-z][a-z0-9-]*' | tr -d ' ,' | sort -u > /tmp/%s.opts && "
		"test -s /tmp/%s.opts && man_text=$(sed 's/\\\\-/-/g' %s/../docs/man/%s.1) && missing='' && "
		"for o in $(cat /tmp/%s.opts); do printf '%%s' \"$man_text\" | grep -q -- \"$o\" || missing=\"$missing $o\"; "
		"grep -q -- \"$o\" %s/../contrib/bash-completion || missing=\"$missing (completion)$o\"; done; "
		"rm -f /tmp/%s.opts; test -z \"$missing\" || { echo \"missing:$missing\"; exit 1; }",
		t->name, t->name, t->name, getenv("STM32_TESTS"), t->name, t->name, getenv("STM32_TESTS"), t->name);
	cr_expect_eq(r.code, 0, "%s: %s%s", t->name, r.out, r.err);
	run_free(&r);
}

Test(docs, make_install_puts_binaries_man_pages_and_completion_in_destdir)
{
	const char *dir = tmpdir_new();
	struct run r = run_cmd("cd %s/.. && make -s install BUILD=%s DESTDIR=%s PREFIX=/usr >/dev/null && "
			       "for t in stm32-prep kms-sign-digest stm32-assemble stm32-inspect stm32-sign-compat; do "
			       "test -x %s/usr/bin/$t && man -l %s/usr/share/man/man1/$t.1 | grep -q NAME && "
			       "test -f %s/usr/share/bash-completion/completions/$t || exit 1; done",
			       getenv("STM32_TESTS"), getenv("STM32_BUILD") ? getenv("STM32_BUILD") : "build",
			       dir, dir, dir, dir);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
	tmpdir_rm(dir);
}

Test(docs, every_tool_prints_its_version)
{
	struct run r = run_cmd("for t in stm32-prep kms-sign-digest stm32-assemble stm32-inspect stm32-sign-compat; do "
			       "$t --version | grep -q \"^$t [0-9]\" || exit 1; done");
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
}
