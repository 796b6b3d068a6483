/* Debian's fiptool (arm-trusted-firmware-tools) as an independent oracle for
 * tbbr/fip.c, with fresh random images and certificate stand-ins each run:
 * `fiptool create` writes our bytes, `fiptool unpack` of our FIP gives back
 * the files, `fiptool info` lists what fip_parse finds, and fiptool's table
 * (names, UUIDs, order) is ours. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "tbbr/fip.h"
#include "tests/helpers/testutil.h"

#define MAX_E 48
#define CFG_UUID "501d8dd2-8bce-49a5-84eb-559a9f2eaeaf"
#define DDR_UUID "b11249be-92dd-4b10-867c-2c6a4b47a7fb"

/* A set of entries: fiptool option names (or "uuid=..." blobs, in the order
 * given), --align, --plat-toc-flags, and one entry left empty (or -1). */
struct set {
	const char *what;
	const char *names[MAX_E];
	unsigned align;
	unsigned toc_flags; /* the 16 bits of --plat-toc-flags */
	int empty;
};

static const struct set sets[] = {
	{ "MP13 chain", { "nt-fw-cert", "tos-fw", "nt-fw", "hw-config", "fw-config", "trusted-key-cert",
			  "tos-fw-key-cert", "tos-fw-cert", "nt-fw-key-cert", "uuid=" CFG_UUID }, 1, 0, -1 },
	{ "MP25 chain, DDR firmware and cfg cert as blobs",
	  { "tos-fw", "nt-fw", "soc-fw", "soc-fw-config", "hw-config", "fw-config", "trusted-key-cert",
	    "uuid=" DDR_UUID, "tos-fw-key-cert", "tos-fw-cert", "nt-fw-key-cert", "nt-fw-cert", "soc-fw-key-cert",
	    "soc-fw-cert", "uuid=" CFG_UUID }, 1, 0, -1 },
	{ "blobs in the order given, aligned, flags, an empty image",
	  { "uuid=ffeeddcc-0000-1111-2222-333344445555", "nt-fw", "uuid=00112233-4455-6677-8899-aabbccddeeff",
	    "tos-fw", "soc-fw" }, 512, 0x5a, 3 },
};

/* Every option Debian's fiptool knows, from its own help. */
static size_t fiptool_options(char names[MAX_E][32])
{
	struct run r = run_cmd("fiptool help create");
	cr_assert_eq(r.code, 0, "fiptool (Debian arm-trusted-firmware-tools) missing? %s", r.err);
	size_t n = 0;
	for (char *l = strtok(r.out, "\n"); l && n < MAX_E; l = strtok(NULL, "\n")) {
		int end = 0; /* set only when "FILENAME" follows: not --align, --blob */
		if (sscanf(l, "  --%31[a-z0-9-] FILENAME%n", names[n], &end) == 1 && end)
			n++;
	}
	run_free(&r);
	return n;
}

static void random_file(const char *path, size_t max)
{
	uint8_t *b = malloc(max);
	uint32_t len;
	cr_assert(b && RAND_bytes((uint8_t *)&len, sizeof len) == 1 && RAND_bytes(b, (int)max) == 1);
	write_file(path, b, 1 + len % max);
	free(b);
}

/* The files of a set (dir/0 ... dir/n-1) and fiptool's command line. */
static size_t make_set(const struct set *s, const char *dir, char *args, size_t argsz)
{
	size_t n = 0, used = 0;
	for (; n < MAX_E && s->names[n]; n++) {
		char f[16];
		snprintf(f, sizeof f, "%zu", n);
		if ((int)n == s->empty)
			write_file(pjoin(dir, f), "", 0);
		else
			random_file(pjoin(dir, f), n % 3 ? 3000 : 200000);
		const char *nm = s->names[n];
		used += (size_t)snprintf(args + used, argsz - used, !strncmp(nm, "uuid=", 5) ? " --blob %s,file=%s/%s"
					 : " --%s %s/%s", nm, dir, f);
		cr_assert_lt(used, argsz);
	}
	return n;
}

/* Our FIP of the same files, handed over in the set's order (fiptool's
 * order comes from fip_sort_as_fiptool; blobs keep the order given). */
static void build_ours(const struct set *s, size_t n, const char *dir, struct buf *out, uint8_t **data)
{
	struct fip_entry v[MAX_E];
	for (size_t i = 0; i < n; i++) {
		size_t k = i;
		char f[16];
		snprintf(f, sizeof f, "%zu", k);
		const char *nm = s->names[k];
		int rc = strncmp(nm, "uuid=", 5) ? fip_name_uuid(nm, v[i].uuid) : fip_uuid_parse(nm + 5, v[i].uuid);
		cr_assert_eq(rc, 0, "%s", nm);
		data[k] = read_file(pjoin(dir, f), &v[i].len);
		v[i].data = data[k];
		v[i].flags = 0;
	}
	fip_sort_as_fiptool(v, n);
	struct err e = { 0 };
	cr_assert_eq(fip_build_opts(v, n, s->align, (uint64_t)s->toc_flags << 32, out, &e), 0, "%s", e.msg);
}

static size_t idx[] = { 0, 1, 2 };

ParameterizedTestParameters(fiptool, packs_the_same_bytes_as_fip_build)
{
	return cr_make_param_array(size_t, idx, sizeof sets / sizeof sets[0]);
}

ParameterizedTest(size_t *k, fiptool, packs_the_same_bytes_as_fip_build)
{
	const struct set *s = &sets[*k];
	const char *dir = tmpdir_new();
	static char args[8192];
	size_t n = make_set(s, dir, args, sizeof args);
	struct run r = run_cmd("fiptool create --align %u --plat-toc-flags %x %s %s/theirs.fip", s->align,
			       s->toc_flags, args, dir);
	cr_assert_eq(r.code, 0, "%s: %s", s->what, r.err);
	run_free(&r);
	struct buf ours;
	uint8_t *data[MAX_E];
	buf_init(&ours, 1u << 24);
	build_ours(s, n, dir, &ours, data);
	size_t len;
	uint8_t *theirs = read_file(pjoin(dir, "theirs.fip"), &len);
	cr_assert_eq(buf_len(&ours), len, "%s: %zu bytes, fiptool %zu", s->what, buf_len(&ours), len);
	cr_expect(!memcmp(buf_cstr(&ours), theirs, len), "%s: our bytes differ from fiptool's", s->what);
	free(theirs);
	buf_free(&ours);
	for (size_t i = 0; i < n; i++)
		free(data[i]);
	tmpdir_rm(dir);
}

/* fiptool unpack names a file <option>.bin, a blob <UUID in capitals>.bin. */
static const char *unpacked_name(const char *nm, char *out, size_t outsz)
{
	if (strncmp(nm, "uuid=", 5)) {
		snprintf(out, outsz, "%s.bin", nm);
		return out;
	}
	size_t i = 0;
	for (; nm[5 + i] && i + 5 < outsz; i++)
		out[i] = (char)(nm[5 + i] >= 'a' && nm[5 + i] <= 'f' ? nm[5 + i] - 'a' + 'A' : nm[5 + i]);
	snprintf(out + i, outsz - i, ".bin");
	return out;
}

ParameterizedTestParameters(fiptool, unpacks_our_fip_to_the_same_files)
{
	return cr_make_param_array(size_t, idx, sizeof sets / sizeof sets[0]);
}

ParameterizedTest(size_t *k, fiptool, unpacks_our_fip_to_the_same_files)
{
	const struct set *s = &sets[*k];
	const char *dir = tmpdir_new();
	static char args[8192];
	size_t n = make_set(s, dir, args, sizeof args);
	struct buf ours;
	uint8_t *data[MAX_E];
	buf_init(&ours, 1u << 24);
	build_ours(s, n, dir, &ours, data);
	write_file(pjoin(dir, "ours.fip"), buf_cstr(&ours), buf_len(&ours));
	struct run r = run_cmd("mkdir %s/out && fiptool unpack --out %s/out %s/ours.fip", dir, dir, dir);
	cr_assert_eq(r.code, 0, "%s: %s", s->what, r.err);
	run_free(&r);
	int files = 0;
	for (size_t i = 0; i < n; i++) {
		char name[64], path[256];
		size_t len, want;
		snprintf(path, sizeof path, "%s/out/%s", dir, unpacked_name(s->names[i], name, sizeof name));
		char f[16];
		snprintf(f, sizeof f, "%zu", i);
		uint8_t *orig = read_file(pjoin(dir, f), &want), *got = read_file(path, &len);
		if ((int)i == s->empty) {
			cr_expect_null(got, "%s: the empty image is not in the FIP", s->what);
		} else {
			cr_assert_not_null(got, "%s: fiptool unpacked no %s", s->what, name);
			cr_expect(len == want && !memcmp(orig, got, len), "%s: %s differs", s->what, name);
			files++;
		}
		free(orig);
		free(got);
		free(data[i]);
	}
	cr_expect_eq(dir_count(pjoin(dir, "out")), files, "%s: fiptool unpacked other files", s->what);
	buf_free(&ours);
	tmpdir_rm(dir);
}

/* fiptool info of our FIP: "NAME: offset=0x1C8, size=0x249F1, cmdline="--tos-fw"" in
 * its order, which is ours: the same offsets and sizes fip_parse finds. */
ParameterizedTestParameters(fiptool, info_lists_what_fip_parse_finds)
{
	return cr_make_param_array(size_t, idx, sizeof sets / sizeof sets[0]);
}

ParameterizedTest(size_t *k, fiptool, info_lists_what_fip_parse_finds)
{
	const struct set *s = &sets[*k];
	const char *dir = tmpdir_new();
	static char args[8192];
	size_t n = make_set(s, dir, args, sizeof args), m;
	struct buf ours;
	uint8_t *data[MAX_E];
	buf_init(&ours, 1u << 24);
	build_ours(s, n, dir, &ours, data);
	write_file(pjoin(dir, "ours.fip"), buf_cstr(&ours), buf_len(&ours));
	struct fip_entry v[MAX_E];
	struct err e = { 0 };
	const uint8_t *b = (const uint8_t *)buf_cstr(&ours);
	cr_assert_eq(fip_parse(b, buf_len(&ours), v, MAX_E, &m, &e), 0, "%s", e.msg);
	struct run r = run_cmd("fiptool info %s/ours.fip", dir);
	cr_assert_eq(r.code, 0, "%s", r.err);
	size_t i = 0;
	for (char *l = strtok(r.out, "\n"); l; l = strtok(NULL, "\n"), i++) {
		unsigned long long off, size;
		char cmd[40], label[64];
		const char *p = strstr(l, ": offset=");
		cr_assert(p && sscanf(p, ": offset=0x%llX, size=0x%llX, cmdline=\"--%39[^\"]", &off, &size, cmd) == 3, "%s", l);
		cr_assert_lt(i, m, "%s: fiptool lists more entries than fip_parse", s->what);
		cr_expect_eq(off, (unsigned long long)(v[i].data - b), "%s: %s", s->what, l);
		cr_expect_eq(size, v[i].len, "%s: %s", s->what, l);
		const char *ours_name = fip_uuid_name(v[i].uuid);
		fip_entry_label(v[i].uuid, label, sizeof label);
		if (!strcmp(cmd, "blob"))
			cr_expect(!ours_name || !strcmp(ours_name, "ddr-fw") || !strcmp(ours_name, "stm32mp-cfg-cert"),
				  "%s: fiptool's blob is our %s", s->what, label);
		else
			cr_expect_str_eq(label, cmd, "%s", s->what);
	}
	cr_expect_eq(i, m, "%s: fiptool lists %zu entries, fip_parse %zu", s->what, i, m);
	run_free(&r);
	buf_free(&ours);
	for (size_t j = 0; j < n; j++)
		free(data[j]);
	tmpdir_rm(dir);
}

Test(fiptool, has_our_table_names_uuids_and_order)
{
	char names[MAX_E][32];
	size_t n = fiptool_options(names), nt;
	const struct fip_name *t = fip_table(&nt);
	size_t generic = 0;
	while (generic < nt && !t[generic].st_only)
		generic++;
	cr_assert_eq(n, generic, "fiptool knows %zu images, our table %zu", n, generic);
	for (size_t i = 0; i < n; i++)
		cr_expect_str_eq(t[i].name, names[i], "row %zu", i);
	/* the UUIDs: a FIP of one-byte images, one per option, listed in order */
	const char *dir = tmpdir_new();
	char args[8192];
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		write_file(pjoin(dir, names[i]), "x", 1);
		used += (size_t)snprintf(args + used, sizeof args - used, " --%s %s/%s", names[i], dir, names[i]);
	}
	struct run r = run_cmd("fiptool create %s %s/all.fip", args, dir);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	size_t len, m;
	uint8_t *b = read_file(pjoin(dir, "all.fip"), &len);
	struct fip_entry v[MAX_E];
	struct err e = { 0 };
	cr_assert_eq(fip_parse(b, len, v, MAX_E, &m, &e), 0, "%s", e.msg);
	cr_assert_eq(m, n);
	for (size_t i = 0; i < n; i++) {
		char text[37];
		fip_uuid_format(v[i].uuid, text);
		cr_expect_str_eq(text, t[i].uuid_text, "%s", t[i].name);
	}
	free(b);
	tmpdir_rm(dir);
}
