#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# import-hostile.bats - fvm import of archives crafted to break out or
# wear the host down: paths with "..", absolute paths, a symlink then a
# file through it, a hard link to a host file, a device node, a set-uid
# file, a huge name, a huge size claim, deep nesting, duplicate members.
# Each is refused, nothing lands outside the store, and no VM (nor any
# temporary directory) is left; a kill -9 during an import leaves nothing
# after the next command.

load helpers

# mktar OUT SPEC...: a tar built with python3's tarfile from SPECs:
#   f:NAME:CONTENT  d:NAME  l:NAME:TARGET (symlink)  h:NAME:TARGET (hard link)
#   c:NAME (char device 1:3)  s:NAME (set-uid file)  big:NAME:SIZE (header claims SIZE)
#   o:NAME:UID (a file owned by UID:UID)
mktar() {
	/usr/bin/python3 - "$@" <<'PY'
import io, sys, tarfile
out = sys.argv[1]
t = tarfile.open(out, "w", format=tarfile.GNU_FORMAT)
for spec in sys.argv[2:]:
    kind, name, *rest = spec.split(":", 2)
    i = tarfile.TarInfo(name); i.mode = 0o644; i.uid = i.gid = 0; i.mtime = 1
    data = None
    if kind == "f":
        data = rest[0].encode(); i.size = len(data)
    elif kind == "d":
        i.type = tarfile.DIRTYPE; i.mode = 0o755
    elif kind == "l":
        i.type = tarfile.SYMTYPE; i.linkname = rest[0]
    elif kind == "h":
        i.type = tarfile.LNKTYPE; i.linkname = rest[0]
    elif kind == "c":
        i.type = tarfile.CHRTYPE; i.devmajor, i.devminor = 1, 3
    elif kind == "s":
        data = b"x"; i.size = 1; i.mode = 0o4755
    elif kind == "o":
        data = b"o"; i.size = 1; i.uid = i.gid = int(rest[0])
    elif kind == "big":
        i.size = int(rest[0])
        t.addfile(i)       # header only: the claim is refused before any data
        continue
    t.addfile(i, io.BytesIO(data) if data is not None else None)
t.close()
PY
}

# no_vm_left: the store holds no VM and no temporary directory
no_vm_left() {
	run -0 ls -A "$FVM_HOME/vms"
	assert_eq "$output" "" "what is left in the store's vms/"
}

# refused ARCHIVE TEXT: import fails with fvm's 125, saying TEXT; nothing is left
refused() {
	run -125 --separate-stderr fvm import "$1" h
	assert_fvm_error
	assert_contains "$stderr" "$2"
	no_vm_left
}

setup() {
	fvm_setup
	chmod 700 "$FVM_HOME"
	mkdir -p "$FVM_HOME/vms"
	R=${SCRATCH#/}
	echo secret >"$SCRATCH/hostfile"
}

@test "a path with .. or an absolute path is refused" {
	mktar "$TEST_ROOT/a.tar" "f:$R/ok:1" "f:$R/../../etc/evil:x"
	refused "$TEST_ROOT/a.tar" "is not a plain relative path"
	mktar "$TEST_ROOT/b.tar" "f:/$R/abs:x"
	refused "$TEST_ROOT/b.tar" "is not a plain relative path"
	assert_not_exists /etc/evil
	assert_not_exists "$SCRATCH/abs"
}

@test "a symlink, then a file through it: refused, nothing written where it points" {
	mkdir "$SCRATCH/target"
	mktar "$TEST_ROOT/a.tar" "l:$R/esc:$SCRATCH/target" "f:$R/esc/planted:x"
	refused "$TEST_ROOT/a.tar" "is below a symlink"
	assert_not_exists "$SCRATCH/target/planted"
	mktar "$TEST_ROOT/b.tar" "l:$R/rel:../../../../../../tmp" "f:$R/rel/planted2:x"
	refused "$TEST_ROOT/b.tar" "is below a symlink"
	assert_not_exists /tmp/planted2
}

@test "a member below a file of the archive, or below a host symlink: refused" {
	mktar "$TEST_ROOT/a.tar" "f:$R/file:x" "f:$R/file/below:y"
	refused "$TEST_ROOT/a.tar" "is below a symlink, a file or a deletion"
	mkdir "$SCRATCH/real"
	ln -s real "$SCRATCH/hostlink"
	mktar "$TEST_ROOT/b.tar" "f:$R/hostlink/x:y"
	refused "$TEST_ROOT/b.tar" "is below a symlink, a file or a deletion"
	assert_not_exists "$SCRATCH/real/x"
}

@test "a truncated export is refused (the manifest counts the members)" {
	local i
	mkdir -p "$SCRATCH/t"
	fvm create e 2>/dev/null
	run -0 fvm run e -- sh -c 'for i in 1 2 3 4 5 6 7 8; do echo $i >"$1/t/f$i"; done' _ "$SCRATCH"
	run -0 fvm export e -o "$TEST_ROOT/e.tar"
	fvm rm e
	# cut in the middle of a member: damaged
	head -c 6144 "$TEST_ROOT/e.tar" >"$TEST_ROOT/cut.tar"
	refused "$TEST_ROOT/cut.tar" "the archive is damaged"
	# cut at a member boundary (tar cannot tell): the manifest's count can
	/usr/bin/python3 - "$TEST_ROOT/e.tar" "$TEST_ROOT/cut2.tar" <<'PY'
import sys, tarfile
src = tarfile.open(sys.argv[1]); dst = tarfile.open(sys.argv[2], "w", format=tarfile.PAX_FORMAT)
for m in src.getmembers()[:4]:
    dst.addfile(m, src.extractfile(m) if m.isfile() else None)
dst.close()
PY
	refused "$TEST_ROOT/cut2.tar" "it is truncated or was changed"
	run -0 fvm import "$TEST_ROOT/e.tar" whole
}

@test "a hard link to a host file, or to a path not made by the archive: refused" {
	mktar "$TEST_ROOT/a.tar" "h:$R/hl:$R/hostfile"
	refused "$TEST_ROOT/a.tar" "is a hard link to no file this archive made"
	mktar "$TEST_ROOT/b.tar" "h:$R/hl:../../etc/passwd"
	refused "$TEST_ROOT/b.tar" "hard link to a path outside"
	assert_eq "$(stat -c %h "$SCRATCH/hostfile")" 1 "links of the host file"
	# a hard link to a file the archive made is fine
	mktar "$TEST_ROOT/c.tar" "f:$R/mine:m" "h:$R/mine2:$R/mine"
	run -0 fvm import "$TEST_ROOT/c.tar" ok
	run -0 fvm run ok -- cat "$SCRATCH/mine2"
	assert_eq "$output" m
}

@test "a device node or a set-uid file: refused unless allowed" {
	mktar "$TEST_ROOT/a.tar" "c:$R/null2"
	refused "$TEST_ROOT/a.tar" "is a device node: import it with --allow-devices"
	mktar "$TEST_ROOT/b.tar" "s:$R/suid"
	refused "$TEST_ROOT/b.tar" "is set-uid or set-gid: import it with --allow-setid"
	run -0 fvm import --allow-setid "$TEST_ROOT/b.tar" s
	run -0 fvm run s -- stat -c %a "$SCRATCH/suid"
	assert_eq "$output" 4755
}

@test "a huge name, a huge size claim, deep nesting, too many members: refused" {
	local long deep i
	long=$(printf 'n%.0s' {1..300})
	mktar "$TEST_ROOT/a.tar" "f:$R/$long:x"
	refused "$TEST_ROOT/a.tar" "too long or too deep"
	mktar "$TEST_ROOT/b.tar" "big:$R/huge:$((1 << 40))"
	refused "$TEST_ROOT/b.tar" "claims a size over the import's bound"
	deep=$R
	for ((i = 0; i < 300; i++)); do deep+=/d; done
	mktar "$TEST_ROOT/c.tar" "f:$deep/f:x"
	refused "$TEST_ROOT/c.tar" "too long or too deep"
	mktar "$TEST_ROOT/d.tar" "f:$R/1:1" "f:$R/2:2" "f:$R/3:3"
	run -125 --separate-stderr fvm import --max-entries 2 "$TEST_ROOT/d.tar" h
	assert_contains "$stderr" "one member too many"
	run -125 --separate-stderr fvm import --max-size 2 "$TEST_ROOT/d.tar" h
	assert_contains "$stderr" "over the import's bound in total"
	no_vm_left
}

@test "a member named twice, or a file and a whiteout of it: refused" {
	mktar "$TEST_ROOT/a.tar" "f:$R/dup:1" "f:$R/dup:2"
	refused "$TEST_ROOT/a.tar" "names a path an earlier member named already"
	mktar "$TEST_ROOT/b.tar" "f:$R/x:1" "f:$R/.wh.x:"
	refused "$TEST_ROOT/b.tar" "names a path an earlier member named already"
	mktar "$TEST_ROOT/c.tar" "f:$R/.wh..wh.weird:"
	refused "$TEST_ROOT/c.tar" "is a whiteout fvm does not know"
}

@test "owners are the VM's ids: kept in root mode, out of its range refused; rootless all become its root" {
	mktar "$TEST_ROOT/a.tar" "o:$R/u1000:1000" "o:$R/u0:0"
	if is_root; then
		run -0 fvm import "$TEST_ROOT/a.tar" own
		run -0 fvm run own -- stat -c '%u:%g' "$SCRATCH/u1000" "$SCRATCH/u0"
		assert_eq "$output" "1000:1000
0:0" "owners inside the VM"
		local base
		base=$(vm_field own .uid_base)
		run -0 stat -c '%u' "$(layer_upper own "$SCRATCH/u1000")"
		assert_eq "$output" "$((base + 1000))" "the layer's host uid: the VM's range, never the host's uid 1000"
		run -0 fvm rm own
		mktar "$TEST_ROOT/b.tar" "o:$R/far:70000"
		refused "$TEST_ROOT/b.tar" "has an owner outside the VM's 65536 ids"
	else
		run -0 --separate-stderr fvm import "$TEST_ROOT/a.tar" own
		assert_contains "$stderr" "1 entries belonged to users other than the VM's root"
		run -0 fvm run own -- stat -c '%u:%g' "$SCRATCH/u1000"
		assert_eq "$output" "0:0"
	fi
}

@test "rootless: members where the VM has no copy-on-write layer are skipped and listed" {
	is_root && skip "root mode: every path of the host is copy-on-write"
	mktar "$TEST_ROOT/a.tar" "f:etc/fvm-import-test:x" "f:$R/ok:1"
	run -0 --separate-stderr fvm import --json "$TEST_ROOT/a.tar" sk
	assert_eq "$(jq -r '.skipped, .skipped_paths[0]' <<<"$output")" "1
/etc/fvm-import-test"
	assert_contains "$(jq -r '.warnings | join(" ")' <<<"$output")" "a rootless VM cannot change the system's files"
	assert_not_exists /etc/fvm-import-test
	run -0 fvm run sk -- cat "$SCRATCH/ok"
	assert_eq "$output" 1
}

@test "a plain OCI layer without manifest imports with default settings, and a warning" {
	mktar "$TEST_ROOT/a.tar" "d:$R/dir" "f:$R/dir/f:hello" "f:$R/.wh.hostfile:"
	run -0 --separate-stderr fvm import "$TEST_ROOT/a.tar" oci
	assert_contains "$stderr" "no fvm manifest"
	run -0 fvm run oci -- sh -c 'cat "$1/dir/f"; echo; test ! -e "$1/hostfile" && echo gone' _ "$SCRATCH"
	assert_eq "$output" "hello
gone"
	assert_eq "$(cat "$SCRATCH/hostfile")" secret "the host's file"
	run -125 --separate-stderr fvm import "$TEST_ROOT/a.tar"
	assert_contains "$stderr" "names no VM"
}

@test "kill -9 during an import: no VM, and no temporary directory after the next command" {
	# an archive that takes a while: its data comes through a pipe we hold open
	mktar "$TEST_ROOT/a.tar" "f:$R/a:1"
	local fifo=$TEST_ROOT/in.fifo
	mkfifo "$fifo"
	"$FVM" import - k <"$fifo" >"$TEST_ROOT/imp.out" 2>&1 3>&- &
	local pid=$!
	bg_track "$pid"
	exec 7>"$fifo"
	head -c 1536 "$TEST_ROOT/a.tar" >&7   # the first members, not the end
	if ! wait_for 10 sh -c 'ls -A "$1" | grep -q "^\.import-"' _ "$FVM_HOME/vms"; then
		kill -9 "$pid"
		exec 7>&-
		echo "no temporary directory appeared; fvm import said: $(cat "$TEST_ROOT/imp.out")" >&2
		return 1
	fi
	kill -9 "$pid"
	exec 7>&-
	wait "$pid" 2>/dev/null || true
	run -0 fvm ls
	assert_not_contains "$output" "k "
	no_vm_left
}

NO_LSAN="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

@test "an import killed before any of its file system calls leaves no VM, or the whole VM; never a part" {
	command -v strace >/dev/null || skip "strace is not installed (it cuts the import at chosen calls)"
	local sc n rc whole cuts=0
	mkdir -p "$SCRATCH/c/gone" && echo h >"$SCRATCH/c/del" && echo h >"$SCRATCH/c/gone/x"
	fvm create src 2>/dev/null
	run -0 fvm run src -- sh -c 'cd "$1" && rm del && rm -r gone && mkdir gone && echo y >gone/y && mkdir -p n/m && echo f >n/m/f' _ "$SCRATCH/c"
	run -0 fvm diff src "$SCRATCH/c"
	whole=$output
	run -0 fvm export src -o "$TEST_ROOT/src.tar"
	run -0 fvm rm src
	for sc in mkdirat openat flock write fchownat fchmodat mknodat fsetxattr syncfs renameat2; do
		for n in 1 2 4; do
			rc=0
			env "$NO_LSAN" bash -c 'strace -f -o /dev/null -e trace="$1" -e inject="$1":signal=KILL:when="$2" \
				"$FVM" import "$3" k </dev/null >/dev/null 2>&1' _ "$sc" "$n" "$TEST_ROOT/src.tar" 2>/dev/null 3>&- || rc=$?
			((rc == 0)) || cuts=$((cuts + 1))
			run -0 fvm ls         # the next command sweeps what the kill left
			run -0 ls -A "$FVM_HOME/vms"
			if [[ -n $output ]]; then
				assert_eq "$output" k "cut before $sc #$n: only the whole VM, no temporary directory"
				run -0 fvm diff k "$SCRATCH/c"
				assert_eq "$output" "$whole" "cut before $sc #$n: the VM is whole"
				run -0 fvm rm k
			fi
		done
	done
	((cuts >= 15)) || { echo "only $cuts cuts: strace's fault injection did not work as expected" >&2; false; }
}

@test "a manifest asking for the host's network, all capabilities, no seccomp, a share and a bad hostname gets none of them" {
	/usr/bin/python3 - "$TEST_ROOT/m.tar" "$SCRATCH" <<'PY'
import io, json, sys, tarfile
man = {"format": 1, "name": "evil", "members": 0, "settings": {
    "net": "host", "hostname": "bad\nname", "publish": ["8080:80/tcp"], "host_loopback": True,
    "hardening": {"capabilities": "all", "seccomp": "off"},
    "policies": [{"path": "/", "mode": "share"}, {"path": sys.argv[2], "mode": "hide"}]}}
data = json.dumps(man).encode()
t = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)
i = tarfile.TarInfo(".wh..fvm-manifest.json"); i.size = len(data)
t.addfile(i, io.BytesIO(data)); t.close()
PY
	run -0 --separate-stderr fvm import --json "$TEST_ROOT/m.tar"
	local w
	w=$(jq -r '.warnings | join("\n")' <<<"$output")
	assert_contains "$w" "--net host"
	assert_contains "$w" "published ports"
	assert_contains "$w" "--caps/--seccomp"
	assert_contains "$w" "--share"
	assert_contains "$w" "hostname"
	run -0 fvm inspect evil
	assert_eq "$(jq -r '.[0] | [.net, .hostname, .hardening.capabilities, .hardening.seccomp, (.publish | length), .host_loopback] | join(" ")' <<<"$output")" \
		"none evil default default 0 false"
	assert_eq "$(jq -r '[.[0].policies[] | .mode + " " + .path] | join(",")' <<<"$output")" "hide $SCRATCH"
}
