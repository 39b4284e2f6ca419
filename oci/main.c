// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * main.c - fvm-oci: fvm's OCI runtime command line (the one runc and crun
 * implement, which podman, containerd, CRI-O and Kubernetes drive).
 *
 * Global options come before the command: --root DIR (state), --log FILE
 * and --log-format text|json (runc's log lines: {"level", "msg", "time"}),
 * --systemd-cgroup (refused: fvm-oci manages cgroupfs paths), --debug.
 * Errors go to stderr and, with --log, to the log. `fvm oci ARGS` and a
 * program named fvm-oci are the same.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "oci.h"

static const char *log_path;
static bool log_json;
static bool debug;
bool oci_systemd_cgroup;

int oci_fail(struct oci_err *e, int code, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	errno = code < 0 ? -code : saved;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	errno = saved;
	return code < 0 ? code : -EIO;
}

static void json_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

void oci_log(const char *level, const char *fmt, ...)
{
	char msg[OCI_ERR_MAX + 64], t[64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!strcmp(level, "debug") && !debug)
		return;
	if (!log_path) {
		if (strcmp(level, "error"))
			fprintf(stderr, "fvm-oci: %s: %s\n", level, msg);
		return;
	}
	int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "a");
	if (!f) {
		if (fd >= 0)
			close(fd);
		return;
	}
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t k = strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(t + k, sizeof(t) - k, ".%09ldZ", ts.tv_nsec);
	if (log_json) {
		fprintf(f, "{\"level\":\"%s\",\"msg\":\"", level);
		json_escape(f, msg);
		fprintf(f, "\",\"time\":\"%s\"}\n", t);
	} else {
		fprintf(f, "time=\"%s\" level=%s msg=\"", t, level);
		json_escape(f, msg);
		fprintf(f, "\"\n");
	}
	fclose(f);
}

int oci_error(const struct oci_err *e)
{
	fprintf(stderr, "fvm-oci: %s\n", e->msg);
	oci_log("error", "%s", e->msg);
	return 1;
}

static void usage(FILE *f)
{
	fputs("usage: fvm-oci [--root DIR] [--log FILE] [--log-format text|json] COMMAND ...\n"
	      "fvm's OCI runtime: the runc command line, for podman, containerd, CRI-O.\n\n"
	      "  create [--bundle DIR] [--pid-file F] [--console-socket S] ID\n"
	      "                      set the container up, stopped before its program\n"
	      "  start ID            let it run its program\n"
	      "  run [--bundle DIR] ID   create, start, wait, delete; its exit status\n"
	      "  state ID            its state (JSON)\n"
	      "  kill [--all] ID [SIGNAL]   signal its init (or every process)\n"
	      "  delete [--force] ID remove a stopped one (--force: kill it first)\n"
	      "  exec [--process F] [--detach] [--tty --console-socket S] [--pid-file F] ID [CMD...]\n"
	      "  pause ID, resume ID freeze and thaw it (cgroup freezer)\n"
	      "  ps [--format json|table] ID   its processes\n"
	      "  features            what fvm-oci supports (JSON)\n"
	      "  --version\n\n"
	      "State lives in --root (default /run/fvm-oci, rootless $XDG_RUNTIME_DIR/fvm-oci).\n"
	      "Every config.json field fvm-oci cannot honour is refused by name: see fvm-oci(1).\n",
	      f);
}

static int global_opts(int argc, char **argv, const char **root, int *ret_i)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i], *v = strchr(a, '=');
		size_t n = v ? (size_t)(v - a) : strlen(a);
		bool need = !strncmp(a, "--root", n) || !strncmp(a, "--log", n) ||
			    !strncmp(a, "--log-format", n) || !strncmp(a, "--criu", n) ||
			    !strncmp(a, "--rootless", n);
		if (need && !v) {
			if (i + 1 >= argc) {
				fprintf(stderr, "fvm-oci: %s needs a value\n", a);
				return 1;
			}
			v = argv[++i];
		} else if (v)
			v++;
		if (n == 6 && !strncmp(a, "--root", n)) *root = v;
		else if (n == 5 && !strncmp(a, "--log", n)) log_path = v;
		else if (n == 12 && !strncmp(a, "--log-format", n)) {
			if (strcmp(v, "json") && strcmp(v, "text")) {
				fprintf(stderr, "fvm-oci: --log-format %s: text or json\n", v);
				return 1;
			}
			log_json = !strcmp(v, "json");
		} else if (n == 10 && !strncmp(a, "--rootless", n)) {
			/* fvm-oci finds out by itself what it may do */
		} else if (n == 6 && !strncmp(a, "--criu", n)) {
		} else if (!strcmp(a, "--debug")) debug = true;
		else if (!strcmp(a, "--systemd-cgroup")) oci_systemd_cgroup = true;
		else if (!strcmp(a, "--version") || !strcmp(a, "-v")) {
			printf("fvm-oci version %s\nspec: %s\n", FVM_VERSION, OCI_VERSION);
			return 0;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "fvm-oci: unknown option %s (see fvm-oci --help)\n", a);
			return 1;
		}
	}
	*ret_i = i;
	return -1;
}

int main(int argc, char **argv)
{
	const char *root = NULL;
	int i = 0;
	int rc = global_opts(argc, argv, &root, &i);
	if (rc >= 0)
		return rc;
	if (i >= argc) {
		usage(stderr);
		return 1;
	}
	const char *cmd = argv[i];
	int cargc = argc - i;
	char **cargv = argv + i;
	if (!strcmp(cmd, "features"))
		return cmd_features(cargc, cargv);
	if (!strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	struct oci_err e;
	if (oci_systemd_cgroup) {
		bool sd = access("/run/systemd/system", F_OK) == 0;
		oci_fail(&e, -EOPNOTSUPP, "--systemd-cgroup: %s; fvm-oci manages cgroupfs paths "
			 "only: configure the engine for cgroupfs (podman --cgroup-manager "
			 "cgroupfs, containerd SystemdCgroup = false)",
			 sd ? "fvm-oci does not drive systemd" : "this machine runs no systemd");
		return oci_error(&e);
	}
	if (state_root(root, &e) < 0)
		return oci_error(&e);
	oci_log("debug", "%s", cmd);
	if (!strcmp(cmd, "create")) return cmd_create(cargc, cargv, false);
	if (!strcmp(cmd, "run")) return cmd_create(cargc, cargv, true);
	if (!strcmp(cmd, "start")) return cmd_start(cargc, cargv);
	if (!strcmp(cmd, "state")) return cmd_state(cargc, cargv);
	if (!strcmp(cmd, "kill")) return cmd_kill(cargc, cargv);
	if (!strcmp(cmd, "delete")) return cmd_delete(cargc, cargv);
	if (!strcmp(cmd, "exec")) return cmd_exec(cargc, cargv);
	if (!strcmp(cmd, "pause")) return cmd_pause(cargc, cargv, true);
	if (!strcmp(cmd, "resume")) return cmd_pause(cargc, cargv, false);
	if (!strcmp(cmd, "ps")) return cmd_ps(cargc, cargv);
	oci_fail(&e, -EINVAL, "unknown command %s (see fvm-oci --help; checkpoint, restore, "
		 "update, events and list are not supported)", cmd);
	return oci_error(&e);
}
