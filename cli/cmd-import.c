// SPDX-License-Identifier: LGPL-2.1-or-later
/* cmd-import.c - fvm import: a new VM from an archive made by fvm export (or an OCI layer). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common.h"
#include "progress.h"

static const char usage[] =
	"Usage: fvm import [OPTIONS] FILE [NAME]\n"
	"\n"
	"Make the VM NAME (default: the name in the archive) from FILE, an archive\n"
	"of fvm export or any OCI image layer (tar, plain, gzip or zstd; '-' reads\n"
	"stdin). The archive is treated as hostile: no member may land outside the\n"
	"VM's layers; device nodes and set-uid/set-gid files are refused; sizes and\n"
	"names are bounded; settings that loosen isolation (--net host, ports,\n"
	"--share, --cow, --caps, --seccomp) are dropped. On any error nothing is\n"
	"imported. A warning says when this host differs from the exporting one.\n"
	"\n"
	"Options:\n"
	"      --allow-devices       import device nodes\n"
	"      --allow-setid         import set-uid and set-gid files\n"
	"      --trust-settings      apply every setting of the archive\n"
	"      --max-size BYTES      bound on all file content (default 64G)\n"
	"      --max-file-size BYTES bound on one file (default 16G)\n"
	"      --max-entries N       bound on archive members (default 2000000)\n"
	"      --json                print the report as JSON on stdout\n"
	"  -h, --help                show this help\n"
	"Sizes take K, M, G or T. See fvm-import(1).\n";

static int parse_size(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -EINVAL;
	switch (*end) {
	case 'T': v <<= 10; /* fall through */
	case 'G': v <<= 10; /* fall through */
	case 'M': v <<= 10; /* fall through */
	case 'K': v <<= 10; end++; break;
	case '\0': break;
	default: return -EINVAL;
	}
	if (*end || !v)
		return -EINVAL;
	*ret = v;
	return 0;
}

static void on_progress(uint64_t bytes, size_t members, void *ud)
{
	cli_progress_update(ud, "members", members, 0, bytes, 0);
}

static void print_report(const char *json)
{
	json_object *o = json_tokener_parse(json), *v, *w;

	if (!o)
		return;
	fprintf(stderr, "fvm: imported VM '");
	cli_put_escaped(stderr, json_object_object_get_ex(o, "name", &v) ? json_object_get_string(v) : "?");
	fprintf(stderr, "': %lld files, %lld bytes, %lld deletions\n",
		json_object_object_get_ex(o, "files", &v) ? (long long)json_object_get_int64(v) : 0,
		json_object_object_get_ex(o, "bytes", &v) ? (long long)json_object_get_int64(v) : 0,
		json_object_object_get_ex(o, "whiteouts", &v) ? (long long)json_object_get_int64(v) : 0);
	if (json_object_object_get_ex(o, "warnings", &w))
		for (size_t i = 0; i < json_object_array_length(w); i++) {
			fputs("fvm: warning: ", stderr);
			cli_put_escaped(stderr, json_object_get_string(json_object_array_get_idx(w, i)));
			fputc('\n', stderr);
		}
	json_object_put(o);
}

static int import_from(const char *file, struct fvm_import_opts *o, bool json)
{
	struct fvm_error e = { 0 };
	struct cli_progress p;
	struct fvm_store *s;
	char *report = NULL;
	int fd = strcmp(file, "-") ? open(file, O_RDONLY | O_CLOEXEC) : 0;
	int r;

	if (fd < 0)
		return cli_errorf("cannot open %s: %s", file, strerror(errno));
	s = cli_store();
	if (!s)
		return EXIT_FVM;
	cli_progress_init(&p, "importing");
	o->progress = on_progress;
	o->userdata = &p;
	r = fvm_store_import(s, fd, o, &report, &e);
	cli_progress_end(&p);
	if (fd > 0)
		close(fd);
	fvm_store_free(s);
	if (r < 0)
		return cli_fail(&e);
	if (json)
		printf("%s\n", report);
	else
		print_report(report);
	free(report);
	return 0;
}

int cmd_import(int argc, char **argv)
{
	enum { O_DEV = 256, O_SETID, O_TRUST, O_MAXS, O_MAXF, O_MAXE, O_JSON };
	static const struct option lopts[] = {
		{ "allow-devices", no_argument, NULL, O_DEV },
		{ "allow-setid", no_argument, NULL, O_SETID },
		{ "trust-settings", no_argument, NULL, O_TRUST },
		{ "max-size", required_argument, NULL, O_MAXS },
		{ "max-file-size", required_argument, NULL, O_MAXF },
		{ "max-entries", required_argument, NULL, O_MAXE },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct fvm_import_opts o = { 0 };
	bool json = false;
	uint64_t n;
	int c;

	while ((c = getopt_long(argc, argv, ":h", lopts, NULL)) != -1) {
		switch (c) {
		case O_DEV: o.allow_devices = true; break;
		case O_SETID: o.allow_setid = true; break;
		case O_TRUST: o.trust_settings = true; break;
		case O_MAXS:
		case O_MAXF:
		case O_MAXE:
			if (parse_size(optarg, &n) < 0)
				return cli_usage_error("import", "bad number '%s'", optarg);
			if (c == O_MAXS)
				o.max_bytes = n;
			else if (c == O_MAXF)
				o.max_file_bytes = n;
			else
				o.max_entries = (size_t)n;
			break;
		case O_JSON: json = true; break;
		case 'h': return cli_help(usage);
		default: return cli_bad_option("import", c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error("import", "no archive given");
	if (optind + 2 < argc)
		return cli_usage_error("import", "'%s' is one argument too many", argv[optind + 2]);
	o.name = optind + 1 < argc ? argv[optind + 1] : NULL;
	return import_from(argv[optind], &o, json);
}
