#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/01-cold-run.sh - `fvm run VM true` on an existing, stopped VM against
# the other ways to run `true` in fresh namespaces: unshare, bwrap,
# firejail, systemd-nspawn. Each run boots the VM (namespaces, one overlay
# per host mount, init) and stops it again when `true` exits.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"

title "Cold start: \`fvm run VM true\` on a stopped VM"
series cold bars ms "one cold run of \`true\`"
ratio cold fvm bwrap 0.6   # issue 10
ratio cold fvm unshare 1.2
ratio cold fvm firejail
ratio cold fvm systemd-nspawn

# firejail mounts its runtime dirs under /run/firejail on the host and
# leaves them; the ones this benchmark made are unmounted again at exit
firejail_mounts() { findmnt -rn -o TARGET | grep '^/run/firejail/' | sort; }
before=$(firejail_mounts)
cleanup()
{
	local m
	drop_home "$home"
	comm -13 <(printf '%s\n' "$before") <(firejail_mounts) | sort -r | while read -r m; do
		umount -l "$m" || log "could not unmount $m"
	done
}
home=$(fresh_home cold)
trap cleanup EXIT
export FVM_HOME=$home
"$FVM" create cold >/dev/null

rounds=20 runs=10
((QUICK)) && rounds=4 runs=5

# name, then the command line hyperfine runs
contenders=(
	fvm "$FVM run cold true"
	unshare "unshare -Umpiunrf true"
	bwrap "bwrap --ro-bind / / --dev /dev --proc /proc --unshare-all true"
	firejail "firejail --quiet --noprofile true"
	systemd-nspawn "systemd-nspawn -q --register=no --keep-unit --directory=/ --volatile=yes true"
)
run=()
for ((i = 0; i < ${#contenders[@]}; i += 2)); do
	name=${contenders[i]} cmd=${contenders[i + 1]}
	read -ra words <<<"$cmd"
	if ! command -v "${words[0]}" >/dev/null; then
		skip cold "$name" "\`${words[0]}\` is not installed"
		continue
	fi
	try_cmd cold "$name" "${words[@]}" && run+=("$name" "$cmd")
done

note "unshare: -U -m -p -i -u -n new namespaces, -r maps the caller to root, -f forks so \`true\` is PID 1 of the new PID namespace; no /proc is mounted. bwrap: --unshare-all (user, mount, pid, ipc, uts, net, cgroup), a read-only bind of / and a fresh /dev and /proc, no copy-on-write."
note "systemd-nspawn runs with --register=no --keep-unit: this machine's PID 1 is not systemd and has no system bus, so nspawn cannot register with systemd-machined or make a scope unit; --volatile=yes gives it a tmpfs root with the host's /usr. firejail runs without a profile; its first run leaves mounts under /run/firejail on the host (unmounted again when this benchmark ends), which fvm then overlays like every other host mount."
note "Host mounts at the time of the run: $(grep -c . /proc/self/mountinfo) (fvm makes one overlay for each that is not under /proc, /sys or /dev)."

log "$((${#run[@]} / 2)) contenders, $rounds rounds x $runs runs"
interleave cold "" "$rounds" "$runs" "${run[@]}"
