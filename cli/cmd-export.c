// SPDX-License-Identifier: LGPL-2.1-or-later
/* cmd-export.c - fvm export: a stopped VM's changes and settings as a tar archive (an OCI layer). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "progress.h"

static const char usage[] =
	"Usage: fvm export [OPTIONS] NAME\n"
	"\n"
	"Write the changes and settings of the stopped VM NAME as a tar archive that\n"
	"is also an OCI image layer (deletions as .wh. whiteouts, owners in the VM's\n"
	"own ids), with a manifest member (.wh..fvm-manifest.json) that fvm import\n"
	"reads: fvm's version, the VM's settings and the host it was made on.\n"
	"\n"
	"Options:\n"
	"  -o, --output FILE   write to FILE (made whole, then renamed into place);\n"
	"                      default: stdout, which must not be a terminal\n"
	"  -z, --compress ALG  none, gzip or zstd (default: from FILE's name: .tar.gz\n"
	"                      or .tgz is gzip, .tar.zst zstd, else none)\n"
	"  -h, --help          show this help\n"
	"See fvm-export(1).\n";

static int parse_compress(const char *s, enum fvm_compress *ret)
{
	if (!strcmp(s, "none"))
		*ret = FVM_COMPRESS_NONE;
	else if (!strcmp(s, "gzip"))
		*ret = FVM_COMPRESS_GZIP;
	else if (!strcmp(s, "zstd"))
		*ret = FVM_COMPRESS_ZSTD;
	else
		return -EINVAL;
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

static void on_progress(uint64_t done, uint64_t total, void *ud)
{
	cli_progress_update(ud, "MiB", (size_t)(done >> 20), (size_t)(total >> 20), 0, 0);
}

static int export_to(struct fvm_vm *vm, const char *out, enum fvm_compress z)
{
	struct fvm_export_opts o = { .compress = z, .progress = on_progress };
	struct fvm_error e = { 0 };
	struct cli_progress p;
	char tmp[4096];
	int fd, r;

	cli_progress_init(&p, "exporting");
	o.userdata = &p;
	if (!out) {
		if (isatty(1))
			return cli_errorf("not writing an archive to a terminal: give -o FILE or redirect stdout");
		r = fvm_vm_export(vm, 1, &o, &e);
		cli_progress_end(&p);
		return r < 0 ? cli_fail(&e) : 0;
	}
	{
		char *d = strdup(out), *b = strdup(out);

		if (!d || !b)
			return cli_errorf("out of memory");
		snprintf(tmp, sizeof(tmp), "%s/.%s.fvm-export-%d", dirname(d), basename(b), (int)getpid());
		free(d);
		free(b);
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return cli_errorf("cannot create %s: %s", tmp, strerror(errno));
	r = fvm_vm_export(vm, fd, &o, &e);
	cli_progress_end(&p);
	if (r == 0 && (fsync(fd) < 0 || close(fd) < 0))
		r = cli_errorf("cannot write %s: %s", tmp, strerror(errno));
	else if (r < 0)
		close(fd);
	if (r == 0 && rename(tmp, out) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return e.msg[0] ? cli_fail(&e) : cli_errorf("cannot write %s: %s", out, strerror(-r));
	}
	return 0;
}

int cmd_export(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "compress", required_argument, NULL, 'z' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *out = NULL, *alg = NULL;
	enum fvm_compress z = FVM_COMPRESS_NONE;
	struct fvm_store *s;
	struct fvm_vm *vm;
	int c, r;

	while ((c = getopt_long(argc, argv, ":o:z:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'z': alg = optarg; break;
		case 'h': return cli_help(usage);
		default: return cli_bad_option("export", c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error("export", "no VM name given");
	if (optind + 1 < argc)
		return cli_usage_error("export", "one VM at a time ('%s' is one too many)", argv[optind + 1]);
	if (alg && parse_compress(alg, &z) < 0)
		return cli_usage_error("export", "--compress is none, gzip or zstd, not '%s'", alg);
	if (!alg && out)
		z = ends_with(out, ".gz") || ends_with(out, ".tgz") ? FVM_COMPRESS_GZIP :
		    ends_with(out, ".zst") ? FVM_COMPRESS_ZSTD : FVM_COMPRESS_NONE;
	s = cli_store();
	if (!s)
		return EXIT_FVM;
	vm = cli_open_vm(s, argv[optind]);
	r = vm ? export_to(vm, out, z) : EXIT_FVM;
	fvm_vm_free(vm);
	fvm_store_free(s);
	return r;
}
