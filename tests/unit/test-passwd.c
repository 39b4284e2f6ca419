// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-passwd.c - passwd_resolve() and passwd_read_file(), which resolve
 * "USER[:GROUP]" from a VM's own /etc/passwd and /etc/group instead of NSS:
 * well-formed entries, malformed and NIS lines skipped, long lines,
 * numeric users and groups with and without entries, supplementary
 * groups, and files fvm must refuse (symlinks, FIFOs, too large).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "tap.h"

static const char pw[] =
	"root:x:0:0:root:/root:/bin/bash\n"
	"# a comment:x:5:5::/:/bin/sh\n"
	"+nis:x:6:6::/:/bin/sh\n"
	"-nis2::7:7::/:\n"
	"\n"
	"short:x:8:8\n"
	"toomany:x:9:9:a:/b:/c:d\n"
	"badid:x:12a:12::/:/bin/sh\n"
	"huge:x:4294967295:1::/:/bin/sh\n"
	"alice:x:1000:1000:Alice:/home/alice:/bin/zsh\n"
	"alice:x:1001:1001:second:/nope:/bin/false\n"
	"bob:x:1002:1002:::\n"
	"1234:x:77:77::/home/numeric:/bin/sh\n"
	"dup:x:1000:5:::\n"
	"last:x:3000:3000::/home/last:/bin/sh";   /* no newline at the end */

static const char gr[] =
	"root:x:0:\n"
	"wheel:x:10:alice,bob\n"
	"audio:x:29:bob,alice\n"
	"badgid:x:-1:alice\n"
	"three:x:40\n"
	"video:x:44:carol,alice2,xalice\n"
	"alice:x:1000:\n"
	"staff:x:50:alice\n"
	"again:x:10:alice\n"
	"+nis:x:60:alice\n";

static int resolve(const char *spec, struct vm_user *u)
{
	return passwd_resolve(pw, sizeof(pw) - 1, gr, sizeof(gr) - 1, spec, u);
}

static void test_names(void)
{
	struct vm_user u = { 0 };

	tap_ok(resolve(NULL, &u) == 0 && u.uid == 0 && u.gid == 0 && !strcmp(u.name, "root") &&
	       !strcmp(u.home, "/root") && !strcmp(u.shell, "/bin/bash"), "NULL spec is root");
	vm_user_release(&u);
	tap_ok(resolve("alice", &u) == 0 && u.uid == 1000 && u.gid == 1000 &&
	       !strcmp(u.home, "/home/alice") && !strcmp(u.shell, "/bin/zsh"),
	       "by name: the first entry wins");
	tap_ok(u.ngroups == 4 && u.groups[0] == 1000 && u.groups[1] == 10 && u.groups[2] == 29 &&
	       u.groups[3] == 50, "supplementary groups: primary first, then members, each once (%zu)",
	       u.ngroups);
	vm_user_release(&u);
	tap_ok(resolve("bob", &u) == 0 && !strcmp(u.home, "/") && !strcmp(u.shell, "/bin/sh"),
	       "empty home and shell default to / and /bin/sh");
	vm_user_release(&u);
	tap_ok(resolve("last", &u) == 0 && u.uid == 3000, "a last line without newline counts");
	vm_user_release(&u);
	tap_ok(resolve("nobody-here", &u) == -ESRCH, "unknown name: ESRCH");
	tap_ok(resolve("+nis", &u) == -ESRCH && resolve("-nis2", &u) == -ESRCH &&
	       resolve("# a comment", &u) == -ESRCH, "NIS and comment lines are no users");
	tap_ok(resolve("short", &u) == -ESRCH && resolve("toomany", &u) == -ESRCH &&
	       resolve("badid", &u) == -ESRCH && resolve("huge", &u) == -ESRCH,
	       "malformed lines are skipped");
	tap_ok(resolve("", &u) == -EINVAL && resolve("alice:", &u) == -EINVAL &&
	       resolve(":wheel", &u) == -EINVAL, "empty parts are invalid");
}

static void test_numeric(void)
{
	struct vm_user u = { 0 };

	tap_ok(resolve("1000", &u) == 0 && !strcmp(u.name, "alice") && u.gid == 1000,
	       "numeric uid: the first entry with it");
	vm_user_release(&u);
	tap_ok(resolve("1234", &u) == 0 && u.uid == 1234 && u.gid == 1234 && !u.name &&
	       !strcmp(u.home, "/") && u.ngroups == 1 && u.groups[0] == 1234,
	       "numeric uid without entry: gid the same, home /, no name (not user '1234')");
	vm_user_release(&u);
	tap_ok(resolve("1234:2345", &u) == 0 && u.gid == 2345 && u.ngroups == 1,
	       "numeric uid and gid without entries");
	vm_user_release(&u);
	tap_ok(resolve("4294967295", &u) == -ESRCH && resolve("99999999999", &u) == -ESRCH &&
	       resolve("-1", &u) == -ESRCH, "out-of-range ids are names, and no one's");
	tap_ok(resolve("alice:wheel", &u) == 0 && u.gid == 10 && u.groups[0] == 10 &&
	       u.ngroups == 3, "USER:GROUP by name: the group is primary, listed once");
	vm_user_release(&u);
	tap_ok(resolve("alice:29", &u) == 0 && u.gid == 29, "USER:GID with an entry");
	vm_user_release(&u);
	tap_ok(resolve("alice:three", &u) == 0 && u.gid == 40, "a group line without member field");
	vm_user_release(&u);
	tap_ok(resolve("alice:nogroup-here", &u) == -ESRCH, "a missing group name: ESRCH");
	tap_ok(resolve("alice:badgid", &u) == -ESRCH, "a group line with a bad gid is skipped");
}

static void test_missing_files(void)
{
	struct vm_user u = { 0 };

	tap_ok(passwd_resolve(NULL, 0, NULL, 0, "0", &u) == 0 && u.uid == 0 && !u.name &&
	       u.ngroups == 1, "no /etc/passwd: numeric users still work");
	vm_user_release(&u);
	tap_ok(passwd_resolve(NULL, 0, NULL, 0, "root", &u) == -ESRCH, "no /etc/passwd: no names");
	tap_ok(passwd_resolve(pw, sizeof(pw) - 1, NULL, 0, "alice", &u) == 0 && u.ngroups == 1,
	       "no /etc/group: the primary group only");
	vm_user_release(&u);
	tap_ok(passwd_resolve(pw, sizeof(pw) - 1, NULL, 0, "alice:wheel", &u) == -ESRCH,
	       "no /etc/group: a group name is unknown");
	{
		static const char nul[] = "evil\0:x:0:0::/:/bin/sh\nok:x:5:5::/:/bin/sh\n";

		tap_ok(passwd_resolve(nul, sizeof(nul) - 1, NULL, 0, "evil", &u) == -ESRCH,
		       "a line with a NUL byte is skipped");
		tap_ok(passwd_resolve(nul, sizeof(nul) - 1, NULL, 0, "ok", &u) == 0 && u.uid == 5,
		       "the line after it still counts");
		vm_user_release(&u);
	}
}

/* A 1 MiB junk line, a group with 100,000 members, and 70,000 groups. */
static void test_long(void)
{
	size_t cap = 16u << 20, n = 0;
	char *p = malloc(cap), *g = malloc(cap);
	struct vm_user u = { 0 };
	size_t gn = 0;

	memset(p, 'a', 1u << 20);
	n = 1u << 20;
	n += (size_t)snprintf(p + n, cap - n, "\nlong:x:42:42::/home/%0300d:/bin/sh\n", 0);
	gn += (size_t)snprintf(g, cap, "big:x:7:");
	for (int i = 0; i < 100000; i++)
		gn += (size_t)snprintf(g + gn, cap - gn, "u%d,", i);
	gn += (size_t)snprintf(g + gn, cap - gn, "long\n");
	for (int i = 0; i < 70000; i++)
		gn += (size_t)snprintf(g + gn, cap - gn, "g%d:x:%d:long\n", i, 100000 + i);
	tap_ok(passwd_resolve(p, n, g, gn, "long", &u) == 0 && u.uid == 42 && strlen(u.home) == 306,
	       "an entry after a 1 MiB line, with a long home");
	tap_ok(u.ngroups == PASSWD_GROUPS_MAX && u.groups[0] == 42 && u.groups[1] == 7,
	       "member at the end of a 100,000-member line; at most %u groups (%zu)",
	       PASSWD_GROUPS_MAX, u.ngroups);
	vm_user_release(&u);
	free(p);
	free(g);
}

static void test_read_file(void)
{
	char dir[] = "/tmp/test-passwd.XXXXXX", *buf = NULL;
	size_t len = 0;
	int d, fd;

	if (!mkdtemp(dir)) {
		tap_ok(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	d = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	mkdirat(d, "etc", 0755);
	fd = openat(d, "etc/passwd", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	tap_ok(fd >= 0 && write(fd, pw, sizeof(pw) - 1) == (ssize_t)sizeof(pw) - 1, "write a passwd");
	close(fd);
	tap_ok(passwd_read_file(d, "etc/passwd", &buf, &len) == 0 && len == sizeof(pw) - 1 &&
	       !memcmp(buf, pw, len) && buf[len] == '\0', "a regular file is read whole");
	free(buf);
	symlinkat("passwd", d, "etc/link");
	tap_ok(passwd_read_file(d, "etc/link", &buf, &len) == -ELOOP, "a symlink is not followed");
	symlinkat("/proc/self/fd/0", d, "etc/magic");
	tap_ok(passwd_read_file(d, "etc/magic", &buf, &len) == -ELOOP, "nor a magic link");
	symlinkat(".", d, "up");
	tap_ok(passwd_read_file(d, "up/etc/passwd", &buf, &len) == -ELOOP, "nor a symlinked dir");
	tap_ok(passwd_read_file(d, "../etc/passwd", &buf, &len) == -EXDEV, "nor .. out of the root");
	mkfifoat(d, "etc/fifo", 0644);
	tap_ok(passwd_read_file(d, "etc/fifo", &buf, &len) == -EINVAL, "a FIFO is refused, at once");
	tap_ok(passwd_read_file(d, "etc", &buf, &len) == -EINVAL, "a directory is refused");
	tap_ok(passwd_read_file(d, "etc/none", &buf, &len) == -ENOENT, "a missing file: ENOENT");
	fd = openat(d, "etc/big", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	tap_ok(fd >= 0 && ftruncate(fd, PASSWD_FILE_MAX + 1) == 0, "a sparse file one byte too large");
	close(fd);
	tap_ok(passwd_read_file(d, "etc/big", &buf, &len) == -EFBIG, "a huge file is refused");
	fd = openat(d, "etc/max", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	tap_ok(fd >= 0 && ftruncate(fd, PASSWD_FILE_MAX) == 0 &&
	       passwd_read_file(d, "etc/max", &buf, &len) == 0 && len == PASSWD_FILE_MAX,
	       "a file of exactly the cap is read");
	free(buf);
	close(fd);
	for (const char *const *f = (const char *const[]){ "etc/passwd", "etc/link", "etc/magic",
							   "etc/fifo", "etc/big", "etc/max", "up",
							   NULL }; *f; f++)
		unlinkat(d, *f, 0);
	unlinkat(d, "etc", AT_REMOVEDIR);
	close(d);
	rmdir(dir);
}

static int collect_home(uid_t uid, const char *home, void *ctx)
{
	char *out = ctx;
	size_t n = strlen(out);

	snprintf(out + n, 256 - n, "%u=%s;", (unsigned)uid, home);
	return uid == 4242 ? 7 : 0;
}

static void test_homes(void)
{
	static const char pwh[] =
		"root:x:0:0:root:/root:/bin/sh\n"
		"#c:x:1:1::/c:/bin/sh\n"
		"bad:x:12a:1::/bad:/bin/sh\n"
		"rel:x:2:2::relative:/bin/sh\n"
		"short:x:3:3:/short\n"
		"alice:x:1000:1000:A:/home/alice:/bin/bash\n"
		"stop:x:4242:1::/stop:/bin/sh\n"
		"after:x:5:5::/after:/bin/sh";
	char out[256] = "";

	tap_ok(passwd_homes(pwh, sizeof(pwh) - 1, collect_home, out) == 7 &&
	       !strcmp(out, "0=/root;1000=/home/alice;4242=/stop;"),
	       "passwd_homes: well-formed entries with absolute homes, stops on the callback's word (%s)", out);
	out[0] = '\0';
	tap_ok(passwd_homes(NULL, 0, collect_home, out) == 0 && !out[0], "passwd_homes: no file, no entry");
}

int main(void)
{
	tap_plan(40);
	test_homes();
	test_names();
	test_numeric();
	test_missing_files();
	test_long();
	test_read_file();
	return tap_done();
}
