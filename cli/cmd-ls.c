// SPDX-License-Identifier: LGPL-2.1-or-later
/* cmd-ls.c - fvm ls: the VMs of the store. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "common.h"
#include "drift.h"

#define DRIFT_NOTES 16   /* VMs the table's notes name, at most */

static const char usage[] =
	"Usage: fvm ls [--json] [-q]\n"
	"\n"
	"List the VMs: name, state (running or stopped), disk used by their changes,\n"
	"when they were created, and their service ('fvm start NAME -- COMMAND'): its\n"
	"state (running, restarting, exited, failed, stopped, dead), the user it runs\n"
	"as if not root, and command. A note on stderr names each VM whose copies the\n"
	"host has changed since.\n"
	"\n"
	"Options:\n"
	"      --json    one JSON array of {name, state, changes_bytes, created,\n"
	"                service: null or {state, command, user}, host_changed: how many\n"
	"                of its files the host changed since the VM copied them}\n"
	"  -q, --quiet   names only\n"
	"  -h, --help    show this help\n"
	"See fvm-ls(1).\n";

static json_object *service_json(const struct fvm_service_status *svc)
{
	json_object *o;

	if (!svc->defined || !(o = json_object_new_object()))
		return NULL;
	json_object_object_add(o, "state", json_object_new_string(svc->state));
	json_object_object_add(o, "command", json_object_new_string(svc->command));
	json_object_object_add(o, "user", json_object_new_string(svc->user[0] ? svc->user : "root"));
	return o;
}

/* "running: nginx -g daemon off;" ("running as www-data: ..." for a user) cut to fit, or "-" */
static void print_service(const struct fvm_service_status *svc)
{
	char cmd[41];

	if (!svc->defined) {
		puts("-");
		return;
	}
	snprintf(cmd, sizeof(cmd), "%.40s", svc->command);
	printf("%s", svc->state);
	if (svc->user[0]) {
		fputs(" as ", stdout);
		cli_put_escaped(stdout, svc->user);
	}
	fputs(": ", stdout);
	cli_put_escaped(stdout, cmd);
	puts(strlen(svc->command) >= sizeof(cmd) ? "..." : "");
}

/* The VMs whose copies the host changed since, for the notes after the table. */
struct drift_notes {
	size_t n;
	size_t count[DRIFT_NOTES + 1];
	char name[DRIFT_NOTES][FVM_NAME_MAX + 1];
};

/* One VM @vm, named @name: an object in @arr (--json), else a row of the table. */
static void list_one(struct fvm_vm *vm, const char *name, json_object *arr, struct drift_notes *dn)
{
	struct fvm_service_status svc;
	uint64_t size = 0;
	bool running, partial;
	time_t t;

	running = fvm_vm_running(vm, NULL) == 1;
	if (fvm_vm_service_status(vm, &svc, NULL) < 0)
		svc.defined = false;
	fvm_vm_changes_size(vm, &size, NULL);
	t = fvm_vm_created(vm);
	if (arr) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "state", json_object_new_string(running ? "running" : "stopped"));
		json_object_object_add(o, "changes_bytes", json_object_new_int64((int64_t)size));
		json_object_object_add(o, "created", json_object_new_int64((int64_t)t));
		json_object_object_add(o, "service", service_json(&svc));
		json_object_object_add(o, "host_changed", json_object_new_int64((int64_t)cli_drift(vm, &partial)));
		json_object_array_add(arr, o);
	} else {
		char sz[32], when[32];
		struct tm tm;

		cli_size(size, false, sz, sizeof(sz));
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime_r(&t, &tm));
		printf("%-24s %-8s %10s  %-16s  ", name, running ? "running" : "stopped", sz, when);
		print_service(&svc);
		dn->count[dn->n] = cli_drift(vm, &partial);
		if (dn->count[dn->n] && dn->n < DRIFT_NOTES)
			snprintf(dn->name[dn->n++], FVM_NAME_MAX + 1, "%s", name);
	}
}

int cmd_ls(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = false, quiet = false;
	struct fvm_error e = { 0 };
	struct fvm_store *s;
	json_object *arr = NULL;
	char **names;
	struct drift_notes dn = { 0 };
	int c, status = 0;

	while ((c = getopt_long(argc, argv, ":qh", lopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'q': quiet = true; break;
		case 'h': return cli_help(usage);
		default: return cli_bad_option("ls", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("ls", "unexpected argument '%s'", argv[optind]);
	s = cli_store();
	if (!s)
		return EXIT_FVM;
	if (fvm_store_list(s, &names, &e) < 0) {
		fvm_store_free(s);
		return cli_fail(&e);
	}
	if (json)
		arr = json_object_new_array();
	else if (!quiet)
		printf("%-24s %-8s %10s  %-16s  %s\n", "NAME", "STATE", "CHANGES", "CREATED", "SERVICE");
	for (char **n = names; *n; n++) {
		struct fvm_vm *vm;

		if (quiet) {
			puts(*n);
			continue;
		}
		vm = cli_open_vm(s, *n);
		if (!vm) {
			status = EXIT_FVM;   /* said why; list the others */
			continue;
		}
		list_one(vm, *n, arr, &dn);
		fvm_vm_free(vm);
	}
	for (size_t i = 0; i < dn.n; i++)
		fprintf(stderr, "fvm: note: %zu file%s VM '%s' copied %s changed on the host since: see 'fvm diff --conflicts %s'\n",
			dn.count[i], dn.count[i] == 1 ? "" : "s", dn.name[i], dn.count[i] == 1 ? "has" : "have",
			dn.name[i]);
	if (json) {
		puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
		json_object_put(arr);
	}
	fvm_strv_free(names);
	fvm_store_free(s);
	return status;
}
