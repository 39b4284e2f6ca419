#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# attacks-new.bats - a hostile VM and a hostile archive against fvm cp,
# fvm import and --gui: a VM that swaps what cp reads for symlinks and
# FIFOs while it runs, deleted and opaque paths, names too long to hold,
# modes asking for world-writable host files; archive members whose data
# is never written yet must still be read, overlay's own xattrs, sizes
# that lie; the nested X server's cookie, socket and process from inside
# the VM. Each test is an attempt that must fail; where one broke
# isolation, the fix in the library is named in its comment.

load helpers

setup() {
	fvm_setup
	D=$SCRATCH/d
	mkdir -p "$D"
	echo host >"$D/f"
	echo secret >"$SCRATCH/secret"
	fvm create c 2>/dev/null
}

# ---- fvm cp -------------------------------------------------------------

@test "attack cp: a running VM swaps the file cp reads for a symlink to a host secret, a FIFO and a dir for a symlink: never followed, never hangs" {
	mkdir -p "$SCRATCH/sub" && echo secret >"$SCRATCH/sub/g"
	run -0 fvm run c -- sh -c 'mkdir "$1/sub"; echo data >"$1/sub/g"; echo data >"$1/f"' _ "$D"
	fvm_start c
	# the loop ends by itself (25 s at most), teardown kills it anyway
	"$FVM" exec c -- sh -c '
		d=$1 s=$2 end=$(($(date +%s) + 25))
		while [ "$(date +%s)" -lt "$end" ]; do
			echo data >"$d/t" && mv -f "$d/t" "$d/f"
			ln -sfn "$s/secret" "$d/t" && mv -fT "$d/t" "$d/f"
			rm -f "$d/t"; mkfifo "$d/t" && mv -fT "$d/t" "$d/f"
			mv "$d/sub" "$d/sub.old" && ln -s "$s/sub" "$d/sub"
			rm -f "$d/sub" && mv "$d/sub.old" "$d/sub"
		done' _ "$D" "$SCRATCH" </dev/null >"$TEST_ROOT/loop" 2>&1 3>&- &
	bg_track $!
	local up
	up=$(layer_upper c "$D/f")
	wait_for 10 test -L "$up" -o -p "$up" || { cat "$TEST_ROOT/loop" >&2; false; }

	local round got=0
	for ((round = 1; round <= 40; round++)); do
		rm -rf "$TEST_ROOT/o" "$TEST_ROOT/o2" "$TEST_ROOT/o3"
		run --separate-stderr fvm cp "c:$D/f" "$TEST_ROOT/o"
		((status == 0 || status == 125)) || { echo "round $round: cp exited $status: $stderr" >&2; false; }
		if [[ -L $TEST_ROOT/o ]]; then
			assert_eq "$(readlink "$TEST_ROOT/o")" "$SCRATCH/secret" "the symlink itself"
		elif [[ -e $TEST_ROOT/o ]]; then
			[[ -f $TEST_ROOT/o ]] || { echo "round $round: cp made a $(stat -c %F "$TEST_ROOT/o")" >&2; false; }
			assert_eq "$(cat "$TEST_ROOT/o")" data "what cp out read (round $round)"
			got=$((got + 1))
		fi
		run --separate-stderr fvm cp "c:$D/sub/g" "$TEST_ROOT/o2"
		((status == 0 || status == 125)) || { echo "round $round: cp exited $status: $stderr" >&2; false; }
		[[ ! -e $TEST_ROOT/o2 ]] || assert_eq "$(cat "$TEST_ROOT/o2")" data "through the swapped directory (round $round)"
		run --separate-stderr fvm cp "c:$D" "$TEST_ROOT/o3"
		((status == 0 || status == 125)) || { echo "round $round: cp -R exited $status: $stderr" >&2; false; }
		if [[ -d $TEST_ROOT/o3 ]]; then
			run -0 find "$TEST_ROOT/o3" -type p
			assert_eq "$output" "" "FIFOs in the copied tree (round $round)"
			run grep -rl secret "$TEST_ROOT/o3"     # -r: symlinks are not followed
			assert_eq "$output" "" "the host's secret in the copied tree (round $round)"
		fi
	done
	echo "rounds that copied the file: $got of 40" >&2
	assert_eq "$(cat "$SCRATCH/secret")" secret
}

@test "attack cp: a FIFO or a socket the VM made: refused at the end, left out below, never opened" {
	run -0 fvm run c -- sh -c 'mkfifo "$1/p"; python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$1/s" 2>/dev/null || true; echo n >"$1/n"' _ "$D"
	run -125 --separate-stderr fvm cp "c:$D/p" "$TEST_ROOT/p"
	assert_contains "$stderr" "copies files, directories and symlinks"
	assert_not_exists "$TEST_ROOT/p"
	run -0 fvm cp "c:$D" "$TEST_ROOT/t"
	run -0 bash -c 'cd "$1" && find . | sort' _ "$TEST_ROOT/t"
	assert_eq "$output" ".
./f
./n"
}

@test "attack cp: a directory the VM deleted and made again (opaque) shows none of the host's old entries" {
	echo old >"$D/old"
	run -0 fvm run c -- sh -c 'rm -rf "$1"; mkdir "$1"; echo n >"$1/n"' _ "$D"
	run -125 --separate-stderr fvm cp "c:$D/old" "$TEST_ROOT/x"
	assert_not_exists "$TEST_ROOT/x"
	run -0 fvm cp "c:$D" "$TEST_ROOT/t"
	run -0 ls -A "$TEST_ROOT/t"
	assert_eq "$output" "n" "the copy of the VM's new directory"
	# and a file the VM deleted in a directory it kept
	run -0 fvm run c -- rm "$D/n"
	run -125 --separate-stderr fvm cp "c:$D/n" "$TEST_ROOT/y"
	assert_not_exists "$TEST_ROOT/y"
}

@test "attack cp: a tree with symlink loops and links up and out is copied with its links as links" {
	run -0 fvm run c -- sh -c 'mkdir -p "$1/t/a"; ln -s . "$1/t/a/loop"; ln -s ../.. "$1/t/a/up"; ln -s / "$1/t/root"; ln -s "$2" "$1/t/a/out"' _ "$D" "$SCRATCH"
	run -0 fvm cp "c:$D/t" "$TEST_ROOT/t"
	run -0 bash -c 'cd "$1" && find . -printf "%y %p %l\n" | sort' _ "$TEST_ROOT/t"
	assert_eq "$output" "d . 
d ./a 
l ./a/loop .
l ./a/out $SCRATCH
l ./a/up ../..
l ./root /"
}

@test "attack cp: a name longer than NAME_MAX is refused, never cut to another name" {
	# lib/changes/cp.c cut a longer last component to 255 bytes, the VM's
	# path and the host's: it copied another file than named, and wrote
	# the copy under another name than asked
	local a255 a256
	a255=$(printf 'a%.0s' {1..255})
	a256=${a255}b
	run -0 fvm run c -- sh -c 'echo other >"$1/$2"' _ "$D" "$a255"
	run -125 --separate-stderr fvm cp "c:$D/$a256" "$TEST_ROOT/x"
	assert_contains "$stderr" "File name too long"
	assert_not_exists "$TEST_ROOT/x"
	run -125 --separate-stderr fvm cp "c:$D/f" "$TEST_ROOT/$a256"
	assert_contains "$stderr" "File name too long"
	run -0 ls -A "$TEST_ROOT"
	assert_not_contains "$output" "$a255"
	echo in >"$TEST_ROOT/in"
	run -125 --separate-stderr fvm cp "$TEST_ROOT/in" "c:$D/$a256"
	assert_contains "$stderr" "File name too long"
	run -0 fvm diff c "$D"
	assert_eq "$output" "A  $D/$a255" "only the VM's own file"
}

@test "attack cp: the VM's modes give no world-writable or set-id file on the host (the caller's umask applies)" {
	# lib/changes/cp.c gave a copied-out file or directory the VM's mode
	# as it was: a VM's 0777 became a world-writable file of the host's
	# caller (root's, in root mode) that any local user could change
	run -0 fvm run c -- sh -c 'echo x >"$1/w"; chmod 4777 "$1/w"; mkdir "$1/wd"; echo y >"$1/wd/y"; chmod 0666 "$1/wd/y"; chmod 2777 "$1/wd"' _ "$D"
	run -0 bash -c 'umask 022 && "$FVM" cp "c:$1/w" "$2/w" && "$FVM" cp "c:$1/wd" "$2/wd"' _ "$D" "$TEST_ROOT"
	assert_eq "$(stat -c %a "$TEST_ROOT/w")" 755 "the copied file's mode"
	assert_eq "$(stat -c %a "$TEST_ROOT/wd")" 755 "the copied directory's mode"
	assert_eq "$(stat -c %a "$TEST_ROOT/wd/y")" 644 "a file below it"
	# an existing host directory the copy goes into keeps its own mode
	mkdir -m 0700 "$TEST_ROOT/keep" && mkdir -m 0700 "$TEST_ROOT/keep/wd"
	run -0 fvm cp "c:$D/wd" "$TEST_ROOT/keep"
	assert_eq "$(stat -c %a "$TEST_ROOT/keep/wd")" 700 "the host's existing directory"
	assert_eq "$(cat "$TEST_ROOT/keep/wd/y")" y
}

@test "attack cp: host destinations: a dangling symlink, a symlink inside the target directory, another mount" {
	run -0 fvm run c -- sh -c 'echo vm >"$1/f"; mkdir "$1/t"; echo a >"$1/t/a"' _ "$D"
	ln -s "$SCRATCH/nothere" "$TEST_ROOT/dangling"
	run -125 --separate-stderr fvm cp "c:$D/f" "$TEST_ROOT/dangling"
	assert_contains "$stderr" "is a symlink"
	assert_not_exists "$SCRATCH/nothere"
	# a symlink where the tree's directory or file would land: replaced or refused, never written through
	mkdir -p "$TEST_ROOT/o/t"
	ln -s "$SCRATCH/secret" "$TEST_ROOT/o/t/a"
	run -0 fvm cp "c:$D/t" "$TEST_ROOT/o"
	[[ ! -L $TEST_ROOT/o/t/a ]] || { echo "the symlink is still there" >&2; false; }
	assert_eq "$(cat "$TEST_ROOT/o/t/a")" a
	assert_eq "$(cat "$SCRATCH/secret")" secret
	mkdir -p "$TEST_ROOT/p"
	ln -s "$SCRATCH" "$TEST_ROOT/p/t"
	run -125 --separate-stderr fvm cp "c:$D/t" "$TEST_ROOT/p"
	assert_not_exists "$SCRATCH/a"
	# another mount (/dev/shm is a tmpfs) is fine: the copy is by file, never by rename across
	[[ -d /dev/shm && -w /dev/shm ]] || skip "no writable /dev/shm on this host"
	local out
	out=$(mktemp -d /dev/shm/fvm-cp.XXXXXX)
	run fvm cp "c:$D/t" "$out/t"
	local st=$status got
	got=$(cat "$out/t/a" 2>/dev/null || true)
	rm -rf "$out"
	assert_eq "$st" 0 "cp to another mount"
	assert_eq "$got" a
}

@test "attack cp: into a VM, a host symlink stays a symlink; set-id bits and the host's owner never travel" {
	ln -s "$SCRATCH/secret" "$TEST_ROOT/link"
	run -0 fvm cp "$TEST_ROOT/link" "c:$D/link"
	run -0 fvm run c -- sh -c 'readlink "$1/link"' _ "$D"
	assert_eq "$output" "$SCRATCH/secret"
	[[ -L $(layer_upper c "$D")/link ]] || { echo "the layer holds no symlink, but the target's bytes" >&2; false; }
	mkdir -p "$TEST_ROOT/tree" && echo s >"$TEST_ROOT/tree/s" && chmod 6755 "$TEST_ROOT/tree/s" && chmod 2775 "$TEST_ROOT/tree"
	run -0 fvm cp "$TEST_ROOT/tree" "c:$D/tree"
	run -0 find "$(layer_upper c "$D")" -perm /6000
	assert_eq "$output" "" "set-id entries in the layer"
	if is_root; then
		run -0 stat -c %u "$(layer_upper c "$D")/tree/s"
		assert_ne "$output" 0 "the host's root owning a file in the layer"
	fi
	run -0 fvm run c -- stat -c "%u %a" "$D/tree/s"
	assert_eq "$output" "0 755" "the VM's root, no set-id"
}

# ---- fvm import ---------------------------------------------------------

# pytar OUT: a tar made by the python on stdin, which calls
#   add(NAME, data=BYTES, type=..., mode=..., linkname=..., pax_headers={...})
# with R the scratch dir without its leading '/'
pytar() {
	{
		cat <<'PY'
import io, os, sys, tarfile
out, R = sys.argv[1], sys.argv[2]
t = tarfile.open(out, "w", format=tarfile.PAX_FORMAT)
def add(name, data=None, **kw):
    i = tarfile.TarInfo(name); i.mode = kw.pop("mode", 0o644); i.mtime = 1
    for k, v in kw.items(): setattr(i, k, v)
    if data is not None: i.size = len(data)
    t.addfile(i, io.BytesIO(data) if data is not None else None)
PY
		cat
		echo "t.close()"
	} >"$TEST_ROOT/mk.py"
	/usr/bin/python3 "$TEST_ROOT/mk.py" "$1" "${SCRATCH#/}"
}

# imp_refused ARCHIVE TEXT [OPTION...]: import fails with 125 saying TEXT; no VM is left
imp_refused() {
	local a=$1 text=$2
	shift 2
	run -125 --separate-stderr fvm import "$@" "$a" h
	assert_fvm_error
	assert_contains "$stderr" "$text"
	run -0 ls -A "$FVM_HOME/vms"
	assert_eq "$output" "c" "what is left in the store's vms/"
}

# manifest_tar OUT SETTINGS-JSON: an archive of only an fvm manifest
manifest_tar() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import io, json, sys, tarfile
man = {"format": 1, "name": "m", "members": 0, "settings": json.loads(sys.argv[2])}
data = json.dumps(man).encode()
t = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)
i = tarfile.TarInfo(".wh..fvm-manifest.json"); i.size = len(data)
t.addfile(i, io.BytesIO(data)); t.close()
PY
}

@test "attack import: the data of a skipped member, a whiteout or a link counts against the bounds (a zip bomb is cut short)" {
	# lib/changes/import.c checked the claimed size of regular files it
	# wrote, and no other member's: the data of a skipped member (below
	# the store, or rootless where there is no layer) or of a whiteout is
	# read and decompressed all the same to reach the next member, so a
	# gzip'ed terabyte of zeros there kept the host busy for as long as
	# the archive liked. Here 8 MiB, with bounds of 1 MiB.
	local st=${FVM_HOME#/}
	pytar "$TEST_ROOT/a.tar" <<PY
add(R + "/ok", b"1")
add("$st/vms/c/skipped", b"\0" * (8 << 20))
PY
	gzip -k "$TEST_ROOT/a.tar"
	imp_refused "$TEST_ROOT/a.tar.gz" "claims a size over the import's bound for one file" --max-file-size 1M
	pytar "$TEST_ROOT/b.tar" <<'PY'
add(R + "/.wh.f", b"\0" * (2 << 20))
PY
	imp_refused "$TEST_ROOT/b.tar" "claims a size over the import's bound for one file" --max-file-size 1M
	pytar "$TEST_ROOT/c.tar" <<'PY'
add(R + "/.wh.f", b"\0" * (600 << 10))
add(R + "/.wh.g", b"\0" * (600 << 10))
PY
	imp_refused "$TEST_ROOT/c.tar" "over the import's bound in total" --max-size 1M
	# within the bounds the same archives import
	run -0 fvm import --max-file-size 4M "$TEST_ROOT/b.tar" ok
	assert_eq "$(cat "$SCRATCH/secret")" secret
}

@test "attack import: PAX and GNU headers claiming huge, negative or junk sizes are refused or ignored, never allocated" {
	/usr/bin/python3 - "$TEST_ROOT" "${SCRATCH#/}" <<'PY'
import sys
d, R = sys.argv[1], sys.argv[2]
def hdr(name, size, typ, sizefield=None):
    h = bytearray(512)
    h[0:len(name)] = name.encode()
    h[100:108] = b"0000644\0"; h[108:116] = b"0000000\0"; h[116:124] = b"0000000\0"
    h[124:136] = sizefield if sizefield is not None else ("%011o\0" % size).encode()
    h[136:148] = b"00000000001\0"; h[156:157] = typ.encode()
    h[257:263] = b"ustar\0"; h[263:265] = b"00"
    h[148:156] = b"        "
    h[148:156] = ("%06o\0 " % sum(h)).encode()
    return bytes(h)
def pax(rec, then):
    return hdr("PaxHeader/x", len(rec), "x") + rec + b"\0" * (512 - len(rec)) + then
end = b"\0" * 1024
arch = {
    "paxhuge": hdr("PaxHeader/x", 1 << 36, "x"),          # 64 GiB of pax records, none there
    "globalhuge": hdr("pax_global_header", 1 << 36, "g"),
    "gnulong": hdr("././@LongLink", 1 << 36, "L"),        # a 64 GiB GNU long name
    "gnulink": hdr("././@LongLink", 1 << 36, "K"),
    "neg256": hdr(R + "/neg", 0, "0", sizefield=b"\xff" * 12),   # base-256: -1
    "paxneg": pax(b"12 size=-1\n", hdr(R + "/n", 0, "0")),
    "paxbig": pax(b"30 size=99999999999999999999\n", hdr(R + "/n", 0, "0")),
}
for k, v in arch.items():
    open("%s/%s.tar" % (d, k), "wb").write(v + end)
PY
	local k
	for k in paxhuge globalhuge gnulong gnulink neg256; do
		imp_refused "$TEST_ROOT/$k.tar" "archive"
	done
	# a pax size= that is no size: libarchive keeps the header's (0)
	for k in paxneg paxbig; do
		run --separate-stderr fvm import "$TEST_ROOT/$k.tar" "$k"
		if ((status == 0)); then
			run -0 fvm run "$k" -- stat -c %s "$SCRATCH/n"
			assert_eq "$output" 0 "$k: the size of what was imported"
		else
			assert_eq "$status" 125 "$k"
		fi
	done
}

@test "attack import: a sparse member (GNU and pax) keeps its holes and its bytes" {
	# lib/changes/import.c refused every sparse member ("holds more bytes
	# than its header says"): its blocks come with gaps between them
	mkdir -p "$TEST_ROOT/sp/${SCRATCH#/}"
	local f=$TEST_ROOT/sp/${SCRATCH#/}/sparse
	truncate -s 4M "$f" && echo middle >>"$f" && truncate -s 8M "$f"
	tar -C "$TEST_ROOT/sp" -S -cf "$TEST_ROOT/gnu.tar" "${SCRATCH#/}/sparse"
	tar -C "$TEST_ROOT/sp" --format=pax -S -cf "$TEST_ROOT/pax.tar" "${SCRATCH#/}/sparse"
	local want k
	want=$(md5sum <"$f")
	for k in gnu pax; do
		run -0 fvm import "$TEST_ROOT/$k.tar" "$k"
		run -0 fvm run "$k" -- sh -c 'md5sum <"$1"; stat -c %s "$1"' _ "$SCRATCH/sparse"
		assert_eq "$output" "$want
8388608" "$k: the imported file"
		run -0 du -k "$(layer_upper "$k" "$SCRATCH/sparse")"
		(( ${output%%[[:space:]]*} < 1024 )) || { echo "$k: the holes were filled: $output" >&2; false; }
	done
	# a sparse map that reaches past the member's size: refused
	/usr/bin/python3 - "$TEST_ROOT/bad.tar" "${SCRATCH#/}" <<'PY'
import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)
i = tarfile.TarInfo(sys.argv[2] + "/bad"); i.size = 512
i.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0", "GNU.sparse.name": sys.argv[2] + "/bad",
                 "GNU.sparse.realsize": "10"}
# the 1.0 map, in the data: 1 block at offset 1 MiB, 10 bytes
data = b"1\n1048576\n10\n".ljust(512, b"\0")
t.addfile(i, io.BytesIO(data)); t.close()
PY
	run --separate-stderr fvm import "$TEST_ROOT/bad.tar" bad
	((status == 125)) || { run -0 fvm run bad -- stat -c %s "$SCRATCH/bad"; assert_eq "$output" 10 "a file no larger than it claims"; }
}

@test "attack import: overlay's own xattrs (opaque, redirect, metacopy, upper), security.capability, trusted.*: never applied" {
	pytar "$TEST_ROOT/a.tar" <<'PY'
x = {"SCHILY.xattr.security.capability": "\x01\x00\x00\x02\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00",
     "SCHILY.xattr.trusted.overlay.redirect": "/etc", "SCHILY.xattr.trusted.overlay.metacopy": "",
     "SCHILY.xattr.trusted.overlay.origin": "x", "SCHILY.xattr.user.overlay.redirect": "/etc",
     "SCHILY.xattr.user.overlay.metacopy": "", "SCHILY.xattr.trusted.evil": "1", "SCHILY.xattr.user.ok": "fine"}
add(R + "/x", b"#!/bin/sh\n", mode=0o755, pax_headers=x)
d = dict(x); d.update({"SCHILY.xattr.trusted.overlay.opaque": "y", "SCHILY.xattr.user.overlay.opaque": "y",
                       "SCHILY.xattr.trusted.overlay.upper": "x"})
add(R + "/d", type=tarfile.DIRTYPE, mode=0o755, pax_headers=d)
add(R + "/d/inner", b"i")
PY
	run -0 --separate-stderr fvm import "$TEST_ROOT/a.tar" xa
	assert_contains "$stderr" "extended attributes other than user.*"
	local up
	up=$(layer_upper xa "$SCRATCH")
	run -0 /usr/bin/python3 -c 'import os, sys
for p in sys.argv[1:]: print(os.path.basename(p), sorted(os.listxattr(p, follow_symlinks=False)))' "$up/x" "$up/d"
	assert_eq "$output" "x ['user.ok']
d ['user.ok']" "the xattrs in the layer"
	# not opaque: the host's f of the same directory shows
	run -0 fvm run xa -- sh -c 'cat "$1/d/inner"; echo; ls "$1/d"' _ "$SCRATCH"
	assert_eq "$output" "i
f
inner"
}

@test "attack import: hard links to a whiteout, a directory, a symlink or a FIFO of the archive: refused" {
	local kind
	for kind in 'add(R + "/.wh.f", b"")' 'add(R + "/dir", type=tarfile.DIRTYPE)' \
		'add(R + "/ln", type=tarfile.SYMTYPE, linkname="/etc/shadow")' 'add(R + "/p", type=tarfile.FIFOTYPE)'; do
		pytar "$TEST_ROOT/a.tar" <<PY
$kind
import re
target = re.search(r'"/([^"]*)"', '''$kind''').group(1)
if target.startswith(".wh."): target = target[4:]
add(R + "/hl", type=tarfile.LNKTYPE, linkname=R + "/" + target)
PY
		imp_refused "$TEST_ROOT/a.tar" "is a hard link to no file this archive made"
	done
	assert_eq "$(stat -c %h /etc/shadow)" 1 "links of the host's /etc/shadow"
}

@test "attack import: .wh.. and .wh... are refused; .wh..wh..opq at the top of a layer changes nothing of the host's view" {
	pytar "$TEST_ROOT/a.tar" <<'PY'
add(R + "/.wh..", b"")
PY
	imp_refused "$TEST_ROOT/a.tar" "is a whiteout fvm does not know"
	pytar "$TEST_ROOT/b.tar" <<'PY'
add(R + "/.wh...", b"")
PY
	imp_refused "$TEST_ROOT/b.tar" "is a whiteout fvm does not know"
	pytar "$TEST_ROOT/c.tar" <<'PY'
add(".wh..wh..opq", b"")
add(R + "/new", b"n")
PY
	run --separate-stderr fvm import "$TEST_ROOT/c.tar" top
	if ((status == 0)); then
		run -0 fvm diff top
		assert_eq "$output" "A  $SCRATCH/new" "what fvm diff (and so commit) sees"
		run -0 fvm run top -- sh -c 'cat "$1/d/f"; test -e /etc/passwd && echo passwd' _ "$SCRATCH"
		assert_eq "$output" "host
passwd" "the host's files in the VM's view"
	else
		assert_eq "$status" 125
	fi
	assert_eq "$(cat "$D/f")" host
}

@test "attack import: names with a newline or a tab are refused; invalid UTF-8 is a name like any other" {
	pytar "$TEST_ROOT/a.tar" <<'PY'
add(R + "/evil\nA  /etc/passwd", b"x")
PY
	imp_refused "$TEST_ROOT/a.tar" "is not a plain relative path"
	pytar "$TEST_ROOT/b.tar" <<'PY'
add(R + "/tab\there", b"x")
PY
	imp_refused "$TEST_ROOT/b.tar" "is not a plain relative path"
	/usr/bin/python3 - "$TEST_ROOT/c.tar" "${SCRATCH#/}" <<'PY'
import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w", format=tarfile.GNU_FORMAT, encoding="utf-8", errors="surrogateescape")
i = tarfile.TarInfo(sys.argv[2] + "/bad\udcff\udcfename"); i.size = 1; i.mtime = 1
t.addfile(i, io.BytesIO(b"u")); t.close()
PY
	run -0 fvm import "$TEST_ROOT/c.tar" u8
	run -0 fvm run u8 -- sh -c 'cat "$1"/bad*name' _ "$SCRATCH"
	assert_eq "$output" u
	# (ls's status counts: a failed listing is no "none there")
	run -0 bash -c 'names=$(ls -A "$1") || exit 9; grep -c name <<<"$names" || true' _ "$SCRATCH"
	assert_eq "$output" 0 "on the host"
}

@test "attack import: a manifest asking for --gui x11-host, --sound, --dbus-talk and host devices gets none of them without --trust-settings" {
	# lib/changes/import.c dropped --net host, ports, shares, caps and
	# seccomp from an archive's settings, and not --gui (x11-host: the
	# host's display, every key typed on it) nor --device (any=true: any
	# character node of the host the importer can open): they came after it
	manifest_tar "$TEST_ROOT/m.tar" '{"gui": "x11-host", "sound": "pulse", "dbus_talk": ["org.freedesktop.secrets"], "devices": [{"path": "/dev/input/event0", "any": true}, {"path": "/dev/dri/renderD128"}]}'
	run -0 --separate-stderr fvm import --json "$TEST_ROOT/m.tar" m
	local w
	w=$(jq -r '.warnings | join("\n")' <<<"$output")
	assert_contains "$w" "setting not imported: --gui"
	assert_contains "$w" "setting not imported: --device"
	assert_contains "$w" "setting not imported: --sound"
	assert_contains "$w" "setting not imported: --dbus-talk"
	run -0 fvm inspect m
	assert_eq "$(jq -c '.[0] | [.gui, .sound, .dbus_talk, (.devices // [] | length)]' <<<"$output")" '["none","none",[],0]' "gui, sound, bus names and devices of the imported VM"
	run -0 fvm rm m
	# trusted, they are the importer's choice
	run -0 fvm import --trust-settings "$TEST_ROOT/m.tar" m
	run -0 fvm inspect m
	assert_eq "$(jq -c '.[0] | [.gui, .sound, .dbus_talk, (.devices // [] | length)]' <<<"$output")" '["x11-host","pulse",["org.freedesktop.secrets"],2]'
}

@test "attack import: --trust-settings with policy paths through a host symlink: refused, nothing of the host shared" {
	mkdir -p "$SCRATCH/real"
	ln -s "$SCRATCH/real" "$SCRATCH/ln"
	manifest_tar "$TEST_ROOT/m.tar" "{\"policies\": [{\"path\": \"$SCRATCH/ln\", \"mode\": \"share\"}]}"
	imp_refused "$TEST_ROOT/m.tar" "is a symlink on the host" --trust-settings
	manifest_tar "$TEST_ROOT/p.tar" "{\"policies\": [{\"path\": \"$SCRATCH/ln/sub\", \"mode\": \"private\"}]}"
	imp_refused "$TEST_ROOT/p.tar" "is a symlink on the host"
}

# ---- --gui --------------------------------------------------------------

# gui_setup: skip without the X programs; a host display of the test's own
# (Xvfb, a cookie in $SCRATCH/host.xauth), DISPLAY, XAUTHORITY, HOST_COOKIE
gui_setup() {
	local t cookie
	for t in Xvfb Xephyr xauth xwininfo python3; do
		command -v "$t" >/dev/null || skip "$t is not installed (scripts/deps)"
	done
	chmod -R a+rX "$SCRATCH"
	export XAUTHORITY=$SCRATCH/host.xauth
	HOST_COOKIE=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	echo "ffff 0000  0000  0012 4d49542d4d414749432d434f4f4b49452d31 0010 $HOST_COOKIE" |
		xauth -q -f "$XAUTHORITY" nmerge - 2>/dev/null
	Xvfb -displayfd 4 -nolisten tcp -auth "$XAUTHORITY" -screen 0 1280x900x24 \
		</dev/null >"$TEST_ROOT/xvfb.log" 2>&1 4>"$TEST_ROOT/xvfb.display" 3>&- &
	bg_track $!
	wait_for 10 test -s "$TEST_ROOT/xvfb.display" || { cat "$TEST_ROOT/xvfb.log" >&2; return 1; }
	HOST_N=$(head -1 "$TEST_ROOT/xvfb.display")
	export DISPLAY=:$HOST_N
	wait_for 10 xwininfo -root >/dev/null 2>&1
}

xephyr_of() {
	pgrep -f "^Xephyr .*-title fvm: $1\$"
}

# REACH_HOST (python, argument N): run in the VM, prints "REACHED how" for
# every way it got to a socket of display N that is not its own nested
# server's (same inode as its /tmp/.X11-unix/X<its DISPLAY>), and every
# memfd it finds among the fds it can read, then "done"
REACH_HOST='
import glob, os, socket, sys
n = sys.argv[1]
own = os.environ.get("DISPLAY", ":-").lstrip(":").split(".")[0]
try:
    st = os.stat("/tmp/.X11-unix/X" + own); own = (st.st_dev, st.st_ino)
except OSError:
    own = None
def tryc(addr, how):
    if addr[0] != "\0":
        try:
            st = os.stat(addr)
            if (st.st_dev, st.st_ino) == own:
                return   # its own nested server, by another path
        except OSError:
            return
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(2); s.connect(addr); print("REACHED", how)
    except OSError:
        pass
    finally:
        s.close()
tryc("\0/tmp/.X11-unix/X" + n, "abstract")
tryc("/tmp/.X11-unix/X" + n, "path")
for r in glob.glob("/proc/[0-9]*/root") + glob.glob("/proc/[0-9]*/cwd"):
    tryc(r + "/tmp/.X11-unix/X" + n, r)
for f in glob.glob("/proc/[0-9]*/fd/*"):
    try:
        l = os.readlink(f)
    except OSError:
        continue
    if "memfd:" in l:
        print("REACHED fd", f, l)
print("done")
'

@test "attack gui: the VM's authority file holds its nested server's cookie only, and no process of the VM has a memfd or the host's cookie" {
	gui_setup
	run -0 fvm create --gui x11 g
	fvm_start g
	run -0 --separate-stderr fvm exec g -- xauth -i -f /tmp/.X11-unix/Xauthority nlist
	assert_eq "${#lines[@]}" 1 "one cookie: $output"
	assert_not_contains "${lines[0]}" "$HOST_COOKIE" "the host display's cookie in the VM's authority file"
	assert_match "${lines[0]}" " 0010 [0-9a-f]{32}$"
	# every process's environment, read (XAUTHORITY shows it was): no host cookie
	run -0 --separate-stderr fvm exec g -- sh -c 'for p in /proc/[0-9]*; do tr "\0" "\n" <"$p/environ"; done 2>/dev/null; true'
	assert_contains "$output" "XAUTHORITY=" "the VM's processes' environments were read"
	assert_not_contains "$output" "$HOST_COOKIE" "the host display's cookie in a VM process's environment"
	run -0 fvm exec g -- sh -c 'cat /tmp/.X11-unix/Xauthority | od -An -tx1 | tr -d " \n"'
	assert_not_contains "$output" "$HOST_COOKIE"
	# the nested server answers with that cookie, and the VM's DISPLAY is it
	run -0 fvm exec g -- xwininfo -root
	assert_contains "$output" "Width: 1024" "the nested server's screen"
	run -0 fvm exec g -- python3 -c "$REACH_HOST" "$HOST_N"
	assert_not_contains "$output" REACHED
	assert_contains "$output" done
}

@test "attack gui: from the VM the host display is out of reach: abstract name, path, /proc/*/root and fds, even with its cookie (--net none and host)" {
	gui_setup
	local net
	cp "$XAUTHORITY" "$SCRATCH/stolen.xauth"   # as if the VM read it in its view of the host
	chmod 644 "$SCRATCH/stolen.xauth"
	for net in none host; do
		run -0 fvm create --gui x11 --net "$net" "g$net"
		fvm_start "g$net"
		run -0 fvm exec "g$net" -- python3 -c "$REACH_HOST" "$HOST_N"
		assert_not_contains "$output" REACHED "--net $net"
		assert_contains "$output" done
		run fvm exec "g$net" -- env XAUTHORITY="$SCRATCH/stolen.xauth" timeout 5 xwininfo -display ":$HOST_N" -root
		assert_not_contains "$output" "Width: 1280" "the host's screen from the VM, --net $net"
		run -0 fvm stop "g$net"
	done
}

@test "attack gui: the VM cannot signal, ptrace or see its Xephyr or the supervisor, even with kill -9 -1" {
	gui_setup
	run -0 fvm create --gui x11 k
	fvm_start k
	wait_for 10 xephyr_of k >/dev/null
	local xp sp
	xp=$(xephyr_of k)
	sp=$(ps -o ppid= -p "$xp" | tr -d ' ')
	run fvm exec k -- sh -c "kill -0 $xp 2>&1; kill -0 $sp 2>&1; ls -d /proc/$xp /proc/$sp 2>&1; python3 -c '
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
for p in sys.argv[1:]:
    print(\"ptrace\", p, libc.ptrace(16, int(p), 0, 0), ctypes.get_errno())' $xp $sp"
	assert_not_contains "$output" "ptrace $xp 0 " "a ptrace attach to Xephyr"
	assert_not_contains "$output" "ptrace $sp 0 " "a ptrace attach to the supervisor"
	run fvm exec k -- sh -c 'ps -eo pid=,comm=; kill -9 -1; true'
	assert_not_contains "$output" Xephyr
	pid_alive "$xp" || { echo "Xephyr $xp died of the VM's kill -9 -1" >&2; false; }
	pid_alive "$sp" || { echo "the supervisor $sp died of the VM's kill -9 -1" >&2; false; }
	run -0 fvm stop k
}

@test "attack gui: the nested server crashes: the VM falls back to nothing of the host's display" {
	gui_setup
	local net xp
	for net in none host; do
		run -0 fvm create --gui x11 --net "$net" "c$net"
		fvm_start "c$net"
		wait_for 10 xephyr_of "c$net" >/dev/null
		xp=$(xephyr_of "c$net")
		kill -SEGV "$xp"
		wait_for 10 pid_dead "$xp"
		echo "after the crash, --net $net: $(vm_state "c$net")" >&2
		if [[ $(vm_state "c$net") == running ]]; then
			run fvm exec "c$net" -- timeout 5 xwininfo -root
			assert_not_contains "$output" "Width: 1280" "the host's screen after Xephyr died, --net $net"
			run -0 fvm exec "c$net" -- python3 -c "$REACH_HOST" "$HOST_N"
			assert_not_contains "$output" REACHED "--net $net"
			run fvm exec "c$net" -- python3 -c "$REACH_HOST" 0
			assert_not_contains "$output" REACHED "the VM's own display number, --net $net"
		fi
		run fvm stop "c$net"
	done
}

@test "attack gui: a DISPLAY that is more than :N[.S] is refused before any server starts" {
	gui_setup
	run -0 fvm create --gui x11 dd
	local bad
	for bad in ":$HOST_N.0/../../etc" ":$HOST_N.0x" ":$HOST_N.0.1" ":$HOST_N " ":-1" ":99999" "unix:/tmp/x" ":$HOST_N
:1"; do
		DISPLAY=$bad run -125 --separate-stderr fvm run dd -- true
		assert_contains "$stderr" "needs a local X display in DISPLAY" "DISPLAY='$bad'"
		run xephyr_of dd
		assert_eq "$output" "" "a nested server for DISPLAY='$bad'"
	done
	DISPLAY=:$HOST_N.0 run -0 fvm run dd -- xwininfo -root
	assert_contains "$output" "Width: 1024"
}

@test "attack gui: wayland sockets through a symlink, a runtime dir that is a symlink, or a file: refused" {
	command -v python3 >/dev/null || skip "python3 is not installed"
	local rt=$TEST_ROOT/rt
	mkdir -p "$rt/real" && chmod 700 "$rt"
	/usr/bin/python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$rt/real/wayland-9"
	chmod 777 "$rt/real/wayland-9"
	ln -s "$rt/real/wayland-9" "$rt/wayland-1"
	ln -s "$rt/real" "$rt/linkdir"
	: >"$rt/wayland-2"
	run -0 fvm create --gui wayland w
	XDG_RUNTIME_DIR=$rt WAYLAND_DISPLAY=wayland-1 run -125 --separate-stderr fvm run w -- true
	assert_contains "$stderr" "symlink"
	XDG_RUNTIME_DIR=$rt/linkdir WAYLAND_DISPLAY=wayland-9 run -125 --separate-stderr fvm run w -- true
	assert_contains "$stderr" "symlink"
	XDG_RUNTIME_DIR=$rt WAYLAND_DISPLAY=wayland-2 run -125 --separate-stderr fvm run w -- true
	assert_fvm_error
	XDG_RUNTIME_DIR=$rt WAYLAND_DISPLAY=../rt/real/wayland-9 run -125 --separate-stderr fvm run w -- true
	assert_contains "$stderr" "bad WAYLAND_DISPLAY"
	WAYLAND_DISPLAY=$rt/wayland-1 run -125 --separate-stderr fvm run w -- true
	assert_contains "$stderr" "symlink"
}

@test "attack import: a manifest asking for no process limit (or one over the default) gets the default" {
	# lib/changes/import.c applied "limits": {"pids": "max"} as it was: a
	# root-mode VM without a process limit can fork the host to its knees
	is_root || skip "rootless: fvm has no cgroup to hold a process limit in, a VM has none either way"
	manifest_tar "$TEST_ROOT/m.tar" '{"limits": {"pids": "max"}}'
	run -0 --separate-stderr fvm import --json "$TEST_ROOT/m.tar" m
	assert_contains "$(jq -r '.warnings | join("\n")' <<<"$output")" "setting not imported: a process limit"
	assert_eq "$(vm_field m .limits.pids)" 2048
	manifest_tar "$TEST_ROOT/b.tar" '{"limits": {"pids": 4000000, "memory": 268435456}}'
	run -0 fvm import "$TEST_ROOT/b.tar" b
	assert_eq "$(vm_field b '.limits | "\(.pids) \(.memory)"')" "2048 268435456"
	# one under the default is kept; trusted, any is
	manifest_tar "$TEST_ROOT/c.tar" '{"limits": {"pids": 100}}'
	run -0 fvm import "$TEST_ROOT/c.tar" c1
	assert_eq "$(vm_field c1 .limits.pids)" 100
	run -0 fvm import --trust-settings "$TEST_ROOT/m.tar" t
	assert_eq "$(vm_field t .limits.pids)" max
}
