// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * service.c - a VM's service: one command that a supervisor process on
 * the host keeps running in the VM (fvm start NAME -- COMMAND).
 *
 * Theory of operation. fvm_vm_service_start() starts the VM to stay up
 * (fvm_vm_start()), then forks twice: the grandchild, in a session of its
 * own, is the supervisor. It closes every fd it inherited, opens the store
 * and the VM afresh, starts a logger process that reads one pipe into the
 * VM's service log (log.c), and runs the command with fvm_vm_exec() (join
 * only: it never boots the VM again) with stdin /dev/null and that pipe
 * as stdout and stderr, as the VM's root or the user given (--user, looked
 * up by a dry run of fvm_vm_exec() before the supervisor starts, so an
 * unknown user is refused, not logged). The command holds only the pipe's write end: the
 * log lives in the store, which no VM can see, so no VM-made symlink or
 * file is ever on the log's path.
 *
 * When the command ends, the supervisor records how (exit status), and
 * with --restart on-failure starts it again after a non-zero status,
 * waiting 1, 2, 4 ... up to 30 s, at most max_restarts times in a row (a
 * run of 10 s or more resets the count); then the service is "failed".
 * It ends when the VM stops, or when STORE/vms/NAME/service.stop appears
 * (fvm_vm_service_stop(), which fvm stop calls first).
 *
 * Its state is STORE/vms/NAME/service.json, written whole (temporary,
 * rename) by the supervisor alone, read by anyone (bounded, parsed with
 * json-c, every field checked). A reader checks that the supervisor it
 * names is alive with the same start time; else the service is "dead".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include <json-c/json.h>

#include "store/store.h"
#include "vm/vm.h"

#define SVC_BACKOFF_MAX 30      /* seconds between restarts, at most */
#define SVC_RUN_RESETS 10       /* seconds of a run that start the count again */

struct svc {
	char *const *argv;
	const char *user;       /* NULL: root */
	enum fvm_restart restart;
	unsigned max, restarts;
	int last;               /* -1: no run ended yet */
	const char *state;
	pid_t pid;
	unsigned long long start;
	time_t since;
};

static int svc_save(struct fvm_vm *vm, struct svc *s, const char *state)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object *argv = json_object_new_array();
	const char *txt;

	if (!o || !argv) {
		if (argv)
			json_object_put(argv);
		return -ENOMEM;
	}
	json_object_object_add(o, "command", argv);   /* o owns it from here */
	if (faccessat(vm->dirfd, "config.json", F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return -ENOENT;   /* the VM is being removed (fvm rm -f): leave its directory alone */
	s->state = state;
	s->since = time(NULL);
	for (size_t i = 0; s->argv[i]; i++)
		json_object_array_add(argv, json_object_new_string(s->argv[i]));
	if (s->user)
		json_object_object_add(o, "user", json_object_new_string(s->user));
	json_object_object_add(o, "restart", json_object_new_string(s->restart == FVM_RESTART_ON_FAILURE ? "on-failure" : "no"));
	json_object_object_add(o, "max_restarts", json_object_new_int64(s->max));
	json_object_object_add(o, "restarts", json_object_new_int64(s->restarts));
	json_object_object_add(o, "last_status", s->last < 0 ? NULL : json_object_new_int(s->last));
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "supervisor_pid", json_object_new_int(s->pid));
	json_object_object_add(o, "supervisor_starttime", json_object_new_int64((int64_t)s->start));
	json_object_object_add(o, "since", json_object_new_int64(s->since));
	txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	return write_fileat_atomic(vm->dirfd, "service.json", txt, strlen(txt), 0600, false);
}

static bool stop_asked(const struct fvm_vm *vm)
{
	return faccessat(vm->dirfd, "service.stop", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Wait @sec seconds, or less when the VM stops or the service is told to. Return: go on? */
static bool backoff(struct fvm_vm *vm, unsigned sec)
{
	for (unsigned i = 0; i < sec * 10; i++) {
		if (stop_asked(vm) || fvm_vm_running(vm, NULL) != 1)
			return false;
		nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000 * 1000 }, NULL);
	}
	return !stop_asked(vm) && fvm_vm_running(vm, NULL) == 1;
}

/* One run of the command; its exit status (fvm's 125/126/127 when it did not run). */
static int run_once(struct fvm_vm *vm, const struct svc *s)
{
	const struct fvm_exec ex = { .argv = s->argv, .user = s->user, .join_only = true };
	struct fvm_error e = { 0 };
	int status = 0;

	if (fvm_vm_exec(vm, &ex, &status, &e) == 0)
		return status;
	dprintf(2, "fvm: %s\n", e.msg);   /* fd 2 is the log */
	return !e.exec_failed ? 125 : e.code == -ENOENT ? 127 : 126;
}

/* The supervisor's loop: run, record, restart or end. */
static void supervise_loop(struct fvm_vm *vm, struct svc *s)
{
	for (;;) {
		time_t t0 = time(NULL);
		unsigned delay;

		s->last = run_once(vm, s);
		if (stop_asked(vm) || fvm_vm_running(vm, NULL) != 1) {
			svc_save(vm, s, "stopped");
			return;
		}
		if (s->restart == FVM_RESTART_NO || s->last == 0) {
			dprintf(2, "fvm: service ended with status %d\n", s->last);
			svc_save(vm, s, "exited");
			return;
		}
		if (time(NULL) - t0 >= SVC_RUN_RESETS)
			s->restarts = 0;
		if (s->restarts >= s->max) {
			dprintf(2, "fvm: service ended with status %d, after %u restarts in a row: not restarted again\n",
				s->last, s->restarts);
			svc_save(vm, s, "failed");
			return;
		}
		delay = s->restarts < 5 ? 1u << s->restarts : SVC_BACKOFF_MAX;
		if (delay > SVC_BACKOFF_MAX)
			delay = SVC_BACKOFF_MAX;
		dprintf(2, "fvm: service ended with status %d: restart %u of %u in %u s\n", s->last,
			s->restarts + 1, s->max, delay);
		svc_save(vm, s, "restarting");
		if (!backoff(vm, delay)) {
			svc_save(vm, s, "stopped");
			return;
		}
		s->restarts++;
		svc_save(vm, s, "running");
	}
}

/*
 * The supervisor's last step: its pipe's write ends closed, the logger
 * reads to EOF and ends; waited for (2 s at most: a process the service
 * left running in the VM may hold the pipe), so that once the supervisor
 * is gone nothing of it writes in the VM's directory (fvm rm waits for
 * the supervisor, lifecycle.c).
 */
static void logger_wait(pid_t logger)
{
	int nul = open("/dev/null", O_WRONLY | O_CLOEXEC), fd = (int)syscall(SYS_pidfd_open, logger, 0);
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (nul >= 0) {
		dup2(nul, 1);
		dup2(nul, 2);
		close(nul);
	}
	if (fd >= 0) {
		poll(&p, 1, 2000);
		close(fd);
	}
	waitpid(logger, NULL, WNOHANG);
}

/*
 * The supervisor, in the grandchild: fresh handles, the logger, then the
 * loop. @ready gets one byte once the state says "running".
 */
static void supervise(const char *store_path, const char *name, struct svc *s, int ready)
{
	struct fvm_store *store = NULL;
	struct fvm_vm *vm = NULL;
	int lp[2], nul;
	pid_t logger;

	if (dup2(ready, 3) < 0)
		_exit(1);
	syscall(SYS_close_range, 4U, ~0U, 0U);   /* nothing of the caller's stays open */
	ready = 3;
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/* the caller's stdio (a terminal, a test's pipes) is not kept either */
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(nul, 2) < 0)
		_exit(1);
	close(nul);
	if (chdir("/") < 0 || fvm_store_open(store_path, &store, NULL) < 0 ||
	    fvm_vm_open(store, name, &vm, NULL) < 0 || pipe2(lp, O_CLOEXEC) < 0)
		_exit(1);
	logger = fork();
	if (logger < 0)
		_exit(1);
	if (logger == 0) {
		close(lp[1]);
		close(ready);
		_exit(log_pump(vm->dirfd, lp[0]) < 0);
	}
	if (dup2(lp[1], 1) < 0 || dup2(lp[1], 2) < 0)
		_exit(1);
	close(lp[0]);
	close(lp[1]);
	s->pid = getpid();
	if (proc_starttime(s->pid, &s->start) < 0 || svc_save(vm, s, "running") < 0 ||
	    write(ready, "1", 1) != 1)
		_exit(1);
	close(ready);
	supervise_loop(vm, s);
	logger_wait(logger);
	fvm_vm_free(vm);
	fvm_store_free(store);
	_exit(0);
}

static int check_argv(const struct fvm_vm *vm, char *const *argv, struct fvm_error *err)
{
	size_t n = 0, bytes = 0;

	for (; argv && argv[n]; n++) {
		if (strlen(argv[n]) > SVC_ARG_MAX)
			break;
		bytes += strlen(argv[n]) + 1;
	}
	if (n == 0 || (argv && argv[n]) || n > SVC_ARGS_MAX || bytes > SVC_ARGV_BYTES)
		return fvm_errf(err, -EINVAL, "VM '%s': a service is a command of 1 to %d arguments, each of at most %d bytes, %d KiB in all",
				vm->cfg.name, SVC_ARGS_MAX, SVC_ARG_MAX, SVC_ARGV_BYTES / 1024);
	return 0;
}

/* Fork the supervisor (twice, so that it is no child of the caller's) and wait until it runs. */
static int spawn_supervisor(struct fvm_vm *vm, struct svc *s, struct fvm_error *err)
{
	int p[2], st = 0;
	char c = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return fvm_errf(err, -errno, "VM '%s': cannot start its service: %s", vm->cfg.name, strerror(errno));
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		setsid();
		pid = fork();
		if (pid == 0)
			supervise(vm->store->path, vm->cfg.name, s, p[1]);
		_exit(pid < 0);
	}
	close(p[1]);
	if (pid > 0)
		waitpid(pid, &st, 0);
	if (pid < 0 || read_all(p[0], &c, 1) != 1 || c != '1') {
		close(p[0]);
		return fvm_errf(err, -ECHILD, "VM '%s': its service's supervisor did not start (see %s/service.json)",
				vm->cfg.name, vm->dir);
	}
	close(p[0]);
	return 0;
}

/* The log's files are ours, regular files or absent: never a symlink to follow (log.c opens them O_NOFOLLOW too). */
static int check_log(struct fvm_vm *vm, struct fvm_error *err)
{
	static const char *const names[] = { "logs/service.log", "logs/service.log.1" };
	struct stat st;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (fstatat(vm->dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode))
			return fvm_errf(err, -EINVAL, "VM '%s': %s/%s is not a regular file: remove it, then start the service again",
					vm->cfg.name, vm->dir, names[i]);
	return 0;
}

/* 1 to FVM_SERVICE_USER_MAX printable ASCII bytes (it is recorded and shown) */
static bool user_ok(const char *u)
{
	size_t n = strnlen(u, FVM_SERVICE_USER_MAX + 1);

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f)
			return false;
	return n >= 1 && n <= FVM_SERVICE_USER_MAX;
}

/*
 * Start @vm (stopped again on failure if it was not running) and check
 * that @s's user can run in it: a dry run, which resolves and becomes the
 * user inside the VM as a run does (launch/exec-child.c), and runs nothing.
 */
static int start_as_user(struct fvm_vm *vm, const struct svc *s, struct fvm_error *err)
{
	const struct fvm_exec ex = { .argv = s->argv, .user = s->user, .join_only = true, .dry_run = true };
	bool was_running = fvm_vm_running(vm, NULL) == 1;
	int status = 0, r = fvm_vm_start(vm, err);

	if (r < 0 || !s->user)
		return r;
	r = fvm_vm_exec(vm, &ex, &status, err);
	if (r == 0 && status != 0)
		r = fvm_errf(err, -ECHILD, "VM '%s': cannot check its service's user '%s' (status %d)",
			     vm->cfg.name, s->user, status);
	if (r < 0 && !was_running)
		fvm_vm_stop(vm, 10, NULL);
	return r;
}

FVM_PUBLIC int fvm_vm_service_start(struct fvm_vm *vm, const struct fvm_service_opts *opts,
				    struct fvm_error *err)
{
	struct svc s = { .argv = opts->argv, .user = opts->user, .restart = opts->restart, .last = -1 };
	struct fvm_service_status cur;
	int r = check_argv(vm, opts->argv, err);

	if (r < 0)
		return r;
	if (s.user && !user_ok(s.user))
		return fvm_errf(err, -EINVAL, "VM '%s': bad service user: use USER[:GROUP] of 1 to %d printable bytes, each a name or a number",
				vm->cfg.name, FVM_SERVICE_USER_MAX);
	if (opts->max_restarts > FVM_SERVICE_RESTARTS_MAX)
		return fvm_errf(err, -EINVAL, "VM '%s': at most %u restarts", vm->cfg.name, FVM_SERVICE_RESTARTS_MAX);
	s.max = opts->max_restarts ? opts->max_restarts : FVM_SERVICE_RESTARTS_DEFAULT;
	r = fvm_vm_service_status(vm, &cur, err);
	if (r < 0)
		return r;
	if (cur.defined && (!strcmp(cur.state, "running") || !strcmp(cur.state, "restarting")))
		return fvm_errf(err, -EBUSY, "VM '%s' already runs a service (%s): stop the VM first ('fvm stop %s')",
				vm->cfg.name, cur.command, vm->cfg.name);
	if (unlinkat(vm->dirfd, "service.stop", 0) < 0 && errno != ENOENT)
		return fvm_errf(err, -errno, "VM '%s': cannot remove %s/service.stop: %s", vm->cfg.name, vm->dir,
				strerror(errno));
	if (mkdirat(vm->dirfd, "logs", 0700) < 0 && errno != EEXIST)
		return fvm_errf(err, -errno, "VM '%s': cannot create %s/logs: %s", vm->cfg.name, vm->dir,
				strerror(errno));
	r = check_log(vm, err);
	if (r < 0)
		return r;
	r = start_as_user(vm, &s, err);
	if (r < 0)
		return r;
	return spawn_supervisor(vm, &s, err);
}

FVM_PUBLIC int fvm_vm_service_stop(struct fvm_vm *vm, struct fvm_error *err)
{
	struct fvm_service_status cur;
	int fd;

	if (fvm_vm_service_status(vm, &cur, NULL) < 0 || !cur.defined ||
	    (strcmp(cur.state, "running") && strcmp(cur.state, "restarting")))
		return 0;
	fd = openat(vm->dirfd, "service.stop", O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fvm_errf(err, -errno, "VM '%s': cannot create %s/service.stop: %s", vm->cfg.name,
				vm->dir, strerror(errno));
	close(fd);
	return 0;
}
