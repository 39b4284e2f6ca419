// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fuseovl.c - fuse-overlayfs, the copy-on-write backend of a rootless VM
 * where the kernel's overlayfs refuses (the host's "/" and any tree with
 * mounts below it: they are locked in a user namespace).
 *
 * Theory of operation. The mount and its daemon are split across the two
 * sides of the boot (boot.c, boot-child.c):
 *
 *  - The VM's first process, in the VM's user and mount namespaces, opens
 *    /dev/fuse and makes the FUSE mount itself with the fd-based mount API
 *    (fsopen "fuse", fd=N, fsmount): FUSE is allowed in a user namespace,
 *    so no fusermount and nothing set-uid. The mount is detached, attached
 *    by root_setup() like a kernel overlay. It sends the /dev/fuse fd to
 *    the parent and closes its own copy: no VM process ever holds it.
 *  - The parent, on the host, forks the daemon twice over (it is nobody's
 *    child in the VM, and survives `fvm start` exiting): it joins the VM's
 *    user namespace only, so it stays in the host's mount namespace (the
 *    lower is the host's own tree, never a path the VM can change) and the
 *    host's pid namespace (no VM process can name it to signal or ptrace
 *    it), and execs FUSEOVL_BIN with the lower, upper and work dirs and the
 *    /dev/fuse fd as /proc/self/fd/N and /dev/fd/N (libfuse then serves
 *    that fd and mounts nothing). In the VM's user namespace the daemon is
 *    the VM's root: it owns the upper layer's files as a kernel overlay's
 *    would be owned, and squash_to_root shows every host file as the VM's
 *    root's, so apt and dpkg can replace them (copy-up reads them with the
 *    user's rights on the host: what the user cannot read stays unreadable).
 *  - static_nlink: a directory's link count is 1, as the kernel's overlay
 *    gives a merged directory. Without it fuse-overlayfs answers each
 *    lookup of a directory by reading that directory whole (to count its
 *    subdirectories), and its lower crosses the host's mounts (it walks
 *    paths in the host's mount namespace; rootless nothing else can see
 *    below "/"): the VM's boot, looking up "proc" to mount its own /proc
 *    there, made it list the host's live /proc, where a process being
 *    reaped shows as DT_UNKNOWN and is gone by its stat, which failed the
 *    whole listing and so the lookup (ENOENT: "cannot mount /proc").
 *    Now a lookup reads the one name asked for, in each layer.
 *  - The daemon lives as long as the VM's mount: when the VM's last
 *    process is gone, its mount namespace and the FUSE superblock go, the
 *    connection ends and the daemon exits. A daemon that dies first leaves
 *    the mount answering ENOTCONN: the kernel never falls through to the
 *    host's files.
 *
 * The layer stays one format: what fuse-overlayfs writes there, and how
 * the readers of layers take it, is store/fuse-layer.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "launch/launch.h"
#include "util/util.h"

#include <json-c/json.h>

/* Is @r (from fuseovl_mount) "this host gives no FUSE": auto falls back? */
bool fuseovl_unavailable(int r)
{
	return r == -EACCES || r == -ENOENT || r == -ENXIO || r == -ENODEV || r == -EPERM;
}

static int fuse_open_error(const struct fvm_vm *vm, const char *target, int r,
			   struct fvm_error *err)
{
	if (r == -EACCES || r == -EPERM)
		return fvm_errf(err, r, "VM '%s': cannot open /dev/fuse for the copy-on-write of %s (fuse-overlayfs): %s; it must be mode 0666, as most distributions make it (as root: chmod 0666 /dev/fuse, kept with a udev rule KERNEL==\"fuse\", MODE=\"0666\"), or pick --cow kernel (the host's system tree is then read-only in the VM)",
				vm->cfg.name, target, strerror(-r));
	return fvm_errf(err, r, "VM '%s': cannot open /dev/fuse for the copy-on-write of %s (fuse-overlayfs): %s (as root: modprobe fuse), or pick --cow kernel",
			vm->cfg.name, target, strerror(-r));
}

/*
 * The package managers' files the user cannot read on the host, which
 * fuse-overlayfs cannot copy up (it reads the lower with the user's
 * rights): their lock files, empty and root's 0640. An empty file's copy
 * needs no reading: fvm makes it in the layer of "/" (mode and times the
 * host's; diff shows none, changes.c same content), so apt and dpkg can
 * take their locks in the VM. Directories the user cannot search (apt's
 * partial/) are made empty and opaque in the layer: the VM's own scratch,
 * marked FUSEOVL_SEED_XATTR, which diff does not show while they stay empty.
 */
static const char *const seed_dirs[] = {
	"var/lib/dpkg", "var/lib/dpkg/triggers", "var/lib/apt/lists", "var/cache/apt/archives",
	"var/cache/debconf",
};

/* @rel below @lower, made in @upper where missing, each directory with the
 * host's mode; an O_RDONLY fd of the upper one, or -errno */
static int upper_dir(int upper, int lower, const char *rel)
{
	char buf[256], *save = NULL;
	int up = fcntl(upper, F_DUPFD_CLOEXEC, 3), low = fcntl(lower, F_DUPFD_CLOEXEC, 3);

	snprintf(buf, sizeof(buf), "%s", rel);
	for (char *p = strtok_r(buf, "/", &save); p && up >= 0 && low >= 0; p = strtok_r(NULL, "/", &save)) {
		struct stat st;
		int nu, nl = openat(low, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (nl < 0 || fstat(nl, &st) < 0 ||
		    (mkdirat(up, p, st.st_mode & 07777) < 0 && errno != EEXIST)) {
			if (nl >= 0)
				close(nl);
			close(up);
			close(low);
			return -ENOENT;
		}
		nu = openat(up, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(up);
		close(low);
		up = nu;
		low = nl;
	}
	if (low >= 0)
		close(low);
	return up >= 0 ? up : -ENOENT;
}

static void seed_entry(int up, int low, const char *name)
{
	struct stat st, ust;
	struct timespec ts[2];
	int fd;

	/* the lower's type first: most entries (apt's cached .debs: thousands
	 * on some hosts, looked at on every boot) are files with content,
	 * which are never seeded, and cost no more than this one stat */
	if (fstatat(low, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !((S_ISREG(st.st_mode) && st.st_size == 0) || S_ISDIR(st.st_mode)))
		return;   /* gone, or never seeded */
	if (fstatat(up, name, &ust, AT_SYMLINK_NOFOLLOW) == 0 ||
	    faccessat(low, name, S_ISDIR(st.st_mode) ? R_OK | X_OK : R_OK, AT_EACCESS | AT_SYMLINK_NOFOLLOW) == 0)
		return;   /* the VM's already, or readable */
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	if (S_ISREG(st.st_mode) && st.st_size == 0) {
		fd = openat(up, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 07777);
		if (fd >= 0) {
			fchmod(fd, st.st_mode & 07777);
			futimens(fd, ts);
			close(fd);
		}
	} else if (S_ISDIR(st.st_mode) && mkdirat(up, name, st.st_mode & 07777) == 0) {
		fd = openat(up, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			fsetxattr(fd, FUSEOVL_XATTR_PREFIX "opaque", "y", 1, 0);
			fsetxattr(fd, FUSEOVL_SEED_XATTR, "y", 1, 0);
			close(fd);
		}
	}
}

/*
 * What seeding a directory depends on, so that a boot lists it (apt's
 * archives hold thousands of .debs) only when that can seed something new:
 * the lower's entries (an entry added, removed or renamed changes the
 * directory's mtime and ctime) and the upper's (the VM's own changes, or
 * a new upper after a discard or a snapshot: another inode). Kept in the
 * layer's directory next to upper/ (FUSEOVL_SEED_KEYS: the VM never
 * reaches it; a snapshot drops it with work/), one key per seed_dirs entry. Not seen: a lower file that turns empty and unreadable
 * in place; it is seeded when its directory next changes.
 */
struct seed_key {
	uint64_t low[6], up[3];
};

static bool lower_key(int low, struct seed_key *k)
{
	struct stat st;

	if (fstat(low, &st) < 0)
		return false;
	k->low[0] = st.st_dev;
	k->low[1] = st.st_ino;
	k->low[2] = (uint64_t)st.st_mtim.tv_sec;
	k->low[3] = (uint64_t)st.st_mtim.tv_nsec;
	k->low[4] = (uint64_t)st.st_ctim.tv_sec;
	k->low[5] = (uint64_t)st.st_ctim.tv_nsec;
	return true;
}

static bool upper_key(int up, struct seed_key *k)
{
	struct stat st;

	if (fstat(up, &st) < 0)
		return false;
	k->up[0] = st.st_ino;
	k->up[1] = (uint64_t)st.st_mtim.tv_sec;
	k->up[2] = (uint64_t)st.st_mtim.tv_nsec;
	return true;
}

/* one seed directory: seeded unless its key is @*key; *@key is then the new one */
static void seed_dir(int upper, int lower, const char *rel, struct seed_key *key)
{
	_cleanup_close_ int up = upper_dir(upper, lower, rel);
	_cleanup_close_ int low = up < 0 ? -1 : open_beneath(lower, rel, O_RDONLY | O_DIRECTORY);
	struct seed_key now = { 0 };
	char **names = NULL;
	size_t n = 0;

	if (low < 0 || !lower_key(low, &now) || !upper_key(up, &now)) {
		memset(key, 0, sizeof(*key));
		return;
	}
	if (!memcmp(&now, key, sizeof(now)))
		return;   /* nothing changed since it was seeded */
	if (dir_names(low, &names, &n) < 0) {
		memset(key, 0, sizeof(*key));
		return;
	}
	for (size_t k = 0; k < n; k++)
		seed_entry(up, low, names[k]);
	fvm_strv_free(names);
	*key = now;
	if (!upper_key(up, key))
		memset(key, 0, sizeof(*key));
}

/* best effort: what is not seeded stays unreadable in the VM, as on the host */
static void seed_unreadable(int layer, int upper, int lower)
{
	struct seed_key keys[ARRAY_SIZE(seed_dirs)], old[ARRAY_SIZE(seed_dirs)];
	_cleanup_close_ int fd = openat(layer, FUSEOVL_SEED_KEYS, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 || read_all(fd, keys, sizeof(keys)) != (ssize_t)sizeof(keys))
		memset(keys, 0, sizeof(keys));   /* never seeded, or torn: all again */
	memcpy(old, keys, sizeof(old));
	for (size_t i = 0; i < ARRAY_SIZE(seed_dirs); i++)
		seed_dir(upper, lower, seed_dirs[i], &keys[i]);
	if (!memcmp(old, keys, sizeof(keys)))
		return;
	close(fd);
	fd = openat(layer, FUSEOVL_SEED_KEYS, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0)
		(void)write_all(fd, keys, sizeof(keys));
}

/* The directory of @target's layer (layers/ESCAPED), opened O_RDONLY, or -errno. */
static int layer_dir(struct fvm_vm *vm, const char *target)
{
	char esc[256], rel[300];
	int fd, r = layer_escape(target, esc, sizeof(esc));

	if (r < 0)
		return r;
	snprintf(rel, sizeof(rel), "layers/%s", esc);
	fd = openat(vm->dirfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* A detached FUSE mount served through @fuse, made in our user namespace. */
static int fuse_fs_new(int fuse, unsigned attrs, const char **ret_step)
{
	_cleanup_close_ int fs = (int)syscall(SYS_fsopen, "fuse", FSOPEN_CLOEXEC);
	char fd[16];
	int m;

	*ret_step = "create a FUSE mount in its user namespace (FUSE must be allowed in user namespaces: Linux >= 4.18 with the fuse module, modprobe fuse as root; or pick --cow kernel)";
	if (fs < 0)
		return -errno;
	snprintf(fd, sizeof(fd), "%d", fuse);
	*ret_step = "configure the FUSE mount";
	if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "source", "fuse-overlayfs", 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "subtype", "fuse-overlayfs", 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "fd", fd, 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "rootmode", "40000", 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "user_id", "0", 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "group_id", "0", 0) < 0 ||
	    /* the kernel checks modes and owners, as the daemon is the VM's root */
	    syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, "default_permissions", NULL, 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, "allow_other", NULL, 0) < 0)
		return -errno;
	*ret_step = "mount the FUSE file system";
	if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	m = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, attrs);
	return m < 0 ? -errno : m;
}

/*
 * The layer of @target, locked (flock) for the daemon that serves it: the
 * daemon keeps the lock as long as it lives, so a new boot waits (up to
 * 10 s) until the last boot's daemon is gone, and two fuse-overlayfs never
 * share an upper and work dir. Taken by the boot's child before it writes
 * the layer (fuseovl_mount), held on until the daemon has it. Return: an
 * fd holding the lock, or -errno.
 */
int layer_lock(struct fvm_vm *vm, const char *target, struct fvm_error *err)
{
	int fd = layer_dir(vm, target), r;

	if (fd < 0)
		return fvm_errf(err, fd, "VM '%s': cannot open its layer of %s: %s", vm->cfg.name, target,
				strerror(-fd));
	for (int i = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; i++) {
		if (errno != EWOULDBLOCK || i >= 1000) {
			r = errno == EWOULDBLOCK ? -EBUSY : -errno;
			close(fd);
			return fvm_errf(err, r, "VM '%s': the fuse-overlayfs of its last boot still serves %s after 10 s (see ps -C fuse-overlayfs); try again when it has exited",
					vm->cfg.name, target);
		}
		usleep(10000);
	}
	return fd;
}

/**
 * fuseovl_mount() - in the VM's first process: the fuse-overlayfs mount
 * of entry @i, detached (*@ret_mnt), the /dev/fuse fd its daemon is to
 * serve (*@ret_fuse) and the layer's lock (*@ret_lock), both for
 * fuseovl_spawn on the parent's side. The lock is taken before fvm's
 * whiteouts (stores, hide policies) and seeds are put in the layer: the
 * daemon of a previous boot never still serves a layer being written.
 * Return: 0 or -errno with @err filled; fuseovl_unavailable() tells when
 * the host gives no FUSE at all.
 */
int fuseovl_mount(struct fvm_vm *vm, const struct host_mount *all, size_t n, size_t i,
		  int *ret_mnt, int *ret_fuse, int *ret_lock, struct fvm_error *err)
{
	const struct host_mount *hm = &all[i];
	_cleanup_close_ int upper = -1, work = -1, lower = -1, fuse = -1, lock = -1;
	unsigned attrs = (unsigned)hm->attrs | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID;
	const char *step;
	int m, r;

	*ret_mnt = *ret_fuse = *ret_lock = -1;
	if (access(hm->target, R_OK | X_OK) < 0)   /* as overlay_make: never the live tree */
		return mount_cover(ret_mnt);
	r = layer_open(vm, hm->target, &upper, &work, err);
	if (r < 0)
		return r;
	lock = layer_lock(vm, hm->target, err);   /* before anything below writes the layer */
	if (lock < 0)
		return lock;
	lower = host_path_open(hm->target, O_RDONLY | O_DIRECTORY);
	if (lower < 0)
		return fvm_errf(err, lower, "VM '%s': cannot open %s: %s", vm->cfg.name, hm->target,
				strerror(-lower));
	r = layer_hide_all(vm, all, n, hm, upper, lower, err);
	if (r < 0)
		return r;
	if (!strcmp(hm->target, "/"))
		seed_unreadable(lock, upper, lower);   /* the lock is the layer's directory */
	fuse = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fuse < 0)
		return fuse_open_error(vm, hm->target, -errno, err);
	m = fuse_fs_new(fuse, attrs, &step);
	if (m < 0)
		return fvm_errf(err, m, "VM '%s': cannot %s for %s: %s", vm->cfg.name, step, hm->target,
				strerror(-m));
	*ret_mnt = m;
	*ret_fuse = TAKE_FD(fuse);
	*ret_lock = TAKE_FD(lock);
	return 0;
}

/* The daemon's side of the double fork: join the VM's user namespace, exec. */
_Noreturn static void daemon_exec(int uns, int lower, int upper, int work, int fuse, int lock, int log,
				  int errfd)
{
	static char *const envp[] = { "PATH=/usr/bin:/bin", "LC_ALL=C", NULL };
	char *argv[] = { "fuse-overlayfs", "-f", "-o",
			 "lowerdir=/proc/self/fd/3,upperdir=/proc/self/fd/4,workdir=/proc/self/fd/5,squash_to_root,static_nlink",
			 "/dev/fd/6", NULL };
	int src[] = { lower, upper, work, fuse, lock }, e;

	/* its own session, out of the caller's cwd, in the VM's user namespace */
	if (setsid() < 0 || chdir("/") < 0 || setns(uns, CLONE_NEWUSER) < 0)
		goto fail;
	/* out of the way of 0..7 first, then in place (not close-on-exec);
	 * 7 holds the layer's lock (see fuseovl_spawn) as long as we live */
	for (size_t k = 0; k < 5; k++)
		if ((src[k] = fcntl(src[k], F_DUPFD_CLOEXEC, 100)) < 0)
			goto fail;
	if ((errfd = fcntl(errfd, F_DUPFD_CLOEXEC, 100)) < 0 || (log = fcntl(log, F_DUPFD_CLOEXEC, 100)) < 0)
		goto fail;
	for (int k = 0; k < 5; k++)
		if (dup2(src[k], 3 + k) < 0)
			goto fail;
	{
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (nul < 0 || dup2(nul, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
			goto fail;
	}
	syscall(SYS_close_range, 8U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
	execve(FUSEOVL_BIN, argv, envp);
fail:
	e = errno;
	if (write(errfd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

/* run/cow: one line "PID MOUNTPOINT" per tree a fuse-overlayfs serves */
static void record(struct fvm_vm *vm, pid_t daemon, const char *target)
{
	char line[4200];
	int n = snprintf(line, sizeof(line), "%d %s\n", (int)daemon, target);
	_cleanup_close_ int run = openat(vm->dirfd, "run", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int fd = run < 0 ? -1 : openat(run, "cow", O_WRONLY | O_CREAT | O_APPEND |
						       O_NOFOLLOW | O_CLOEXEC, 0644);

	if (fd >= 0 && n > 0 && (size_t)n < sizeof(line))
		(void)write_all(fd, line, (size_t)n);
}

/* fork twice: the daemon is reparented away from us; its pid comes over @p */
static int spawn(int uns, int lower, int upper, int work, int fuse, int lock, int log, pid_t *ret_pid)
{
	int errp[2], pidp[2], e = 0;
	pid_t mid, d = -1;
	ssize_t got;

	if (pipe2(errp, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(pidp, O_CLOEXEC) < 0) {
		e = errno;
		close(errp[0]);
		close(errp[1]);
		return -e;
	}
	mid = fork();
	if (mid == 0) {
		pid_t p = fork();

		if (p == 0)
			daemon_exec(uns, lower, upper, work, fuse, lock, log, errp[1]);
		_exit(write(pidp[1], &p, sizeof(p)) == sizeof(p) && p > 0 ? 0 : 1);
	}
	close(errp[1]);
	close(pidp[1]);
	if (mid > 0) {
		waitpid(mid, NULL, 0);
		if (read(pidp[0], &d, sizeof(d)) != sizeof(d))
			d = -1;
		got = read(errp[0], &e, sizeof(e));   /* EOF: the exec went through */
		if (got == sizeof(e) || d < 0)
			e = e ? e : EIO;
	} else {
		e = errno;
	}
	close(errp[0]);
	close(pidp[0]);
	*ret_pid = d;
	return -e;
}

/**
 * fuseovl_spawn() - on the host: start the fuse-overlayfs daemon that
 * serves @fuse (from the VM's first process, @init) for the tree
 * @target, recorded in run/cow; the daemon holds on the layer's @lock
 * (taken by that process, layer_lock()). @fuse and @lock stay the
 * caller's to close.
 * Return: 0 or -errno with @err filled (the caller then kills the VM).
 */
int fuseovl_spawn(struct fvm_vm *vm, pid_t init, const char *target, int fuse, int lock,
		  struct fvm_error *err)
{
	_cleanup_close_ int uns = -1, lower = -1, upper = -1, work = -1, log = -1, run = -1;
	char p[64];
	pid_t d = -1;
	int r;

	if (access(FUSEOVL_BIN, X_OK) < 0)
		return fvm_errf(err, -errno, "VM '%s': cannot make %s copy-on-write: %s: %s; install the package fuse-overlayfs, or pick --cow kernel",
				vm->cfg.name, target, FUSEOVL_BIN, strerror(errno));
	snprintf(p, sizeof(p), "/proc/%d/ns/user", (int)init);
	uns = open(p, O_RDONLY | O_CLOEXEC);
	if (uns < 0)
		return fvm_errf(err, -errno, "VM '%s': cannot open its user namespace: %s", vm->cfg.name,
				strerror(errno));
	lower = host_path_open(target, O_RDONLY | O_DIRECTORY);
	if (lower < 0)
		return fvm_errf(err, lower, "VM '%s': cannot open %s: %s", vm->cfg.name, target,
				strerror(-lower));
	r = layer_open(vm, target, &upper, &work, err);
	if (r < 0)
		return r;
	run = openat(vm->dirfd, "run", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	log = run < 0 ? -1 : openat(run, "fuse-overlayfs.log", O_WRONLY | O_CREAT | O_APPEND |
				    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (log < 0)
		log = open("/dev/null", O_WRONLY | O_CLOEXEC);
	r = spawn(uns, lower, upper, work, fuse, lock, log, &d);
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': cannot start %s for %s: %s", vm->cfg.name, FUSEOVL_BIN,
				target, strerror(-r));
	record(vm, d, target);
	return 0;
}
