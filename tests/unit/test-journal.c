// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-journal.c - a commit's journal (lib/changes/commit-journal.c) in a
 * scratch directory: written and read back field by field, in both phases;
 * a journal bigger than the small-file bound; an operation on a layer the
 * VM no longer has left out; and every journal fvm does not write refused
 * (-EBADMSG: not JSON, every truncation of a real one, a key missing or of
 * the wrong type, an unknown kind) or its hostile entries left out (a name
 * with "..", an absolute one, a temporary with a '/', a metadata change
 * without its metadata); a journal that is a symlink is not followed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "changes/changes.h"
#include "tap.h"

static char scratch[] = "/tmp/fvm-test-journal.XXXXXX";
static struct fvm_vm vm;
static struct layer_ref layers[2] = { { .mount = "/", .upper_fd = -1, .host_fd = -1 },
				      { .mount = "/home", .upper_fd = -1, .host_fd = -1 } };

static void commit_init(struct commit *c, size_t nlayers)
{
	memset(c, 0, sizeof(*c));
	c->vm = &vm;
	c->cs.layers = layers;
	c->cs.nlayers = nlayers;
	snprintf(c->id, sizeof(c->id), "test-1");
}

static int put_journal(const char *txt)
{
	unlinkat(vm.dirfd, "commit.journal", 0);
	return write_fileat_atomic(vm.dirfd, "commit.journal", txt, strlen(txt), 0600, false);
}

/* Load the journal @txt into a fresh commit; its status, the ops in *@c. */
static int load_text(struct commit *c, const char *txt, bool *ready)
{
	commit_init(c, 2);
	if (put_journal(txt) < 0)
		return -EIO;
	return journal_load(c, ready);
}

/* A one-op journal with the entry @entry (JSON text). */
static int load_entry(const char *entry, size_t *nops)
{
	char txt[1024];
	struct commit c;
	bool ready;
	int r;

	snprintf(txt, sizeof(txt), "{\"id\":\"x\",\"phase\":\"prepared\",\"ops\":[%s]}", entry);
	r = load_text(&c, txt, &ready);
	*nops = c.nops;
	commit_ops_free(&c);
	return r;
}

static bool same_op(const struct op *a, const struct op *b)
{
	return a->kind == b->kind && a->layer == b->layer && !strcmp(a->rel, b->rel) &&
	       !strcmp(a->tmp, b->tmp) && a->ino == b->ino && a->exchange == b->exchange &&
	       a->host_ino == b->host_ino && a->have_meta == b->have_meta &&
	       (!a->have_meta || (a->meta.stx_mode == b->meta.stx_mode && a->meta.stx_uid == b->meta.stx_uid &&
				  a->meta.stx_gid == b->meta.stx_gid &&
				  a->meta.stx_mtime.tv_sec == b->meta.stx_mtime.tv_sec &&
				  a->meta.stx_mtime.tv_nsec == b->meta.stx_mtime.tv_nsec &&
				  a->meta.stx_atime.tv_sec == b->meta.stx_atime.tv_sec));
}

static void round_trip(void)
{
	struct op ops[4] = {
		{ .kind = OP_FILE, .layer = 0, .rel = "etc/motd", .tmp = ".fvm-c.1", .ino = 77, .host_ino = 5 },
		{ .kind = OP_NEWDIR, .layer = 1, .rel = "alice/new dir", .tmp = ".fvm-c.2", .ino = 78 },
		{ .kind = OP_DELETE, .layer = 0, .rel = "usr/a..b", .tmp = ".fvm-c.3", .exchange = true },
		{ .kind = OP_META, .layer = 1, .rel = "alice", .have_meta = true,
		  .meta = { .stx_mode = 040750, .stx_uid = 1000, .stx_gid = 1000,
			    .stx_atime = { .tv_sec = 1700000000, .tv_nsec = 1 },
			    .stx_mtime = { .tv_sec = 1700000001, .tv_nsec = 999999999 } } },
	};
	struct commit w, c;
	bool ready = true, all = true;
	int r;

	commit_init(&w, 2);
	w.ops = ops;
	w.nops = 4;
	r = journal_write(&w, "prepared");
	tap_ok(r == 0, "a journal of four operations is written (%d)", r);
	commit_init(&c, 2);
	r = journal_load(&c, &ready);
	tap_ok(r == 0 && !ready && c.nops == 4, "read back: 4 operations, phase prepared (%d, %zu)", r, c.nops);
	for (size_t i = 0; i < 4 && i < c.nops; i++)
		all = all && same_op(&ops[i], &c.ops[i]);
	tap_ok(all && c.nops == 4, "every field of every operation is what was written (kind, layer, name, temporary, inodes, exchange, metadata)");
	commit_ops_free(&c);

	r = journal_write(&w, "ready");
	commit_init(&c, 2);
	tap_ok(r == 0 && journal_load(&c, &ready) == 0 && ready && c.nops == 4, "phase ready reads back as ready");
	commit_ops_free(&c);

	/* the VM has only its "/" layer now: the /home operations are left out */
	commit_init(&c, 1);
	r = journal_load(&c, &ready);
	tap_ok(r == 0 && c.nops == 2 && c.ops[0].layer == 0 && c.ops[1].layer == 0,
	       "operations on a layer the VM no longer has are left out (%zu left)", c.nops);
	commit_ops_free(&c);
}

/* More than SMALL_FILE_MAX bytes: still ours, still read whole. */
static void big_journal(void)
{
	size_t n = 20000;
	struct op *ops = calloc(n, sizeof(*ops));
	char (*names)[32] = calloc(n, 32);
	struct commit w, c;
	struct stat st;
	bool ready, all = true;
	int r;

	if (!ops || !names) {
		tap_ok(0, "memory for a big journal");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], 32, "usr/share/doc/file-%zu", i);
		ops[i] = (struct op){ .kind = OP_FILE, .rel = names[i], .ino = i + 1 };
		snprintf(ops[i].tmp, sizeof(ops[i].tmp), ".fvm-c.%zu", i);
	}
	commit_init(&w, 2);
	w.ops = ops;
	w.nops = n;
	r = journal_write(&w, "ready");
	commit_init(&c, 2);
	if (r == 0)
		r = journal_load(&c, &ready);
	for (size_t i = 0; r == 0 && i < n && i < c.nops; i++)
		all = all && same_op(&ops[i], &c.ops[i]);
	tap_ok(r == 0 && c.nops == n && all && fstatat(vm.dirfd, "commit.journal", &st, 0) == 0 &&
	       st.st_size > SMALL_FILE_MAX,
	       "a journal over the small-file bound (%zu operations) reads back whole (%d, %zu)", n, r, c.nops);
	commit_ops_free(&c);
	free(ops);
	free(names);
}

static void corrupt(void)
{
	static const char *const bad[] = {
		"", "not json", "[]", "42", "null", "{}",
		"{\"phase\":\"ready\"}", "{\"ops\":[]}",
		"{\"phase\":\"ready\",\"ops\":{}}", "{\"phase\":\"ready\",\"ops\":\"F\"}",
		"{\"phase\":null,\"ops\":[]}", "{\"phase\":1,\"ops\":[]}",
	};
	static const char *const bad_entries[] = {
		"7", "null", "[]",
		"{\"mount\":\"/\",\"rel\":\"a\",\"tmp\":\"t\",\"ino\":1,\"x\":false}",              /* no k */
		"{\"k\":null,\"mount\":\"/\",\"rel\":\"a\",\"tmp\":\"t\",\"ino\":1,\"x\":false}",
		"{\"k\":\"F\",\"mount\":null,\"rel\":\"a\",\"tmp\":\"t\",\"ino\":1,\"x\":false}",
		"{\"k\":\"F\",\"mount\":\"/\",\"rel\":null,\"tmp\":\"t\",\"ino\":1,\"x\":false}",
		"{\"k\":\"F\",\"mount\":\"/\",\"rel\":\"a\",\"tmp\":null,\"ino\":1,\"x\":false}",
		"{\"k\":\"F\",\"mount\":\"/\",\"rel\":\"a\",\"tmp\":7,\"ino\":1,\"x\":false}",
		"{\"k\":\"F\",\"mount\":\"/\",\"rel\":[\"a\"],\"tmp\":\"t\",\"ino\":1,\"x\":false}",
		"{\"k\":\"F\",\"mount\":\"/\",\"rel\":\"a\",\"tmp\":\"t\",\"ino\":\"1\",\"x\":false}",
		"{\"k\":\"F\",\"mount\":\"/\",\"rel\":\"a\",\"tmp\":\"t\",\"ino\":1,\"x\":\"yes\"}",
		"{\"k\":\"F\",\"mount\":\"/\",\"rel\":\"a\",\"tmp\":\"t\",\"ino\":1,\"x\":false,\"hino\":\"2\"}",
		"{\"k\":\"Z\",\"mount\":\"/\",\"rel\":\"a\",\"tmp\":\"t\",\"ino\":1,\"x\":false}",
		"{\"k\":\"\",\"mount\":\"/\",\"rel\":\"a\",\"tmp\":\"t\",\"ino\":1,\"x\":false}",
		"{\"k\":\"FD\",\"mount\":\"/\",\"rel\":\"a\",\"tmp\":\"t\",\"ino\":1,\"x\":false}",
		"{\"k\":\"F\",\"mount\":\"/\",\"rel\":\"a\",\"ino\":1,\"x\":false,"
		"\"tmp\":\"t0123456789012345678901234567890123456789012345678901234567890123\"}",
	};
	struct commit w, c;
	struct op op = { .kind = OP_FILE, .rel = "etc/x", .tmp = ".fvm-c.1", .ino = 3 };
	_cleanup_free_ char *txt = NULL;
	size_t len = 0, refused = 0, nops;
	bool ready, all = true;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		r = load_text(&c, bad[i], &ready);
		tap_ok(r == -EBADMSG && c.nops == 0, "journal '%s' is refused (%d)", bad[i], r);
		commit_ops_free(&c);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad_entries); i++) {
		r = load_entry(bad_entries[i], &nops);
		all = all && r == -EBADMSG;
		if (r != -EBADMSG)
			tap_diag("entry %s: %d, %zu operations", bad_entries[i], r, nops);
	}
	tap_ok(all, "an entry fvm does not write (%zu kinds: not an object, a key missing, null or of the wrong type, an unknown kind, a temporary too long) makes the journal corrupt",
	       ARRAY_SIZE(bad_entries));

	/* every truncation of a real journal */
	commit_init(&w, 2);
	w.ops = &op;
	w.nops = 1;
	if (journal_write(&w, "ready") < 0 || read_small_fileat(vm.dirfd, "commit.journal", &txt, &len) < 0) {
		tap_ok(0, "a journal to truncate");
		return;
	}
	for (size_t cut = 0; cut < len; cut++) {
		char *t = strndup(txt, cut);

		r = t ? load_text(&c, t, &ready) : -ENOMEM;
		if (r == -EBADMSG && c.nops == 0)
			refused++;
		else
			tap_diag("cut at %zu of %zu: %d, %zu operations", cut, len, r, c.nops);
		commit_ops_free(&c);
		free(t);
	}
	tap_ok(refused == len, "each of the %zu truncations of a real journal is refused (%zu were)", len, refused);
}

static void hostile_names(void)
{
	static const char *const dropped[] = {
		"{\"k\":\"F\",\"mount\":\"/\",\"rel\":\"../etc/shadow\",\"tmp\":\"t\",\"ino\":1,\"x\":false}",
		"{\"k\":\"F\",\"mount\":\"/\",\"rel\":\"a/../../etc\",\"tmp\":\"t\",\"ino\":1,\"x\":false}",
		"{\"k\":\"F\",\"mount\":\"/\",\"rel\":\"a/..\",\"tmp\":\"t\",\"ino\":1,\"x\":false}",
		"{\"k\":\"D\",\"mount\":\"/\",\"rel\":\"..\",\"tmp\":\"t\",\"ino\":1,\"x\":false}",
		"{\"k\":\"F\",\"mount\":\"/\",\"rel\":\"/etc/shadow\",\"tmp\":\"t\",\"ino\":1,\"x\":false}",
		"{\"k\":\"F\",\"mount\":\"/\",\"rel\":\"etc/x\",\"tmp\":\"../t\",\"ino\":1,\"x\":false}",
		"{\"k\":\"F\",\"mount\":\"/\",\"rel\":\"etc/x\",\"tmp\":\"\",\"ino\":1,\"x\":false}",
		"{\"k\":\"M\",\"mount\":\"/\",\"rel\":\"etc\",\"tmp\":\"\",\"ino\":0,\"x\":false}",
		"{\"k\":\"M\",\"mount\":\"/\",\"rel\":\"etc\",\"tmp\":\"\",\"ino\":0,\"x\":false,\"meta\":[1,2,3]}",
		"{\"k\":\"F\",\"mount\":\"/nowhere\",\"rel\":\"etc\",\"tmp\":\"t\",\"ino\":1,\"x\":false}",
	};
	size_t nops, kept = 0;
	int r, bad = 0;

	for (size_t i = 0; i < ARRAY_SIZE(dropped); i++) {
		r = load_entry(dropped[i], &nops);
		if (r != 0)
			bad++;
		kept += nops;
		if (r != 0 || nops)
			tap_diag("entry %s: %d, %zu operations", dropped[i], r, nops);
	}
	tap_ok(!bad && !kept, "%zu hostile entries (a name with '..', an absolute name, a temporary with a '/' or none, a metadata change without its metadata, a layer not there) are left out",
	       ARRAY_SIZE(dropped));
	r = load_entry("{\"k\":\"F\",\"mount\":\"/\",\"rel\":\"a..b/..c\",\"tmp\":\"t\",\"ino\":1,\"x\":false}", &nops);
	tap_ok(r == 0 && nops == 1, "a name with '..' inside its components (a..b/..c) is kept (%d, %zu)", r, nops);
}

static void symlinked(void)
{
	struct commit c;
	bool ready;
	int r;

	put_journal("{\"id\":\"x\",\"phase\":\"ready\",\"ops\":[]}");
	renameat(vm.dirfd, "commit.journal", vm.dirfd, "real.journal");
	symlinkat("real.journal", vm.dirfd, "commit.journal");
	commit_init(&c, 2);
	r = journal_load(&c, &ready);
	tap_ok(r < 0, "a journal that is a symlink is not followed (%d)", r);
	unlinkat(vm.dirfd, "commit.journal", 0);
	unlinkat(vm.dirfd, "real.journal", 0);
}

int main(void)
{
	tap_plan(23);
	if (!mkdtemp(scratch))
		return 1;
	vm.dirfd = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(vm.cfg.name, sizeof(vm.cfg.name), "journal");
	round_trip();
	big_journal();
	corrupt();
	hostile_names();
	symlinked();
	journal_remove(&vm);
	close(vm.dirfd);
	rm_rf_at(AT_FDCWD, scratch);
	return tap_done();
}
