// SPDX-License-Identifier: LGPL-2.1-or-later
/* cmd-cp.c - fvm cp: copy files between a VM and the host. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

static const char usage[] =
	"Usage: fvm cp NAME:PATH HOSTPATH\n"
	"       fvm cp HOSTPATH NAME:PATH\n"
	"\n"
	"Copy a file, a symlink or a directory (recursively) out of the VM NAME or\n"
	"into it. PATH is absolute, in the VM's view, and goes through no symlink\n"
	"(fvm cp refuses one; a symlink at its end is copied as a symlink). Out of a\n"
	"VM (running or stopped) files land as yours, without set-uid/set-gid bits,\n"
	"and a HOSTPATH that is a symlink is refused, never followed. Into a VM (it\n"
	"must be stopped) files land in its copy-on-write layer as the VM root's,\n"
	"as if the VM wrote them: see them with 'fvm diff NAME'.\n"
	"\n"
	"Options:\n"
	"  -h, --help   show this help\n"
	"See fvm-cp(1).\n";

/* "NAME:PATH" with PATH absolute: NAME's end in *ret_colon. */
static bool vm_spec(const char *s, const char **ret_colon)
{
	const char *c = strchr(s, ':');

	if (!c || c == s || c[1] != '/' || memchr(s, '/', (size_t)(c - s)))
		return false;
	*ret_colon = c;
	return true;
}

int cmd_cp(int argc, char **argv)
{
	static const struct option lopts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	const char *src, *dst, *colon;
	char name[FVM_NAME_MAX + 1];
	struct fvm_error e = { 0 };
	struct fvm_store *s;
	struct fvm_vm *vm;
	bool out;
	int c, r;

	while ((c = getopt_long(argc, argv, ":h", lopts, NULL)) != -1)
		return c == 'h' ? cli_help(usage) : cli_bad_option("cp", c, argv);
	if (argc - optind != 2)
		return cli_usage_error("cp", "give a source and a destination, one of them NAME:/PATH");
	src = argv[optind];
	dst = argv[optind + 1];
	out = vm_spec(src, &colon);
	if (out == vm_spec(dst, &colon) || (!out && !vm_spec(dst, &colon)))
		return cli_usage_error("cp", "exactly one of '%s' and '%s' must be NAME:/PATH (an absolute path in the VM)",
				       src, dst);
	if (!out)
		vm_spec(dst, &colon);
	{
		const char *spec = out ? src : dst;
		size_t n = (size_t)(colon - spec);

		if (n > FVM_NAME_MAX)
			return cli_usage_error("cp", "no VM name is that long: '%.*s'", (int)n, spec);
		memcpy(name, spec, n);
		name[n] = '\0';
	}
	s = cli_store();
	if (!s)
		return EXIT_FVM;
	vm = cli_open_vm(s, name);
	if (!vm) {
		fvm_store_free(s);
		return EXIT_FVM;
	}
	r = out ? fvm_vm_copy_out(vm, colon + 1, dst, &e) : fvm_vm_copy_in(vm, src, colon + 1, &e);
	fvm_vm_free(vm);
	fvm_store_free(s);
	return r < 0 ? cli_fail(&e) : 0;
}
