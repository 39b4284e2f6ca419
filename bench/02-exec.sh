#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/02-exec.sh - `fvm exec VM true` into a running VM (after `fvm start`)
# against `nsenter -t PID -a true` into the same VM's init, and a bare
# `true` on the host as the floor.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"

title "Joining a running VM: \`fvm exec VM true\`"
series exec bars ms "one \`true\` in a running VM"
ratio exec fvm nsenter 1.0   # issue 10
ratio exec fvm "true (host)"

home=$(fresh_home exec)
trap 'drop_home "$home"' EXIT
export FVM_HOME=$home
"$FVM" create ex >/dev/null
if ! try_cmd exec fvm "$FVM" start ex; then
	exit 0
fi
pid=$("$FVM" inspect ex | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["init_pid"])')

rounds=10 runs=20
((QUICK)) && rounds=4 runs=10

run=()
try_cmd exec fvm "$FVM" exec ex true && run+=(fvm "$FVM exec ex true")
try_cmd exec nsenter nsenter -t "$pid" -a true && run+=(nsenter "nsenter -t $pid -a true")
run+=("true (host)" "true")

note "nsenter -a enters every namespace of the VM's init (user, mount, pid, ipc, uts, net, cgroup, time), sets the root and working directory from it and forks once for the PID namespace; the init PID comes from \`fvm inspect\`."
log "$((${#run[@]} / 2)) contenders, $rounds rounds x $runs runs"
interleave exec "" "$rounds" "$runs" "${run[@]}"
"$FVM" stop -t 1 ex >/dev/null
