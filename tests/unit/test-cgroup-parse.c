// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-cgroup-parse.c - cgroup file parsing (lib/policy/cgroup.c): the
 * one-number files ("max" is no limit), flat-keyed files (memory.events,
 * v1 memory.oom_control, cpu.stat): a key is matched whole at the start
 * of a line, never as the prefix of another key (oom_kill against
 * oom_kill_disable or oom_group_kill) nor inside a line; and the real
 * counters of this process's own cgroup: v1 memory.oom_control and
 * cpuacct.usage, or v2 memory.events and cpu.stat.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "tap.h"

/* The path of this process's cgroup for @ctrl ("" for v2's line) in
 * /proc/self/cgroup @self, into @buf; false if it has none. */
static bool cg_of(const char *self, const char *ctrl, char *buf, size_t len)
{
	for (const char *l = self; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *c = strchr(l, ':'), *e;

		if (!c || !(e = strchr(c + 1, ':')))
			continue;
		if ((size_t)(e - c - 1) == strlen(ctrl) && !strncmp(c + 1, ctrl, strlen(ctrl))) {
			snprintf(buf, len, "%.*s", (int)strcspn(e + 1, "\n"), e + 1);
			return true;
		}
	}
	return false;
}

/* The real counters of this process's own cgroup, v1 or v2. */
static void own_cgroup(void)
{
	_cleanup_free_ char *self = NULL, *oom = NULL, *cpu = NULL;
	char path[4096], p[4200];
	uint64_t v = 0, u = 0;

	if (read_small_fileat(AT_FDCWD, "/proc/self/cgroup", &self, NULL) < 0) {
		tap_ok(0, "/proc/self/cgroup can be read");
		tap_ok(0, "/proc/self/cgroup can be read");
		return;
	}
	if (cg_of(self, "memory", path, sizeof(path))) {
		snprintf(p, sizeof(p), "/sys/fs/cgroup/memory%s/memory.oom_control", path);
		if (read_small_fileat(AT_FDCWD, p, &oom, NULL) == 0)
			tap_ok(cg_parse_key(oom, "oom_kill", &v) == 0 && cg_parse_key(oom, "oom_kill_disable", &u) == 0,
			       "this cgroup's v1 memory.oom_control has oom_kill %llu and oom_kill_disable %llu",
			       (unsigned long long)v, (unsigned long long)u);
		else
			tap_ok(0, "%s can be read", p);
	} else if (cg_of(self, "", path, sizeof(path))) {
		snprintf(p, sizeof(p), "/sys/fs/cgroup%s/memory.events", path);
		if (read_small_fileat(AT_FDCWD, p, &oom, NULL) == 0)
			tap_ok(cg_parse_key(oom, "oom_kill", &v) == 0 && cg_parse_key(oom, "oom", &u) == 0,
			       "this cgroup's memory.events has oom_kill %llu and oom %llu",
			       (unsigned long long)v, (unsigned long long)u);
		else
			tap_ok(1, "# SKIP no memory controller in %s", path);
	} else {
		tap_ok(1, "# SKIP no cgroup of this process found");
	}
	if (cg_of(self, "cpuacct", path, sizeof(path))) {
		snprintf(p, sizeof(p), "/sys/fs/cgroup/cpuacct%s/cpuacct.usage", path);
		if (read_small_fileat(AT_FDCWD, p, &cpu, NULL) == 0)
			tap_ok(cg_parse_u64(cpu) > 0, "this cgroup's v1 cpuacct.usage: %llu ns",
			       (unsigned long long)cg_parse_u64(cpu));
		else
			tap_ok(0, "%s can be read", p);
	} else if (cg_of(self, "", path, sizeof(path))) {
		snprintf(p, sizeof(p), "/sys/fs/cgroup%s/cpu.stat", path);
		if (read_small_fileat(AT_FDCWD, p, &cpu, NULL) == 0)
			tap_ok(cg_parse_key(cpu, "usage_usec", &v) == 0 && v > 0,
			       "this cgroup's cpu.stat has usage_usec %llu", (unsigned long long)v);
		else
			tap_ok(1, "# SKIP no cpu.stat in %s", path);
	} else {
		tap_ok(1, "# SKIP no cgroup of this process found");
	}
}

int main(void)
{
	static const char events[] = "low 0\nhigh 0\nmax 3\noom 2\noom_kill 1\noom_group_kill 9\n";
	static const char v1oom[] = "oom_kill_disable 0\nunder_oom 0\noom_kill 5";
	uint64_t v = 77;

	tap_plan(11);
	tap_ok(cg_parse_u64("max\n") == 0 && cg_parse_u64("max") == 0, "\"max\" (no limit) reads as 0");
	tap_ok(cg_parse_u64("2048\n") == 2048 && cg_parse_u64("18446744073709551615\n") == UINT64_MAX,
	       "a number reads as itself, up to 2^64-1");
	tap_ok(cg_parse_u64("") == 0 && cg_parse_u64("garbage") == 0, "an empty or garbage file reads as 0");
	tap_ok(cg_parse_key(events, "oom_kill", &v) == 0 && v == 1, "memory.events: oom_kill is 1, not oom_group_kill's 9");
	tap_ok(cg_parse_key(events, "oom", &v) == 0 && v == 2, "memory.events: oom is 2, not the oom_kill line");
	tap_ok(cg_parse_key(v1oom, "oom_kill", &v) == 0 && v == 5,
	       "v1 memory.oom_control: oom_kill (the last line, no newline) is 5, not oom_kill_disable");
	v = 77;
	tap_ok(cg_parse_key(events, "kill", &v) == -ENOENT && v == 77, "a key found only inside a line is not there");
	tap_ok(cg_parse_key("", "oom_kill", &v) == -ENOENT && cg_parse_key("oom_kill\n", "oom_kill", &v) == -ENOENT,
	       "an empty file, or a key without a value: -ENOENT");
	tap_ok(cg_parse_key("usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\n", "usage_usec", &v) == 0 &&
	       v == 123456, "cpu.stat: usage_usec");
	own_cgroup();
	return tap_done();
}
