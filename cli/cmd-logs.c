// SPDX-License-Identifier: LGPL-2.1-or-later
/* cmd-logs.c - fvm logs: what a VM's service wrote (see fvm start NAME -- COMMAND). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static const char usage[] =
	"Usage: fvm logs [-f] [--since WHEN] [-t] NAME\n"
	"\n"
	"Print what the service of the VM NAME (fvm start NAME -- COMMAND) wrote on\n"
	"its stdout and stderr, oldest line first: the last 1 to 2 MiB of it. On a\n"
	"terminal, control characters are shown escaped (\\xNN).\n"
	"\n"
	"Options:\n"
	"  -f, --follow        go on printing new lines until the service ends\n"
	"      --since WHEN    only lines from WHEN on: a duration back from now\n"
	"                      (30s, 10m, 2h, 1d), a Unix time (@1733000000), or a\n"
	"                      local time (2026-12-01 10:00[:SS], or with a T)\n"
	"  -t, --timestamps    start each line with the time it was logged\n"
	"  -h, --help          show this help\n"
	"See fvm-logs(1).\n";

struct logs_ctx {
	bool tty, stamps;
};

static int print_line(const struct fvm_log_line *l, void *ud)
{
	const struct logs_ctx *c = ud;

	if (c->stamps) {
		char when[40];
		struct tm tm;

		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", localtime_r(&l->time.tv_sec, &tm));
		printf("%s.%06ld ", when, l->time.tv_nsec / 1000);
	}
	if (c->tty) {
		char *s = strndup(l->text, l->len);

		if (!s)
			return -1;
		cli_put_escaped(stdout, s);
		free(s);
	} else {
		fwrite(l->text, 1, l->len, stdout);
	}
	putchar('\n');
	return fflush(stdout) == 0 ? 0 : -1;   /* a closed pipe (| head) ends it */
}

/* --since WHEN into a Unix time. Return: 0, or -1 when WHEN is no time. */
static int parse_since(const char *s, time_t *ret)
{
	time_t now = time(NULL);
	struct tm tm = { 0 };
	char *end;
	long long v;

	if (s[0] == '@') {
		v = strtoll(s + 1, &end, 10);
		if (end == s + 1 || *end || v < 0)
			return -1;
		*ret = (time_t)v;
		return 0;
	}
	v = strtoll(s, &end, 10);
	if (end != s && v >= 0 && end[0] && !end[1] && strchr("smhd", end[0])) {
		*ret = now - (time_t)(v * (end[0] == 's' ? 1 : end[0] == 'm' ? 60 : end[0] == 'h' ? 3600 : 86400));
		return 0;
	}
	tm.tm_isdst = -1;
	if (((end = strptime(s, "%Y-%m-%d %H:%M", &tm)) || (end = strptime(s, "%Y-%m-%dT%H:%M", &tm))) &&
	    (!*end || (end[0] == ':' && (end = strptime(end + 1, "%S", &tm)) && !*end))) {
		*ret = mktime(&tm);
		return *ret == (time_t)-1 ? -1 : 0;
	}
	return -1;
}

int cmd_logs(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "since", required_argument, NULL, 'S' },
		{ "timestamps", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct logs_ctx ctx = { .tty = isatty(1) };
	struct fvm_logs_opts o = { .fn = print_line, .userdata = &ctx };
	struct fvm_error e = { 0 };
	struct fvm_store *s;
	struct fvm_vm *vm;
	int c, r;

	while ((c = getopt_long(argc, argv, ":fth", lopts, NULL)) != -1) {
		switch (c) {
		case 'f': o.follow = true; break;
		case 't': ctx.stamps = true; break;
		case 'S':
			if (parse_since(optarg, &o.since) < 0)
				return cli_usage_error("logs", "bad --since '%s': a duration (30s, 10m, 2h, 1d), @UNIXTIME or 'YYYY-MM-DD HH:MM[:SS]'",
						       optarg);
			break;
		case 'h': return cli_help(usage);
		default: return cli_bad_option("logs", c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error("logs", "no VM name given");
	if (optind + 1 < argc)
		return cli_usage_error("logs", "one VM at a time: unexpected '%s'", argv[optind + 1]);
	s = cli_store();
	vm = s ? cli_open_vm(s, argv[optind]) : NULL;
	if (!vm) {
		fvm_store_free(s);
		return EXIT_FVM;
	}
	r = fvm_vm_logs(vm, &o, &e);
	fvm_vm_free(vm);
	fvm_store_free(s);
	if (r < 0)
		return cli_fail(&e);
	return 0;
}
