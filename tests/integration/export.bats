#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# export.bats - fvm export and import round trips: every kind of change
# (new, modified, deleted, opaque directory, symlink, hard link, FIFO,
# mode, owner, xattr where the file system has them) exported from one
# store and imported into another gives the same `fvm diff`; the archive
# is a tar that plain tools list and read (OCI whiteouts, owners in the
# VM's ids, the manifest first); settings travel, those that loosen
# isolation do not; a running VM is refused.

load helpers

setup() {
	fvm_setup
	mkdir -p "$SCRATCH/d/sub" "$SCRATCH/d/gone"
	echo host >"$SCRATCH/d/mod"
	echo host >"$SCRATCH/d/del"
	echo host >"$SCRATCH/d/chm"
	echo host >"$SCRATCH/d/gone/x"
	chmod 644 "$SCRATCH/d/chm"
	STORE2=$TEST_ROOT/store2
	mkdir -p "$STORE2"
	chmod 700 "$FVM_HOME" "$STORE2"
}

teardown() {
	local n
	for n in $(ls -A "$STORE2/vms" 2>/dev/null); do
		FVM_HOME=$STORE2 fvm rm -f "$n" >/dev/null 2>&1 || true
	done
	fvm_teardown
}

EDIT='cd "$1" && echo vm-mod >mod && rm del && chmod 600 chm && echo added >new && ln new hard &&
	ln -s /etc/shadow link && mkfifo fifo && rm -rf gone && mkdir gone && echo y >gone/y &&
	mkdir -p newdir/deep && echo deep >newdir/deep/f'

@test "export then import into another store: the same fvm diff, root and rootless" {
	fvm create e 2>/dev/null
	run -0 fvm run e -- sh -c "$EDIT" _ "$SCRATCH/d"
	if is_root; then
		run -0 fvm run e -- chown 1000:1001 "$SCRATCH/d/sub"
	fi
	run -0 fvm diff e "$SCRATCH/d"
	local before=$output
	assert_contains "$before" "R  $SCRATCH/d/gone/"
	assert_contains "$before" "D  $SCRATCH/d/del"
	run -0 fvm export e -o "$TEST_ROOT/e.tar"
	run -0 --separate-stderr env FVM_HOME="$STORE2" "$FVM" import "$TEST_ROOT/e.tar"
	assert_contains "$stderr" "imported VM 'e'"
	run -0 env FVM_HOME="$STORE2" "$FVM" diff e "$SCRATCH/d"
	assert_eq "$output" "$before" "fvm diff after the round trip"
	# and the imported VM sees what the exported one saw
	run -0 env FVM_HOME="$STORE2" "$FVM" run e -- sh -c 'cat "$1/mod" "$1/hard" "$1/newdir/deep/f"; ls "$1/gone"; test ! -e "$1/del"; stat -c %i "$1/new" "$1/hard" | uniq | wc -l' _ "$SCRATCH/d"
	assert_eq "$output" "vm-mod
added
deep
y
1"
}

@test "export: a tar archive that plain tar reads, with OCI whiteouts, the VM's own ids and the manifest first" {
	fvm create e 2>/dev/null
	run -0 fvm run e -- sh -c "$EDIT" _ "$SCRATCH/d"
	run -0 fvm export e -o "$TEST_ROOT/e.tar"
	local rel=${SCRATCH#/}
	run -0 tar -tf "$TEST_ROOT/e.tar"
	assert_eq "${lines[0]}" ".wh..fvm-manifest.json" "the manifest is the first member"
	assert_contains "$output" "$rel/d/.wh.del"
	assert_contains "$output" "$rel/d/gone/.wh..wh..opq"
	assert_not_contains "$output" "$rel/d/gone/.wh.x" "deletions an opaque directory implies are not listed again"
	# owners are the VM's: 0, never the host uid of its root
	run -0 tar --numeric-owner -tvf "$TEST_ROOT/e.tar" "$rel/d/mod"
	assert_match "$output" ' 0/0 ' "owner of a file the VM's root wrote"
	# a hard link member, a symlink member
	run -0 /usr/bin/python3 -c '
import json, sys, tarfile
t = tarfile.open(sys.argv[1])
m = {i.name: i for i in t.getmembers()}
r = sys.argv[2]
assert m[r + "/d/hard"].islnk() or m[r + "/d/new"].islnk(), "hard link"
assert m[r + "/d/link"].issym() and m[r + "/d/link"].linkname == "/etc/shadow"
assert m[r + "/d/fifo"].isfifo()
man = json.load(t.extractfile(".wh..fvm-manifest.json"))
print(man["format"], man["name"], man["mode"], "base" in man, man["base"]["id"] != "", "uid_base" in man["settings"])
' "$TEST_ROOT/e.tar" "$rel"
	assert_eq "$output" "1 e $(is_root && echo root || echo rootless) True True False"
}

@test "an OCI tool (umoci) applies the export over the host's files as the VM sees them" {
	command -v umoci >/dev/null || skip "umoci is missing: run scripts/deps"
	fvm create e 2>/dev/null
	run -0 fvm run e -- sh -c "$EDIT" _ "$SCRATCH/d"
	run -0 fvm export e -o "$TEST_ROOT/e.tar"
	# an OCI image: a base layer with the host's directory, then the export
	/usr/bin/python3 - "$TEST_ROOT/img" "$SCRATCH/d" "${SCRATCH#/}/d" "$TEST_ROOT/e.tar" <<'PY'
import hashlib, io, json, os, sys, tarfile
img, src, rel, layer = sys.argv[1:]
os.makedirs(img + "/blobs/sha256")
def blob(data):
    d = hashlib.sha256(data).hexdigest()
    open(f"{img}/blobs/sha256/{d}", "wb").write(data)
    return {"digest": "sha256:" + d, "size": len(data)}
base = io.BytesIO()
with tarfile.open(fileobj=base, mode="w", format=tarfile.PAX_FORMAT) as t:
    t.add(src, arcname=rel)
layers = [base.getvalue(), open(layer, "rb").read()]
L = "application/vnd.oci.image.layer.v1.tar"
descs = [dict(blob(l), mediaType=L) for l in layers]
cfg = blob(json.dumps({"architecture": "amd64", "os": "linux", "config": {},
    "rootfs": {"type": "layers", "diff_ids": [d["digest"] for d in descs]}}).encode())
man = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": dict(cfg, mediaType="application/vnd.oci.image.config.v1+json"), "layers": descs}).encode())
json.dump({"schemaVersion": 2, "manifests": [dict(man, mediaType="application/vnd.oci.image.manifest.v1+json",
    annotations={"org.opencontainers.image.ref.name": "t"})]}, open(img + "/index.json", "w"))
json.dump({"imageLayoutVersion": "1.0.0"}, open(img + "/oci-layout", "w"))
PY
	local rl=()
	is_root || rl=(--rootless)
	run -0 umoci unpack "${rl[@]}" --image "$TEST_ROOT/img:t" "$TEST_ROOT/bundle"
	local d=$TEST_ROOT/bundle/rootfs/${SCRATCH#/}/d
	run -0 bash -c 'cd "$1" && find . | LC_ALL=C sort; cat mod hard newdir/deep/f; stat -c %i new hard | uniq | wc -l; readlink link; stat -c %a chm' _ "$d"
	assert_eq "$output" ".
./chm
./fifo
./gone
./gone/y
./hard
./link
./mod
./new
./newdir
./newdir/deep
./newdir/deep/f
./sub
vm-mod
added
deep
1
/etc/shadow
600" "the tree umoci made: the VM's view of $SCRATCH/d"
	assert_not_exists "$TEST_ROOT/bundle/rootfs/.fvm-manifest.json"
	chmod -R u+rwX "$TEST_ROOT/bundle"
}

@test "export -o NAME.tar.gz and .tar.zst compress; import reads both and stdin" {
	fvm create e 2>/dev/null
	run -0 fvm run e -- sh -c 'echo z >"$1/new"' _ "$SCRATCH/d"
	run -0 fvm export e -o "$TEST_ROOT/e.tar.gz"
	run -0 fvm export e -o "$TEST_ROOT/e.tar.zst"
	run -0 file -b "$TEST_ROOT/e.tar.gz"
	assert_contains "$output" gzip
	run -0 tar -tzf "$TEST_ROOT/e.tar.gz"
	assert_contains "$output" "d/new"
	run -0 tar --zstd -tf "$TEST_ROOT/e.tar.zst"
	assert_contains "$output" "d/new"
	run -0 env FVM_HOME="$STORE2" "$FVM" import "$TEST_ROOT/e.tar.gz" g
	run -0 env FVM_HOME="$STORE2" "$FVM" import - z <"$TEST_ROOT/e.tar.zst"
	run -0 env FVM_HOME="$STORE2" "$FVM" run z -- cat "$SCRATCH/d/new"
	assert_eq "$output" z
	# no half-written file is left for a failed export
	run -0 fvm export e -o "$TEST_ROOT/plain.tar"
	run -0 ls -A "$TEST_ROOT"
	assert_not_contains "$output" fvm-export
}

@test "settings travel; those that loosen isolation stay behind unless --trust-settings" {
	share_owned "$SCRATCH/share"
	local lim=()
	is_root && lim=(--memory 64M)   # rootless VMs have no cgroup to hold a limit
	fvm create --net host "${lim[@]}" --hostname web1 --hide "$SCRATCH/d/mod" --share "$SCRATCH/share" s 2>/dev/null
	run -0 fvm export s -o "$TEST_ROOT/s.tar"
	run -0 --separate-stderr env FVM_HOME="$STORE2" "$FVM" import --json "$TEST_ROOT/s.tar"
	run -0 jq -r '.warnings | join("\n")' <<<"$output"
	assert_contains "$output" "--net host"
	assert_contains "$output" "--share"
	run -0 env FVM_HOME="$STORE2" "$FVM" inspect s
	assert_eq "$(jq -r '.[0].net' <<<"$output")" none
	assert_eq "$(jq -r '.[0].hostname' <<<"$output")" web1
	assert_eq "$(jq -r '.[0].limits.memory' <<<"$output")" "$(is_root && echo 67108864 || echo 0)"
	assert_eq "$(jq -r '[.[0].policies[] | .mode] | sort | join(",")' <<<"$output")" hide
	run -0 env FVM_HOME="$STORE2" "$FVM" import --trust-settings "$TEST_ROOT/s.tar" t
	run -0 env FVM_HOME="$STORE2" "$FVM" inspect t
	assert_eq "$(jq -r '.[0].net' <<<"$output")" host
}

@test "import warns when the host differs from the one the VM was exported on" {
	fvm create e 2>/dev/null
	run -0 fvm export e -o "$TEST_ROOT/e.tar"
	# the same archive with another host's base in its manifest
	/usr/bin/python3 - "$TEST_ROOT/e.tar" "$TEST_ROOT/other.tar" <<'PY'
import io, json, sys, tarfile
src = tarfile.open(sys.argv[1]); dst = tarfile.open(sys.argv[2], "w", format=tarfile.PAX_FORMAT)
for m in src.getmembers():
    data = src.extractfile(m).read() if m.isfile() else None
    if m.name == ".wh..fvm-manifest.json":
        man = json.loads(data); man["base"]["version_id"] = "99"; man["base"]["packages_digest"] = "fnv1a64:0"
        data = json.dumps(man).encode(); m.size = len(data)
    dst.addfile(m, io.BytesIO(data) if data is not None else None)
dst.close()
PY
	run -0 --separate-stderr env FVM_HOME="$STORE2" "$FVM" import "$TEST_ROOT/other.tar"
	assert_contains "$stderr" "warning: this host differs"
	assert_contains "$stderr" "version_id is"
	assert_contains "$stderr" "another package set"
	run -0 --separate-stderr env FVM_HOME="$STORE2" "$FVM" import --json "$TEST_ROOT/e.tar" same
	assert_eq "$(jq -r .host_differs <<<"$output")" false
}

@test "export refuses a running VM; import refuses a taken name and leaves it alone" {
	fvm create e 2>/dev/null
	fvm_start e
	run -125 --separate-stderr fvm export e -o "$TEST_ROOT/e.tar"
	assert_contains "$stderr" "is running: stop it first"
	assert_not_exists "$TEST_ROOT/e.tar"
	run -0 fvm stop e
	run -0 fvm export e -o "$TEST_ROOT/e.tar"
	run -125 --separate-stderr fvm import "$TEST_ROOT/e.tar"
	assert_contains "$stderr" "already exists"
	run -0 fvm ls
	assert_eq "$(grep -c '^e ' <<<"$output")" 1
}

@test "xattrs: user.* travels, overlay's own do not" {
	touch "$SCRATCH/xa" 2>/dev/null
	if ! /usr/bin/python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.t", b"1")' "$SCRATCH/xa" 2>/dev/null; then
		skip "the test's file system has no user xattrs"
	fi
	fvm create e 2>/dev/null
	run -0 fvm run e -- /usr/bin/python3 -c 'import os,sys; open(sys.argv[1], "w").write("x"); os.setxattr(sys.argv[1], "user.color", b"blue")' "$SCRATCH/d/xf"
	run -0 fvm export e -o "$TEST_ROOT/e.tar"
	run -0 env FVM_HOME="$STORE2" "$FVM" import "$TEST_ROOT/e.tar"
	run -0 env FVM_HOME="$STORE2" "$FVM" run e -- /usr/bin/python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.color").decode())' "$SCRATCH/d/xf"
	assert_eq "$output" blue
}

@test "a socket in the VM's changes is left out of the export; the rest travels" {
	fvm create e 2>/dev/null
	run -0 fvm run e -- /usr/bin/python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1] + "/sock"); open(sys.argv[1] + "/f", "w").write("f")' "$SCRATCH/d"
	run -0 fvm diff e "$SCRATCH/d"
	assert_contains "$output" "$SCRATCH/d/sock"
	run -0 fvm export e -o "$TEST_ROOT/e.tar"
	run -0 tar -tf "$TEST_ROOT/e.tar"
	assert_not_contains "$output" "d/sock"
	assert_contains "$output" "d/f"
	run -0 env FVM_HOME="$STORE2" "$FVM" import "$TEST_ROOT/e.tar"
	run -0 env FVM_HOME="$STORE2" "$FVM" diff e "$SCRATCH/d"
	assert_eq "$output" "A  $SCRATCH/d/f"
}
