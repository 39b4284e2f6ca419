// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * embed.c - a program that embeds libfvm, as any other would: it includes
 * <fvm.h> only and is built by tests/integration/embed.bats against the
 * *installed* library through `pkg-config libfvm` (once with libfvm.so,
 * once with libfvm.a).
 *
 * Usage: embed NAME FILE JSON-OUT
 *
 * In the default store ($FVM_HOME) it creates VM NAME, runs a shell in it
 * that writes FILE, finds FILE among the VM's changes (fvm_vm_diff),
 * writes the VM's fvm_vm_inspect_json() to JSON-OUT, removes the VM and
 * checks that it is gone. It also checks what fvm.h promises about the
 * caller's process: RLIMIT_NOFILE, the signal mask and SIGPIPE's
 * disposition are as before fvm_vm_exec() returned.
 *
 * It defines functions named like libfvm's internal ones (config_load,
 * list_dir, write_all, open_beneath), which do nothing useful: linked
 * statically, a libfvm.a whose internal names were global fails to link
 * ("multiple definition"), and a libfvm that called them instead of its
 * own would fail the steps below.
 *
 * Prints "ok STEP" per step passed, "FAIL STEP: why" and exits 1 at the
 * first that fails.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <fvm.h>

/* the embedding program's own functions, with libfvm's internal names */
int config_load(void);
int list_dir(void);
int write_all(int fd, const void *buf, size_t len);
int open_beneath(void);

int config_load(void) { return 1001; }
int list_dir(void) { return 1002; }
int write_all(int fd, const void *buf, size_t len) { return 1003; }
int open_beneath(void) { return 1004; }

static int fail(const char *step, const struct fvm_error *e, int r)
{
	printf("FAIL %s: %s (%s)\n", step, e && e->msg[0] ? e->msg : "-", strerror(r < 0 ? -r : r));
	exit(1);
}

static void ok(const char *step)
{
	printf("ok %s\n", step);
	fflush(stdout);
}

struct found {
	const char *path;
	bool seen;
	uint64_t size;
};

static int on_change(const struct fvm_change *c, void *userdata)
{
	struct found *f = userdata;

	if (!strcmp(c->path, f->path) && c->kind == FVM_CHANGE_ADDED && c->type == 'f') {
		f->seen = true;
		f->size = c->size;
	}
	return 0;
}

/* what fvm_vm_exec() must leave as it found it in the caller's process */
struct process_state {
	struct rlimit nofile;
	sigset_t mask;
	struct sigaction pipe;
};

static void process_state(struct process_state *s)
{
	memset(s, 0, sizeof(*s));
	getrlimit(RLIMIT_NOFILE, &s->nofile);
	sigprocmask(SIG_SETMASK, NULL, &s->mask);
	sigaction(SIGPIPE, NULL, &s->pipe);
}

static void run_in_vm(struct fvm_vm *vm, const char *file)
{
	char *argv[] = { "/bin/sh", "-c", "echo embedded >\"$1\"", "sh", (char *)file, NULL };
	struct fvm_exec ex = { .argv = argv };
	struct fvm_error e = { 0 };
	struct process_state before, after;
	int r, status = -1;

	/* a soft limit below what booting needs (an fd per host mount + 64),
	 * so that fvm_vm_exec() raises it while booting: it must put it back */
	getrlimit(RLIMIT_NOFILE, &before.nofile);
	if (before.nofile.rlim_max > 64) {
		before.nofile.rlim_cur = 64;
		setrlimit(RLIMIT_NOFILE, &before.nofile);
	}
	process_state(&before);
	r = fvm_vm_exec(vm, &ex, &status, &e);
	if (r < 0)
		fail("fvm_vm_exec", &e, r);
	if (status != 0) {
		printf("FAIL fvm_vm_exec: the command exited %d\n", status);
		exit(1);
	}
	ok("fvm_vm_exec");
	process_state(&after);
	if (before.nofile.rlim_cur != after.nofile.rlim_cur ||
	    before.nofile.rlim_max != after.nofile.rlim_max) {
		printf("FAIL rlimit: RLIMIT_NOFILE was %llu/%llu, is %llu/%llu after fvm_vm_exec\n",
		       (unsigned long long)before.nofile.rlim_cur, (unsigned long long)before.nofile.rlim_max,
		       (unsigned long long)after.nofile.rlim_cur, (unsigned long long)after.nofile.rlim_max);
		exit(1);
	}
	for (int sig = 1; sig <= 64; sig++)   /* Linux: 64 signals; NSIG is not POSIX */
		if (sigismember(&before.mask, sig) != sigismember(&after.mask, sig)) {
			printf("FAIL sigmask: signal %d is %sblocked after fvm_vm_exec\n", sig,
			       sigismember(&after.mask, sig) ? "" : "not ");
			exit(1);
		}
	if (before.pipe.sa_handler != after.pipe.sa_handler) {
		printf("FAIL sigpipe: SIGPIPE's disposition changed\n");
		exit(1);
	}
	ok("process state");
}

static void check_diff(struct fvm_vm *vm, const char *file)
{
	struct found f = { .path = file };
	struct fvm_error e = { 0 };
	int r = fvm_vm_diff(vm, NULL, on_change, &f, &e);

	if (r < 0)
		fail("fvm_vm_diff", &e, r);
	if (!f.seen) {
		printf("FAIL fvm_vm_diff: no change 'A f %s'\n", file);
		exit(1);
	}
	printf("ok fvm_vm_diff: A f %s %llu\n", file, (unsigned long long)f.size);
}

static void write_json(struct fvm_vm *vm, const char *out)
{
	struct fvm_error e = { 0 };
	char *json = NULL;
	FILE *f;
	int r = fvm_vm_inspect_json(vm, &json, &e);

	if (r < 0)
		fail("fvm_vm_inspect_json", &e, r);
	f = fopen(out, "we");
	if (!f || fputs(json, f) < 0 || fclose(f) != 0)
		fail("fvm_vm_inspect_json", NULL, -errno);
	free(json);
	ok("fvm_vm_inspect_json");
}

static void check_gone(struct fvm_store *s, const char *name)
{
	struct fvm_error e = { 0 };
	struct fvm_vm *vm = NULL;
	char **names = NULL;
	int r = fvm_vm_open(s, name, &vm, &e);

	if (r != -ENOENT) {
		printf("FAIL gone: fvm_vm_open after fvm_vm_remove returned %d\n", r);
		exit(1);
	}
	r = fvm_store_list(s, &names, &e);
	if (r < 0)
		fail("fvm_store_list", &e, r);
	for (char **n = names; *n; n++)
		if (!strcmp(*n, name)) {
			printf("FAIL gone: fvm_store_list still has %s\n", name);
			exit(1);
		}
	fvm_strv_free(names);
	ok("gone");
}

int main(int argc, char **argv)
{
	struct fvm_store *s = NULL;
	struct fvm_vm *vm = NULL;
	struct fvm_error e = { 0 };
	int r;

	if (argc != 4) {
		fprintf(stderr, "usage: embed NAME FILE JSON-OUT\n");
		return 2;
	}
	if ((r = fvm_store_open(NULL, &s, &e)) < 0)
		fail("fvm_store_open", &e, r);
	ok("fvm_store_open");
	if ((r = fvm_vm_create(s, argv[1], NULL, &vm, &e)) < 0)
		fail("fvm_vm_create", &e, r);
	ok("fvm_vm_create");
	run_in_vm(vm, argv[2]);
	check_diff(vm, argv[2]);
	write_json(vm, argv[3]);
	if ((r = fvm_vm_remove(vm, false, &e)) < 0)
		fail("fvm_vm_remove", &e, r);
	fvm_vm_free(vm);
	ok("fvm_vm_remove");
	check_gone(s, argv[1]);
	fvm_store_free(s);
	return 0;
}
