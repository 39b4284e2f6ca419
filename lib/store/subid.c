// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * subid.c - a rootless VM's subordinate ids (--ids sub), as rootless
 * podman has them: VM id 0 is the user's uid (gid), VM ids 1..65535 are
 * the first 65,535 of the user's range in /etc/subuid (/etc/subgid).
 *
 * Theory of operation. The host's /etc/subuid and /etc/subgid are the
 * host's (no VM can write them): they are read through host_path_open()
 * and read_small_fileat() (no symlink, a bounded regular file), and an
 * entry is the user's by name (the host's /etc/passwd, parsed, never
 * NSS) or by decimal uid; the first entry of at least SUBID_NEED ids
 * wins. The range is recorded in the VM's config at create, so every
 * later reader (boot, diff, commit, export, import) knows the mapping
 * without reading the files again; newuidmap checks it against the
 * files each time it writes a map.
 *
 * Only the distribution's set-uid newuidmap and newgidmap (package
 * uidmap) can write such maps for an unprivileged user; fvm has no
 * set-uid helper of its own. They run as children with a clean
 * environment, no fd of ours but /dev/null and a pipe for their message.
 *
 * Files the VM made owned by its ids 1..65535 are owned, on the host, by
 * the user's subordinate ids: the user cannot read or remove them. The
 * host-side work on a layer (diff, commit, discard, rm, export, cp,
 * snapshots) is done by a child process (vm_ids_run(), ids-run.c) that
 * first enters, once, a user namespace of its own that maps the user's
 * uid and the range each to itself (subid_enter): every id reads the same
 * as on the host, files it makes are still the user's, and it holds
 * capabilities over exactly the user's ids, nothing of any other host
 * user (the kernel's capable_wrt_inode_uidgid()). The caller never
 * enters it.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "store/store.h"

/* the range each of /etc/subuid and /etc/subgid must give (podman's default) */
#define SUBID_NEED 65536u

static const char *const helpers[2] = { NEWUIDMAP_BIN, NEWGIDMAP_BIN };
static const char *const files[2] = { "subuid", "subgid" };

/* The user's name from the host's /etc/passwd (parsed), or NULL. */
static char *host_user_name(uid_t uid)
{
	_cleanup_close_ int root = host_path_open("/", O_RDONLY | O_DIRECTORY);
	_cleanup_free_ char *buf = NULL;
	struct vm_user u = { 0 };
	char spec[16], *name;
	size_t len;

	if (root < 0 || passwd_read_file(root, "etc/passwd", &buf, &len) < 0)
		return NULL;
	snprintf(spec, sizeof(spec), "%u", (unsigned)uid);
	if (passwd_resolve(buf, len, "", 0, spec, &u) < 0)
		return NULL;
	name = TAKE_PTR(u.name);
	vm_user_release(&u);
	return name;
}

/* Is line @l ("OWNER:START:COUNT") @name's or @id's? Its range in *@start, *@count. */
static bool entry_of(const char *l, const char *name, unsigned id, unsigned long long *start,
		     unsigned long long *count)
{
	const char *c = strchr(l, ':');
	char idtxt[16], *end;
	size_t n;

	if (!c)
		return false;
	n = (size_t)(c - l);
	snprintf(idtxt, sizeof(idtxt), "%u", id);
	if (!((name && strlen(name) == n && !strncmp(l, name, n)) ||
	      (strlen(idtxt) == n && !strncmp(l, idtxt, n))))
		return false;
	/* decimal digits only (strtoull would take a sign or blanks) */
	if (c[1] < '0' || c[1] > '9')
		return false;
	errno = 0;
	*start = strtoull(c + 1, &end, 10);
	if (errno || *end != ':' || end[1] < '0' || end[1] > '9')
		return false;
	c = end + 1;
	*count = strtoull(c, &end, 10);
	return !errno && !*end && *start <= 0xffffffffull && *count <= 0xffffffffull &&
	       *start + *count <= 0xffffffffull;
}

/**
 * subid_find() - the first entry of user @name (or decimal uid @id) in
 * the text @buf of /etc/subuid or /etc/subgid ("OWNER:START:COUNT"
 * lines) with at least SUBID_NEED ids; malformed lines, a start of 0 and
 * ranges past 2^32 are passed over
 * Return: 0 with *@ret_start, else -ERANGE (*@ret_best: the most ids an
 * entry of the user gives) or -ENOENT (no entry). @buf is changed.
 */
int subid_find(char *buf, const char *name, unsigned id, unsigned *ret_start,
	       unsigned long long *ret_best)
{
	unsigned long long best = 0;
	char *line, *save = NULL;

	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long start, count;

		if (!entry_of(line, name, id, &start, &count) || start == 0)
			continue;
		if (count >= SUBID_NEED) {
			*ret_start = (unsigned)start;
			return 0;
		}
		best = count > best ? count : best;
	}
	*ret_best = best;
	return best ? -ERANGE : -ENOENT;
}

/* The first range of @id (or @name) in /etc/@file of at least SUBID_NEED ids. */
static int lookup(const char *file, const char *name, unsigned id, unsigned *ret,
		  struct fvm_error *err)
{
	_cleanup_close_ int etc = host_path_open("/etc", O_RDONLY | O_DIRECTORY);
	_cleanup_free_ char *buf = NULL;
	unsigned long long best = 0;
	int r = etc < 0 ? etc : read_small_fileat(etc, file, &buf, NULL);

	if (r < 0)
		return fvm_errf(err, r, "cannot read /etc/%s: %s; as root, give user %s (%u) 65536 subordinate ids: usermod --add-sub%cids 100000-165535 %s (or create the VM with --ids single)",
				file, strerror(-r), name ? name : "?", id, file[3], name ? name : "USER");
	r = subid_find(buf, name, id, ret, &best);
	if (r == -ERANGE)
		return fvm_errf(err, -ERANGE, "/etc/%s gives user %s (%u) %llu subordinate ids, fewer than the %u a VM with --ids sub needs; as root: usermod --add-sub%cids START-END %s with 65536 free ids (or create the VM with --ids single)",
				file, name ? name : "?", id, best, SUBID_NEED, file[3], name ? name : "USER");
	if (r < 0)
		return fvm_errf(err, -ENOENT, "/etc/%s has no entry for user %s (%u); as root, give it 65536 subordinate ids: usermod --add-sub%cids 100000-165535 %s (with a free range), or create the VM with --ids single",
				file, name ? name : "?", id, file[3], name ? name : "USER");
	return 0;
}

/* Is the helper @i there, and able to map ids (set-uid root, or file capabilities)? */
static int helper_check(int i, struct fvm_error *err)
{
	struct stat st;

	if (stat(helpers[i], &st) < 0)
		return fvm_errf(err, -errno, "cannot use %s: %s; install the package uidmap (or create the VM with --ids single)",
				helpers[i], strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 || !(st.st_mode & S_IXOTH) ||
	    (!(st.st_mode & S_ISUID) && getxattr(helpers[i], "security.capability", NULL, 0) <= 0))
		return fvm_errf(err, -EPERM, "%s is not a set-uid root program (nor has file capabilities), so it cannot map subordinate ids; as root: chmod 4755 %s, or reinstall the package uidmap (or create the VM with --ids single)",
				helpers[i], helpers[i]);
	return 0;
}

/**
 * subid_resolve() - the subordinate ranges of @uid (@gid) for a VM with
 * --ids sub: from /etc/subuid and /etc/subgid, checked to give 65,536
 * ids, and newuidmap and newgidmap checked to be usable
 * Return: 0 with *@ret_uid, *@ret_gid the ranges' first ids, or -errno
 * with @err naming the file and the fix.
 */
int subid_resolve(uid_t uid, uid_t *ret_uid, gid_t *ret_gid, struct fvm_error *err)
{
	_cleanup_free_ char *name = host_user_name(uid);
	unsigned su, sg;
	int r = lookup(files[0], name, (unsigned)uid, &su, err);

	if (r == 0)
		r = lookup(files[1], name, (unsigned)uid, &sg, err);
	/* the user's own id is the VM's 0: never one of its 1..65535 too */
	if (r == 0 && uid >= su && uid - su < UID_RANGE)
		r = fvm_errf(err, -ERANGE, "/etc/subuid gives user %s (%u) a range %u-%u that holds its own uid; as root, give it a range of 65536 other ids (usermod --del-subuids, --add-subuids), or create the VM with --ids single",
			     name ? name : "?", (unsigned)uid, su, su + UID_RANGE - 1);
	if (r == 0)
		r = helper_check(0, err);
	if (r == 0)
		r = helper_check(1, err);
	if (r < 0)
		return r;
	*ret_uid = su;
	*ret_gid = sg;
	return 0;
}

/* Run helper @i: "PID A B C [D E F]" (@args), its message in @msg. */
static int run_helper(int i, pid_t pid, const unsigned *args, size_t nargs, char *msg, size_t len)
{
	static char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };
	char txt[7][16], *argv[9];
	int p[2], status;
	ssize_t got = 0, k;
	pid_t c;

	snprintf(txt[0], sizeof(txt[0]), "%d", (int)pid);
	argv[0] = (char *)helpers[i];
	argv[1] = txt[0];
	for (size_t a = 0; a < nargs && a < 6; a++) {
		snprintf(txt[a + 1], sizeof(txt[a + 1]), "%u", args[a]);
		argv[a + 2] = txt[a + 1];
	}
	argv[nargs + 2] = NULL;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	c = fork();
	if (c < 0) {
		int e = errno;

		close(p[0]);
		close(p[1]);
		return -e;
	}
	if (c == 0) {
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (nul < 0 || dup2(nul, 0) < 0 || dup2(p[1], 1) < 0 || dup2(p[1], 2) < 0)
			_exit(127);
		syscall(SYS_close_range, 3U, ~0U, 0U);
		execve(helpers[i], argv, envp);
		dprintf(2, "cannot run %s: %s", helpers[i], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	while ((size_t)got < len - 1 && (k = read(p[0], msg + got, len - 1 - (size_t)got)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			break;
		got += k;
	}
	msg[got] = '\0';
	if (got && msg[got - 1] == '\n')
		msg[got - 1] = '\0';
	close(p[0]);
	while (waitpid(c, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPERM;
}

/*
 * Write @pid's uid and gid maps with newuidmap and newgidmap: the user's
 * @own (gid @own_g) and the subordinate ranges @cfg recorded. For a VM's
 * user namespace @own is its 0 and the range its 1..65535; @identity (the
 * namespace of subid_enter) maps each id to itself. Return: 0, or -errno
 * with @err filled with the helper's message.
 */
static int subid_map(pid_t pid, const struct vm_config *cfg, uid_t own, gid_t own_g, bool identity,
		     struct fvm_error *err)
{
	unsigned u[6] = { identity ? own : 0, own, 1, identity ? cfg->subuid : 1, cfg->subuid, UID_RANGE - 1 };
	unsigned g[6] = { identity ? own_g : 0, own_g, 1, identity ? cfg->subgid : 1, cfg->subgid, UID_RANGE - 1 };
	const unsigned *args[2] = { u, g };
	char msg[512];

	for (int i = 0; i < 2; i++) {
		int r = run_helper(i, pid, args[i], 6, msg, sizeof(msg));

		if (r < 0)
			return fvm_errf(err, r, "VM '%s': %s could not map its subordinate ids (%s %u-%u, from /etc/%s): %s; check that /etc/%s still gives you that range, or recreate the VM with --ids single",
					cfg->name, helpers[i], i ? "gids" : "uids", i ? cfg->subgid : cfg->subuid,
					(i ? cfg->subgid : cfg->subuid) + UID_RANGE - 2, files[i],
					msg[0] ? msg : "it failed", files[i]);
	}
	return 0;
}

/* the range this process entered (subid_enter), 0 if none */
static uid_t entered_uid;
static gid_t entered_gid;

/**
 * subid_entered() - has this process entered a user namespace mapping
 * the user's ids to themselves (subid_enter)? Then it holds CAP_SETUID
 * and CAP_SETGID over those ids there, and writes a new VM's maps itself.
 */
bool subid_entered(void)
{
	return entered_uid != 0;
}

/**
 * subid_write_maps() - write the maps of a VM's new user namespace @pid:
 * 0 -> @own, 1..65535 -> the recorded range; through newuidmap and
 * newgidmap, or directly from inside the identity namespace.
 * Return: 0 or -errno with @err filled.
 */
int subid_write_maps(pid_t pid, const struct vm_config *cfg, uid_t own, gid_t own_g,
		     struct fvm_error *err)
{
	char u[96], g[96], p[64];
	int r = 0;

	if (!subid_entered())
		return subid_map(pid, cfg, own, own_g, false, err);
	if (entered_uid != cfg->subuid || entered_gid != cfg->subgid)
		return fvm_errf(err, -EPERM, "VM '%s': this process already works with other subordinate ids", cfg->name);
	snprintf(u, sizeof(u), "0 %u 1\n1 %u %u\n", (unsigned)own, (unsigned)cfg->subuid, UID_RANGE - 1);
	snprintf(g, sizeof(g), "0 %u 1\n1 %u %u\n", (unsigned)own_g, (unsigned)cfg->subgid, UID_RANGE - 1);
	for (int i = 0; i < 2 && r == 0; i++) {
		_cleanup_close_ int fd = -1;
		const char *t = i ? g : u;

		snprintf(p, sizeof(p), "/proc/%d/%s", (int)pid, i ? "gid_map" : "uid_map");
		fd = open(p, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, t, strlen(t)) != (ssize_t)strlen(t))
			r = -errno;
	}
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': cannot write the id maps of its user namespace: %s",
				cfg->name, strerror(-r));
	return 0;
}

/**
 * subid_enter() - move the calling process, once and for good, into a
 * user namespace of its own that maps the user's uid and gid and @cfg's
 * subordinate ranges each to itself (see the top of this file); a no-op
 * for a VM without --ids sub, or when already entered. The process must
 * be single-threaded. A helper child writes the maps (newuidmap can map
 * only another process: ours waits for it).
 * Return: 0 or -errno with @err filled.
 */
int subid_enter(const struct vm_config *cfg, struct fvm_error *err)
{
	struct fvm_error e = { 0 };
	uid_t own = getuid();
	gid_t own_g = getgid();
	pid_t self = getpid(), c;
	int go[2], back[2], status, r = 0;
	char msg[FVM_ERROR_MSG_MAX] = "";
	ssize_t got;

	if (!cfg->rootless || cfg->ids != FVM_IDS_SUB)
		return 0;
	if (subid_entered())
		return entered_uid == cfg->subuid && entered_gid == cfg->subgid ? 0 :
		       fvm_errf(err, -EPERM, "VM '%s': this process already works with other subordinate ids", cfg->name);
	/* once unshared there is no way back: the helpers must be there first */
	if ((r = helper_check(0, err)) < 0 || (r = helper_check(1, err)) < 0)
		return r;
	if (pipe2(go, O_CLOEXEC) < 0)
		return fvm_errf(err, -errno, "cannot create a pipe: %s", strerror(errno));
	if (pipe2(back, O_CLOEXEC) < 0) {
		r = -errno;
		close(go[0]);
		close(go[1]);
		return fvm_errf(err, r, "cannot create a pipe: %s", strerror(-r));
	}
	c = fork();
	if (c == 0) {
		char b;

		close(go[1]);
		close(back[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (read(go[0], &b, 1) != 1 || b != 'g')
			_exit(1);
		r = subid_map(self, cfg, own, own_g, true, &e);
		if (r < 0)
			(void)write_all(back[1], e.msg, strlen(e.msg));
		_exit(r < 0 ? 2 : 0);
	}
	close(go[0]);
	close(back[1]);
	if (c < 0) {
		r = -errno;
		close(go[1]);
		close(back[0]);
		return fvm_errf(err, r, "cannot fork: %s", strerror(-r));
	}
	if (unshare(CLONE_NEWUSER) < 0)
		r = -errno;
	if (write(go[1], r == 0 ? "g" : "x", 1) != 1 && r == 0)
		r = -EIO;
	close(go[1]);
	got = read_all(back[0], msg, sizeof(msg) - 1);
	msg[got > 0 ? got : 0] = '\0';
	close(back[0]);
	while (waitpid(c, &status, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': cannot make a user namespace to reach its layers' files: %s",
				cfg->name, strerror(-r));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || getuid() != own)
		return fvm_errf(err, -EPERM, "%s", msg[0] ? msg :
				"cannot map your subordinate ids to reach a VM's layers: newuidmap or newgidmap failed; check /etc/subuid and /etc/subgid");
	entered_uid = cfg->subuid;
	entered_gid = cfg->subgid;
	return 0;
}
