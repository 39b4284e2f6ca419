#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/files-job.sh WHO TARBALL IMAGE DIR - one job of bench/05-files.sh.
#
# bench/05-files.sh runs this inside a private mount namespace
# (unshare -m --propagation private). It makes a fresh ext4 file system in
# the file IMAGE and mounts it (loop) on DIR, so every job starts on an
# empty file system with no history of the jobs before it (ext4 slows the
# allocation of inodes freed a moment ago), and the host's tree, the VM's
# store and the overlays' upper dirs all live on it. Then it runs
# bench/filework.sh as WHO (host, fvm, "overlayfs by hand", "bwrap (bind)",
# "bwrap --overlay", and bench/10-cow-fuse.sh's "fvm rootless fuse" and
# "fvm rootless auto") and prints "total MS" and filework.sh's phase lines.
# The mount and the loop device go away with the namespace.
set -euo pipefail
who=$1 tarball=$2 img=$3 dir=$4
fw=$(dirname "$0")/filework.sh

rm -f "$img"
truncate -s 16G "$img"
mkfs.ext4 -q -F "$img"
mount -o loop "$img" "$dir"
mkdir -p "$dir"/{lower,upper,work,ovl,store}
if [[ $who == fvm ]]; then
	export FVM_HOME=$dir/store
	"$FVM" create fw >/dev/null
fi
# rootless contenders (bench/10-cow-fuse.sh): fvm as uid 65534, its store
# and the tree on the fresh file system, /dev/fuse a 0666 node of this
# namespace (as most distributions ship it)
NOBODY=65534
as_nobody() { setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups env HOME="$dir/u" FVM_HOME="$dir/u/store" "$@"; }
if [[ $who == "fvm rootless"* ]]; then
	mkdir -p "$dir/u/store" "$dir/dev"
	cp "$tarball" "$dir/u/tree.tar"
	chown -R $NOBODY:$NOBODY "$dir/u"
	tarball=$dir/u/tree.tar
	read -r ma mi < <(stat -c '%t %T' /dev/fuse)
	mknod -m 0666 "$dir/dev/fuse" c "$((0x$ma))" "$((0x$mi))"
	mount --bind "$dir/dev/fuse" /dev/fuse
	as_nobody "$FVM" create --cow "${who##* }" fw >/dev/null 2>&1
fi
sync

ms() { local t=${EPOCHREALTIME/./}; echo "$((10#$t / 1000))"; }
t=$(ms)
case $who in
host)
	bash "$fw" "$tarball" "$dir/tree" ;;
fvm)
	"$FVM" run fw -- bash "$fw" "$tarball" "$dir/tree" ;;
"fvm rootless fuse" | "fvm rootless auto")
	as_nobody "$FVM" run fw -- bash "$fw" "$tarball" "$dir/u/tree" 2>/dev/null ;;
"overlayfs by hand")
	mount -t overlay ovl -o "lowerdir=$dir/lower,upperdir=$dir/upper,workdir=$dir/work" "$dir/ovl"
	bash "$fw" "$tarball" "$dir/ovl/tree" ;;
"bwrap (bind)")
	bwrap --ro-bind / / --bind "$dir" "$dir" --dev /dev --proc /proc --unshare-all \
		bash "$fw" "$tarball" "$dir/tree" ;;
"bwrap --overlay")
	bwrap --ro-bind / / --dev /dev --proc /proc --unshare-all \
		--overlay-src "$dir/lower" --overlay "$dir/upper" "$dir/work" "$dir/ovl" \
		bash "$fw" "$tarball" "$dir/ovl/tree" ;;
*)
	echo "files-job.sh: unknown contender '$who'" >&2
	exit 2 ;;
esac
echo "total $(($(ms) - t))"
if [[ $who == fvm ]]; then
	"$FVM" rm -f fw >/dev/null
elif [[ $who == "fvm rootless"* ]]; then
	as_nobody "$FVM" rm -f fw >/dev/null
fi
