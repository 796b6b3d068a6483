/* --json: exactly one JSON document per run on stdout, success or failure.
 * For the tools' front ends (main and the command functions), not for library
 * code: it keeps one report per process and prints it once, at the end.
 *
 *   {"tool": "stm32-prep", "ok": true, "exit_code": 0, ...the tool's fields...}
 *   {"tool": "stm32-prep", "ok": false, "exit_code": 3, "error": "...", ...}
 *
 * The schema of each tool's fields is in docs/formats.md ("JSON output"). */
#ifndef COMMON_JSONRUN_H
#define COMMON_JSONRUN_H

#include <json-c/json.h>

/* Start the report of tool; when active is 0 nothing is ever printed. */
void jsonrun_start(const char *tool, int active);
/* The document to add the tool's fields to (never NULL after jsonrun_start). */
json_object *jsonrun_doc(void);
int jsonrun_active(void);
/* Print "tool: message" on stderr and keep the first such message as "error". */
void jsonrun_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Add ok, exit_code (and error when exit_code is not 0), print the document
 * when active, free it, and return exit_code. */
int jsonrun_end(int exit_code);

#endif
