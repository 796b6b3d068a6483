#include "jsonrun.h"

#include <stdarg.h>
#include <stdio.h>

#include "err.h"

static struct {
	const char *tool;
	int active;
	json_object *doc;
	char error[ERR_MSG_MAX];
} run;

void jsonrun_start(const char *tool, int active)
{
	json_object_put(run.doc);
	run.tool = tool;
	run.active = active;
	run.doc = json_object_new_object();
	run.error[0] = '\0';
	json_object_object_add(run.doc, "tool", json_object_new_string(tool));
}

json_object *jsonrun_doc(void)
{
	if (!run.doc)
		jsonrun_start("?", 0);
	return run.doc;
}

int jsonrun_active(void)
{
	return run.active;
}

void jsonrun_error(const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", run.tool ? run.tool : "error", msg);
	if (!run.error[0])
		snprintf(run.error, sizeof run.error, "%s", msg);
}

int jsonrun_end(int exit_code)
{
	json_object *d = jsonrun_doc();
	json_object_object_add(d, "ok", json_object_new_boolean(exit_code == 0));
	json_object_object_add(d, "exit_code", json_object_new_int(exit_code));
	if (exit_code)
		json_object_object_add(d, "error", json_object_new_string(run.error[0] ? run.error : "failed"));
	if (run.active) {
		printf("%s\n", json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		fflush(stdout);
	}
	json_object_put(d);
	run.doc = NULL;
	return exit_code;
}
