// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * listing.c - the shape that ps and stats share: `CMD [--json] [NAME...]`,
 * one show() per named VM (every name checked first, so a bad one prints
 * nothing) or per VM of the store; --json gathers one array.
 */
#include <getopt.h>
#include <stdio.h>

#include "listing.h"

static int show_all(struct fvm_store *s, char *const *names, show_fn show, json_object *arr)
{
	int status = 0;

	for (char *const *n = names; *n; n++)
		if (show(s, *n, arr))
			status = EXIT_FVM;
	return status;
}

int cli_list_vms(int argc, char **argv, const char *cmd, const char *usage, const char *header,
		 show_fn show)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = false;
	struct fvm_error e = { 0 };
	struct fvm_store *s;
	json_object *arr = NULL;
	char **names = NULL;
	int c, status;

	while ((c = getopt_long(argc, argv, ":h", lopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': return cli_help(usage);
		default: return cli_bad_option(cmd, c, argv);
		}
	}
	s = cli_store();
	if (!s)
		return EXIT_FVM;
	for (int i = optind; i < argc; i++) {
		struct fvm_vm *vm = cli_open_vm(s, argv[i]);

		if (!vm) {
			fvm_store_free(s);
			return EXIT_FVM;
		}
		fvm_vm_free(vm);
	}
	if (optind >= argc && fvm_store_list(s, &names, &e) < 0) {
		fvm_store_free(s);
		return cli_fail(&e);
	}
	if (json)
		arr = json_object_new_array();
	else
		fputs(header, stdout);
	status = show_all(s, optind < argc ? argv + optind : names, show, arr);
	if (arr) {
		puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
		json_object_put(arr);
	}
	fvm_strv_free(names);
	fvm_store_free(s);
	return status;
}
