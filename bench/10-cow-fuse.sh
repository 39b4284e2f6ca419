#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/10-cow-fuse.sh - the rootless copy-on-write backends (issue 15):
# the cold start (`fvm run VM true`) and the file-heavy job of
# bench/05-files.sh (extract, find, du, rm) rootless with fuse-overlayfs
# (--cow fuse: every tree, the job's included; --cow auto: the host's / by
# fuse-overlayfs, the rest by the kernel) and with the kernel's overlay
# only (--cow kernel), against root mode (the kernel's idmapped overlay)
# and the host. Rootless is uid 65534 with its store in the scratch dir;
# /dev/fuse is a 0666 node bound over the host's in a private mount
# namespace of this benchmark (most distributions ship 0666; the host's
# node is not touched).
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"

if [[ -z ${COW_BENCH_NS-} ]]; then
	exec unshare -m --propagation private env COW_BENCH_NS=1 "$0" "$@"
fi

nfiles=100000 rounds=3 crounds=10 cruns=10
((QUICK)) && nfiles=10000 rounds=2 crounds=3 cruns=5

title "Rootless copy-on-write with fuse-overlayfs: cold start and $nfiles files"
series cold bars ms "one cold run of \`true\`"
series total bars s "file-heavy job ($nfiles files)"
for p in extract find du rm; do
	series "$p" bars s "$p phase"
done
ratio cold "fvm rootless auto" "fvm root"
ratio cold "fvm rootless auto" bwrap 1
ratio total "fvm rootless fuse" fvm 1.5
ratio total "fvm rootless fuse" host
ratio total "fvm rootless auto" fvm

NOBODY=65534
read -r ma mi < <(stat -c '%t %T' /dev/fuse)
mkdir -p "$SCRATCH/cowdev" "$SCRATCH/cowhome"
mknod -m 0666 "$SCRATCH/cowdev/fuse" c "$((0x$ma))" "$((0x$mi))"
mount --bind "$SCRATCH/cowdev/fuse" /dev/fuse
chown $NOBODY:$NOBODY "$SCRATCH/cowhome"
home=$(fresh_home cow)
cleanup()
{
	setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups env FVM_HOME="$SCRATCH/cowhome/store" \
		"$FVM" rm -f ca ck >/dev/null 2>&1
	drop_home "$home"
	rm -rf "$SCRATCH/cowhome" "$SCRATCH/cowdev" "$SCRATCH/files10"
}
trap cleanup EXIT
FVM_HOME=$home "$FVM" create cold >/dev/null
nob="setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups env HOME=$SCRATCH/cowhome FVM_HOME=$SCRATCH/cowhome/store"
$nob "$FVM" create --cow auto ca >/dev/null 2>&1
$nob "$FVM" create --cow kernel ck >/dev/null 2>&1

contenders=(
	"fvm root" "env FVM_HOME=$home $FVM run cold true"
	"fvm rootless auto" "$nob $FVM run ca true"
	"fvm rootless kernel" "$nob $FVM run ck true"
	bwrap "bwrap --ro-bind / / --dev /dev --proc /proc --unshare-all true"
)
run=()
for ((i = 0; i < ${#contenders[@]}; i += 2)); do
	read -ra words <<<"${contenders[i + 1]}"
	try_cmd cold "${contenders[i]}" "${words[@]}" && run+=("${contenders[i]}" "${contenders[i + 1]}")
done
log "cold: $((${#run[@]} / 2)) contenders, $crounds rounds x $cruns runs"
interleave cold "" "$crounds" "$cruns" "${run[@]}"

work=$SCRATCH/files10
mkdir -p "$work/mnt"
tarball=$(tree_tarball "$nfiles") || exit 1
order=(host fvm "fvm rootless fuse" "fvm rootless auto")
log "files: $nfiles files, $rounds rounds"
files_rounds "$work" "$tarball" "$rounds" "${order[@]}"
note "fvm root: the kernel's overlay, idmapped (root mode). fvm rootless auto: the host's / served by fuse-overlayfs, the other trees (the job's file system, /tmp, the home) by the kernel's overlay; fvm rootless fuse: every tree by fuse-overlayfs, so the job runs through it; fvm rootless kernel: the kernel's overlay only (the host's system tree read-only). Rootless runs as uid 65534 with a 0666 /dev/fuse in this benchmark's own mount namespace."
note "The file job runs as in bench/05-files.sh: a fresh ext4 per job, the tree and the VM's store on it. Its file system is a mount below /tmp: under --cow auto /tmp then goes to fuse-overlayfs (the kernel refuses it) and the job's own mount gets a kernel overlay; --cow kernel refuses to boot there (a tree with a mount below it), so it has no file job."
