// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ops.c - the lifecycle commands on an existing container: start, state,
 * kill, delete, pause/resume, ps, and features.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "oci.h"

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* the annotations of the container's config.json (for state and hooks) */
static json_object *load_config(const struct oci_state *st)
{
	char p[4200];
	snprintf(p, sizeof(p), "%s/config.json", st->bundle);
	return json_object_from_file(p);
}

static json_object *annotations_of(json_object *cfg)
{
	json_object *a = NULL;
	return cfg && json_object_object_get_ex(cfg, "annotations", &a) ? a : NULL;
}

static int one_id(int argc, char **argv, const char *name, struct oci_err *e)
{
	if (optind != argc - 1)
		return oci_fail(e, -EINVAL, "%s takes one container id", name);
	return 0;
}

static int plain_opts(int argc, char **argv)
{
	optind = 1;
	while (getopt_long(argc, argv, "+", (struct option[]){ { 0, 0, 0, 0 } }, NULL) != -1)
		return -1;
	return 0;
}

int cmd_start(int argc, char **argv)
{
	struct oci_err e;
	struct oci_state st;
	int dfd;
	if (plain_opts(argc, argv) < 0 || one_id(argc, argv, "start", &e) < 0)
		return oci_error(&e);
	if (state_read(argv[optind], &st, &dfd, &e) < 0)
		return oci_error(&e);
	enum oci_status s = state_status(dfd, &st);
	if (s != ST_CREATED) {
		oci_fail(&e, -EINVAL, "cannot start container %s: it is %s, not created", st.id,
			 status_name(s));
		return oci_error(&e);
	}
	char p[64];
	snprintf(p, sizeof(p), "/proc/self/fd/%d", dfd);
	int d = open(p, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	int fd = d < 0 ? -1 : openat(d, "exec.fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		oci_fail(&e, -errno, "container %s: exec.fifo: %m", st.id);
		return oci_error(&e);
	}
	/* init blocks opening the fifo for writing until this open; then it writes */
	char c;
	int ok = 0;
	for (int i = 0; i < 2000 && !ok; i++) {
		ssize_t n = read(fd, &c, 1);
		if (n == 1)
			ok = 1;
		else if (state_status(dfd, &st) == ST_STOPPED)
			break;
		else
			sleep_ms(5);
	}
	close(fd);
	unlinkat(d, "exec.fifo", 0);
	close(d);
	if (!ok) {
		oci_fail(&e, -ECHILD, "container %s: its init did not pass the barrier (it died)",
			 st.id);
		return oci_error(&e);
	}
	json_object *cfg = load_config(&st);
	json_object *hooks = NULL;
	if (cfg && json_object_object_get_ex(cfg, "hooks", &hooks)) {
		char *js = state_json(&st, ST_RUNNING, annotations_of(cfg));
		if (js && hooks_run(hooks, "poststart", js, &e) < 0)
			oci_log("warning", "container %s: %s", st.id, e.msg);
		free(js);
	}
	if (cfg)
		json_object_put(cfg);
	close(dfd);
	return 0;
}

int cmd_state(int argc, char **argv)
{
	struct oci_err e;
	struct oci_state st;
	int dfd;
	if (plain_opts(argc, argv) < 0 || one_id(argc, argv, "state", &e) < 0)
		return oci_error(&e);
	if (state_read(argv[optind], &st, &dfd, &e) < 0)
		return oci_error(&e);
	json_object *cfg = load_config(&st);
	char *js = state_json(&st, state_status(dfd, &st), annotations_of(cfg));
	printf("%s\n", js ? js : "{}");
	free(js);
	if (cfg)
		json_object_put(cfg);
	close(dfd);
	return 0;
}

static int parse_signal(const char *s)
{
	static const struct { const char *n; int v; } sigs[] = {
		{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
		{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },
		{ "TERM", SIGTERM }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
		{ "TSTP", SIGTSTP }, { "WINCH", SIGWINCH }, { "ABRT", SIGABRT },
	};
	char *end;
	long n = strtol(s, &end, 10);
	if (*s && !*end)
		return n > 0 && n < 65 ? (int)n : -1;
	if (!strncmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (!strcasecmp(s, sigs[i].n))
			return sigs[i].v;
	return -1;
}

/* pids of the container: its cgroup's, else init's pid namespace's (just
 * init when it shares ours: never every process of the host) */
static int container_pids(const struct oci_state *st, pid_t **ret, size_t *ret_n)
{
	if (st->has_cgroup)
		return ocg_pids(st->cgpath, ret, ret_n);
	char p[64], want[64], got[64];
	snprintf(p, sizeof(p), "/proc/%d/ns/pid", (int)st->pid);
	ssize_t n = readlink(p, want, sizeof(want) - 1);
	if (n < 0)
		return -errno;
	want[n] = 0;
	/* init in our own pid namespace: its "namespace" is the whole host's */
	n = readlink("/proc/self/ns/pid", got, sizeof(got) - 1);
	if (n < 0 || (got[n] = 0, !strcmp(got, want))) {
		pid_t *one = malloc(sizeof(*one));
		if (!one)
			return -ENOMEM;
		one[0] = st->pid;
		*ret = one;
		*ret_n = 1;
		return 0;
	}
	DIR *d = opendir("/proc");
	size_t k = 0, cap = 64;
	pid_t *v = malloc(cap * sizeof(*v));
	struct dirent *de;
	while (d && v && (de = readdir(d))) {
		int pid = atoi(de->d_name);
		if (pid <= 0)
			continue;
		snprintf(p, sizeof(p), "/proc/%d/ns/pid", pid);
		n = readlink(p, got, sizeof(got) - 1);
		if (n < 0)
			continue;
		got[n] = 0;
		if (strcmp(got, want))
			continue;
		if (k == cap) {
			pid_t *nv = realloc(v, (cap *= 2) * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		v[k++] = pid;
	}
	if (d)
		closedir(d);
	if (!v)
		return -ENOMEM;
	*ret = v;
	*ret_n = k;
	return 0;
}

int cmd_kill(int argc, char **argv)
{
	static const struct option lo[] = { { "all", no_argument, 0, 'a' }, { 0, 0, 0, 0 } };
	struct oci_err e;
	struct oci_state st;
	bool all = false;
	int o, dfd, sig = SIGTERM;
	optind = 1;
	while ((o = getopt_long(argc, argv, "+a", lo, NULL)) != -1)
		if (o == 'a')
			all = true;
		else
			return oci_error(&(struct oci_err){ "kill: bad option" });
	if (optind >= argc || argc - optind > 2)
		return oci_error(&(struct oci_err){ "kill takes a container id and a signal" });
	if (argc - optind == 2 && (sig = parse_signal(argv[optind + 1])) < 0) {
		oci_fail(&e, -EINVAL, "kill: unknown signal %s", argv[optind + 1]);
		return oci_error(&e);
	}
	if (state_read(argv[optind], &st, &dfd, &e) < 0)
		return oci_error(&e);
	enum oci_status s = state_status(dfd, &st);
	close(dfd);
	if (s == ST_STOPPED) {
		oci_fail(&e, -ESRCH, "container %s: container not running", st.id);
		return oci_error(&e);
	}
	pid_t *pids = NULL;
	size_t n = 0;
	if (all && container_pids(&st, &pids, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			kill(pids[i], sig);
		free(pids);
		if (s == ST_PAUSED && st.has_cgroup)
			ocg_freeze(st.cgpath, false, &e);
		return 0;
	}
	if (kill(st.pid, sig) < 0) {
		oci_fail(&e, -errno, "container %s: kill %d: %m", st.id, (int)st.pid);
		return oci_error(&e);
	}
	return 0;
}

/* SIGKILL everything and wait for init to be gone (a zombie counts) */
static void kill_wait(int dfd, const struct oci_state *st)
{
	pid_t *pids = NULL;
	size_t n = 0;
	for (int i = 0; i < 1000 && state_status(dfd, st) != ST_STOPPED; i++) {
		if (i % 20 == 0) {
			kill(st->pid, SIGKILL);
			if (container_pids(st, &pids, &n) == 0) {
				for (size_t k = 0; k < n; k++)
					kill(pids[k], SIGKILL);
				free(pids);
			}
			if (st->has_cgroup && ocg_frozen(st->cgpath)) {
				struct oci_err e;
				ocg_freeze(st->cgpath, false, &e);
			}
		}
		sleep_ms(10);
	}
}

int cmd_delete(int argc, char **argv)
{
	static const struct option lo[] = { { "force", no_argument, 0, 'f' }, { 0, 0, 0, 0 } };
	struct oci_err e;
	struct oci_state st;
	bool force = false;
	int o, dfd;
	optind = 1;
	while ((o = getopt_long(argc, argv, "+f", lo, NULL)) != -1)
		if (o == 'f')
			force = true;
		else
			return oci_error(&(struct oci_err){ "delete: bad option" });
	if (optind != argc - 1)
		return oci_error(&(struct oci_err){ "delete takes one container id" });
	int rc = state_read(argv[optind], &st, &dfd, &e);
	if (rc == -ENOENT && id_check(argv[optind], &e) == 0) {
		/* a create cut short leaves a directory without state: clean it */
		if (state_remove(argv[optind]) == 0 && force)
			return 0;
		oci_fail(&e, -ENOENT, "container %s does not exist", argv[optind]);
		return oci_error(&e);
	}
	if (rc < 0)
		return oci_error(&e);
	enum oci_status s = state_status(dfd, &st);
	if ((s == ST_RUNNING || s == ST_PAUSED) && !force) {
		oci_fail(&e, -EBUSY, "cannot delete container %s that is not stopped: %s "
			 "(delete --force kills it)", st.id, status_name(s));
		return oci_error(&e);
	}
	kill_wait(dfd, &st);
	close(dfd);
	if (st.has_cgroup) {
		for (int i = 0; i < 500 && ocg_destroy(st.cgpath) == -EBUSY; i++)
			sleep_ms(10);
		if (ocg_destroy(st.cgpath) < 0)
			oci_log("warning", "container %s: cgroup %s is still busy", st.id, st.cgpath);
	}
	json_object *cfg = load_config(&st), *hooks = NULL;
	if (cfg && json_object_object_get_ex(cfg, "hooks", &hooks)) {
		char *js = state_json(&st, ST_STOPPED, annotations_of(cfg));
		if (js && hooks_run(hooks, "poststop", js, &e) < 0)
			oci_log("warning", "container %s: %s", st.id, e.msg);
		free(js);
	}
	if (cfg)
		json_object_put(cfg);
	if (state_remove(st.id) < 0) {
		oci_fail(&e, -errno, "container %s: removing %s/%s: %m", st.id, oci_root, st.id);
		return oci_error(&e);
	}
	return 0;
}

int cmd_pause(int argc, char **argv, bool freeze)
{
	struct oci_err e;
	struct oci_state st;
	int dfd;
	const char *what = freeze ? "pause" : "resume";
	if (plain_opts(argc, argv) < 0 || one_id(argc, argv, what, &e) < 0)
		return oci_error(&e);
	if (state_read(argv[optind], &st, &dfd, &e) < 0)
		return oci_error(&e);
	enum oci_status s = state_status(dfd, &st);
	close(dfd);
	if (!st.has_cgroup) {
		oci_fail(&e, -EOPNOTSUPP, "cannot %s container %s: it has no cgroup (fvm-oci could "
			 "not make one: rootless on cgroup v1)", what, st.id);
		return oci_error(&e);
	}
	if (s != (freeze ? ST_RUNNING : ST_PAUSED) && !(freeze && s == ST_CREATED)) {
		oci_fail(&e, -EINVAL, "cannot %s container %s: it is %s", what, st.id, status_name(s));
		return oci_error(&e);
	}
	return ocg_freeze(st.cgpath, freeze, &e) < 0 ? oci_error(&e) : 0;
}

int cmd_ps(int argc, char **argv)
{
	static const struct option lo[] = { { "format", required_argument, 0, 'f' },
					    { 0, 0, 0, 0 } };
	struct oci_err e;
	struct oci_state st;
	const char *fmt = "table";
	int o, dfd;
	optind = 1;
	while ((o = getopt_long(argc, argv, "+f:", lo, NULL)) != -1)
		if (o == 'f')
			fmt = optarg;
		else
			return oci_error(&(struct oci_err){ "ps: bad option" });
	if (optind != argc - 1) {
		oci_fail(&e, -EINVAL, "ps takes one container id (fvm-oci passes no ps options)");
		return oci_error(&e);
	}
	if (strcmp(fmt, "json") && strcmp(fmt, "table")) {
		oci_fail(&e, -EINVAL, "ps --format %s: json or table", fmt);
		return oci_error(&e);
	}
	if (state_read(argv[optind], &st, &dfd, &e) < 0)
		return oci_error(&e);
	enum oci_status s = state_status(dfd, &st);
	close(dfd);
	pid_t *pids = NULL;
	size_t n = 0;
	if (s != ST_STOPPED && container_pids(&st, &pids, &n) < 0) {
		oci_fail(&e, -errno, "container %s: cannot list its processes: %m", st.id);
		return oci_error(&e);
	}
	if (!strcmp(fmt, "json")) {
		printf("[");
		for (size_t i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		printf("]\n");
	} else {
		printf("PID\tCMD\n");
		for (size_t i = 0; i < n; i++) {
			char p[64], comm[64] = "";
			snprintf(p, sizeof(p), "/proc/%d/comm", (int)pids[i]);
			FILE *f = fopen(p, "re");
			if (f) {
				if (!fgets(comm, sizeof(comm), f))
					comm[0] = 0;
				fclose(f);
			}
			comm[strcspn(comm, "\n")] = 0;
			printf("%d\t%s\n", (int)pids[i], comm);
		}
	}
	free(pids);
	return 0;
}

int cmd_features(int argc, char **argv)
{
	static const char *const mopts[] = { "ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec",
		"exec", "sync", "async", "dirsync", "mand", "nomand", "noatime", "atime",
		"nodiratime", "diratime", "relatime", "norelatime", "strictatime", "nostrictatime",
		"bind", "rbind", "private", "rprivate", "shared", "rshared", "slave", "rslave",
		"unbindable", "runbindable", NULL };
	static const char *const ns[] = { "cgroup", "ipc", "mount", "network", "pid", "user", "uts",
					  NULL };
	static const char *const hooks[] = { "prestart", "createRuntime", "createContainer",
		"startContainer", "poststart", "poststop", NULL };
	static const char *const acts[] = { "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",
		"SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_TRACE",
		"SCMP_ACT_TRAP", NULL };
	static const char *const ops[] = { "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
		"SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", NULL };
	json_object *o = json_object_new_object(), *l = json_object_new_object();
	json_object *a;
#define ARR(list) (a = json_object_new_array(), ({ for (const char *const *x = list; *x; x++) \
	json_object_array_add(a, json_object_new_string(*x)); }), a)
	json_object_object_add(o, "ociVersionMin", json_object_new_string("1.0.0"));
	json_object_object_add(o, "ociVersionMax", json_object_new_string(OCI_VERSION));
	json_object_object_add(o, "hooks", ARR(hooks));
	json_object_object_add(o, "mountOptions", ARR(mopts));
	json_object_object_add(l, "namespaces", ARR(ns));
	json_object *caps = json_object_new_array();
	for (int c = 0; c < 64; c++) {
		if (cap_name(c))
			json_object_array_add(caps, json_object_new_string(cap_name(c)));
	}
	json_object_object_add(l, "capabilities", caps);
	json_object *cg = json_object_new_object();
	json_object_object_add(cg, "v1", json_object_new_boolean(1));
	json_object_object_add(cg, "v2", json_object_new_boolean(1));
	json_object_object_add(cg, "systemd", json_object_new_boolean(0));
	json_object_object_add(cg, "systemdUser", json_object_new_boolean(0));
	json_object_object_add(l, "cgroup", cg);
	json_object *sc = json_object_new_object();
	json_object_object_add(sc, "enabled", json_object_new_boolean(1));
	json_object_object_add(sc, "actions", ARR(acts));
	json_object_object_add(sc, "operators", ARR(ops));
	json_object_object_add(l, "seccomp", sc);
	json_object *no = json_object_new_object();
	json_object_object_add(no, "enabled", json_object_new_boolean(0));
	json_object_object_add(l, "apparmor", no);
	json_object_object_add(l, "selinux", json_object_get(no));
	json_object_object_add(o, "linux", l);
	json_object *an = json_object_new_object();
	json_object_object_add(an, "fvm.oci.version",
			       json_object_new_string(FVM_VERSION));
	json_object_object_add(o, "annotations", an);
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	json_object_put(o);
	(void)argc;
	(void)argv;
	return 0;
}
