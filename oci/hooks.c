// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * hooks.c - config.json's hooks: each one's path run with its args and
 * env, the container's state JSON on its stdin, killed after its timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "oci.h"

static char **strv(json_object *a, const char *first)
{
	size_t n = a ? json_object_array_length(a) : 0;
	char **v = calloc(n + 2, sizeof(*v));
	size_t k = 0;
	if (!v)
		return NULL;
	if (first && n == 0)
		v[k++] = (char *)first;
	for (size_t i = 0; i < n && i < 4096; i++)
		v[k++] = (char *)json_object_get_string(json_object_array_get_idx(a, i));
	return v;
}

static int run_one(json_object *h, const char *kind, size_t idx, const char *state,
		   struct oci_err *e)
{
	json_object *p = NULL, *a = NULL, *en = NULL, *t = NULL;
	json_object_object_get_ex(h, "path", &p);
	json_object_object_get_ex(h, "args", &a);
	json_object_object_get_ex(h, "env", &en);
	json_object_object_get_ex(h, "timeout", &t);
	const char *path = json_object_get_string(p);
	char **argv = strv(a, path), **envp = strv(en, NULL);
	int pfd[2];
	if (!argv || !envp || pipe2(pfd, O_CLOEXEC) < 0) {
		free(argv);
		free(envp);
		return oci_fail(e, -ENOMEM, "hooks.%s[%zu]: cannot start it", kind, idx);
	}
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pfd[0], 0);
		execve(path, argv, envp);
		_exit(127);
	}
	free(argv);
	free(envp);
	close(pfd[0]);
	signal(SIGPIPE, SIG_IGN);
	if (pid > 0 && write(pfd[1], state, strlen(state)) < 0) {
		/* a hook need not read its stdin */
	}
	close(pfd[1]);
	if (pid < 0)
		return oci_fail(e, -errno, "hooks.%s[%zu] %s: fork: %m", kind, idx, path);
	long limit_ms = t ? json_object_get_int64(t) * 1000 : -1;
	int status = 0;
	for (long ms = 0;; ms += 10) {
		pid_t r = waitpid(pid, &status, limit_ms < 0 ? 0 : WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return oci_fail(e, -errno, "hooks.%s[%zu] %s: wait: %m", kind, idx, path);
		if (ms >= limit_ms) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return oci_fail(e, -ETIMEDOUT, "hooks.%s[%zu] %s: killed after its timeout "
					"of %ld s", kind, idx, path, limit_ms / 1000);
		}
		struct timespec ts = { 0, 10000000L };
		nanosleep(&ts, NULL);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return oci_fail(e, -ECANCELED, "hooks.%s[%zu] %s failed (%s %d)", kind, idx, path,
				WIFEXITED(status) ? "exit status" : "signal",
				WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return 0;
}

/**
 * hooks_run() - run the hooks of one kind, in order, until one fails
 * @hooks: config.json's "hooks", or NULL
 * @kind:  "prestart", "createRuntime", ...
 * @state: the state JSON for their stdin
 * @e:     the error
 *
 * Return: 0, or -errno naming the hook that failed.
 */
int hooks_run(json_object *hooks, const char *kind, const char *state, struct oci_err *e)
{
	json_object *a = NULL;
	if (!hooks || !json_object_object_get_ex(hooks, kind, &a) ||
	    !json_object_is_type(a, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		int rc = run_one(json_object_array_get_idx(a, i), kind, i, state, e);
		if (rc < 0)
			return rc;
	}
	return 0;
}
