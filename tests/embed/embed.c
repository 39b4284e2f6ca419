// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * embed.c - a program that embeds libfvm, as any other would: it includes
 * <fvm.h> only and is built by tests/integration/embed.bats against the
 * *installed* library through `pkg-config libfvm` (once with libfvm.so,
 * once with libfvm.a).
 *
 * Usage: embed NAME FILE JSON-OUT [sub]
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
 * With "sub" (rootless) the VM is made with FVM_IDS_SUB, exported (with a
 * progress callback), FILE is committed to the host (fvm_vm_commit with
 * a plan and a progress callback), and
 * after each call that works on the layers the program checks that its
 * own user namespace, ids and uid map are as they were: the library does
 * that work in a child of its own.
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
#include <unistd.h>

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

/* the calling process's identity: its user namespace, ids and uid map */
struct identity {
	char userns[64];
	char uid_map[256];
	uid_t uid, euid;
	gid_t gid;
};

static void identity(struct identity *id)
{
	FILE *f = fopen("/proc/self/uid_map", "re");
	ssize_t n = readlink("/proc/self/ns/user", id->userns, sizeof(id->userns) - 1);
	size_t got = f ? fread(id->uid_map, 1, sizeof(id->uid_map) - 1, f) : 0;

	id->userns[n > 0 ? n : 0] = '\0';
	id->uid_map[got] = '\0';
	if (f)
		fclose(f);
	id->uid = getuid();
	id->euid = geteuid();
	id->gid = getgid();
}

static void check_identity(const struct identity *before, const char *step)
{
	struct identity now;

	identity(&now);
	if (strcmp(before->userns, now.userns) || strcmp(before->uid_map, now.uid_map) ||
	    before->uid != now.uid || before->euid != now.euid || before->gid != now.gid) {
		printf("FAIL identity after %s: user namespace %s, uid %u, uid_map '%s' (was %s, %u, '%s')\n", step,
		       now.userns, (unsigned)now.uid, now.uid_map, before->userns, (unsigned)before->uid,
		       before->uid_map);
		exit(1);
	}
	printf("ok identity after %s\n", step);
}

struct commit_seen {
	const char *path;
	int planned;       /* plan calls for @path */
	int progressed;    /* on_progress calls */
};

static int on_plan(const struct fvm_change *c, void *userdata)
{
	struct commit_seen *s = userdata;

	s->planned += !strcmp(c->path, s->path);
	return 0;
}

static void on_progress(const struct fvm_progress *p, void *userdata)
{
	((struct commit_seen *)userdata)->progressed++;
}

struct export_seen {
	int calls;
	uint64_t done, total;
};

static void on_export(uint64_t done, uint64_t total, void *userdata)
{
	struct export_seen *s = userdata;

	s->calls++;
	s->done = done;
	s->total = total;
}

/* export the VM (to a temporary file) with a progress callback; it runs in this process */
static void export_vm(struct fvm_vm *vm)
{
	struct export_seen seen = { 0 };
	struct fvm_export_opts o = { .progress = on_export, .userdata = &seen };
	struct fvm_error e = { 0 };
	FILE *f = tmpfile();
	int r;

	if (!f)
		fail("fvm_vm_export", NULL, -errno);
	r = fvm_vm_export(vm, fileno(f), &o, &e);
	if (r < 0)
		fail("fvm_vm_export", &e, r);
	fclose(f);
	if (seen.calls < 1 || seen.done < 9 || seen.done != seen.total) {
		printf("FAIL fvm_vm_export: progress ran %d times, last %llu of %llu bytes\n", seen.calls,
		       (unsigned long long)seen.done, (unsigned long long)seen.total);
		exit(1);
	}
	printf("ok fvm_vm_export: progress %llu of %llu\n", (unsigned long long)seen.done,
	       (unsigned long long)seen.total);
}

/* commit FILE to the host, with callbacks; they run in this process */
static void commit_file(struct fvm_vm *vm, const char *file)
{
	char *paths[] = { (char *)file, NULL };
	struct commit_seen seen = { .path = file };
	struct fvm_commit_opts o = { .paths = paths, .plan = on_plan, .on_progress = on_progress,
				     .userdata = &seen };
	struct fvm_error e = { 0 };
	char buf[32] = "";
	FILE *f;
	int r = fvm_vm_commit(vm, &o, &e);

	if (r < 0)
		fail("fvm_vm_commit", &e, r);
	f = fopen(file, "re");
	if (!f || !fgets(buf, sizeof(buf), f) || strcmp(buf, "embedded\n")) {
		printf("FAIL fvm_vm_commit: %s is not on the host as the VM wrote it\n", file);
		exit(1);
	}
	fclose(f);
	if (seen.planned != 1 || seen.progressed < 1) {
		printf("FAIL fvm_vm_commit: the plan saw %s %d times, on_progress ran %d times\n", file,
		       seen.planned, seen.progressed);
		exit(1);
	}
	printf("ok fvm_vm_commit: plan %d, progress %d\n", seen.planned, seen.progressed);
}

int main(int argc, char **argv)
{
	struct fvm_store *s = NULL;
	struct fvm_vm *vm = NULL;
	struct fvm_vm_opts sub = { .ids = FVM_IDS_SUB };
	struct fvm_error e = { 0 };
	struct identity me;
	bool ids = argc == 5 && !strcmp(argv[4], "sub");
	int r;

	if (argc != 4 && !ids) {
		fprintf(stderr, "usage: embed NAME FILE JSON-OUT [sub]\n");
		return 2;
	}
	identity(&me);
	if ((r = fvm_store_open(NULL, &s, &e)) < 0)
		fail("fvm_store_open", &e, r);
	ok("fvm_store_open");
	if ((r = fvm_vm_create(s, argv[1], ids ? &sub : NULL, &vm, &e)) < 0)
		fail("fvm_vm_create", &e, r);
	ok("fvm_vm_create");
	run_in_vm(vm, argv[2]);
	check_diff(vm, argv[2]);
	if (ids) {
		check_identity(&me, "fvm_vm_diff");
		export_vm(vm);
		check_identity(&me, "fvm_vm_export");
		commit_file(vm, argv[2]);
		check_identity(&me, "fvm_vm_commit");
	}
	write_json(vm, argv[3]);
	if ((r = fvm_vm_remove(vm, false, &e)) < 0)
		fail("fvm_vm_remove", &e, r);
	fvm_vm_free(vm);
	ok("fvm_vm_remove");
	if (ids)
		check_identity(&me, "fvm_vm_remove");
	check_gone(s, argv[1]);
	fvm_store_free(s);
	return 0;
}
