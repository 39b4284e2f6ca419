#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/03-density.sh - how many idle VMs fit, and how fast they come up.
#
# Creates N VMs, then `fvm start`s them one after the other, timing each
# start; checks they all run; joins each with `fvm exec VMi true` (timed);
# stops and removes them all. Host memory per idle VM is the drop of the
# kernel's own accounting (/proc/meminfo, kernel memory included) between
# "N VMs created, none running" and "all N running", divided by N.
# N is 1000, or 50 with --quick, or $FVM_BENCH_DENSITY_VMS.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"

n=1000
((QUICK)) && n=50
n=${FVM_BENCH_DENSITY_VMS:-$n}

title "Density: $n idle VMs started one after the other"
series start trace ms "\`fvm start VMi\` while i VMs already run" "VM index i"
series join trace ms "\`fvm exec VMi true\` while all $n VMs run" "VM index i"
series mem xy KiB "host memory in use (MemTotal - MemAvailable) while VMs start" "VMs running"
slope mem fvm 400   # issue 10

home=$(fresh_home density)
trap 'drop_home "$home"' EXIT
export FVM_HOME=$home
names=()
for ((i = 0; i < n; i++)); do
	names+=("d$i")
done

log "creating $n VMs"
t0=$(now_ms)
for v in "${names[@]}"; do
	"$FVM" create "$v" >/dev/null || { skip start fvm "\`fvm create $v\` failed"; exit 0; }
done
scalar "create $n VMs (each \`fvm create\`)" "$(elapsed_ms "$t0")" ms

# memory snapshot: the fields of /proc/meminfo we report, in KiB
keys=(MemAvailable MemFree Committed_AS Slab SUnreclaim PageTables KernelStack Shmem)
snap()
{
	local k
	for k in "${keys[@]}"; do
		printf '%s ' "$(meminfo "$k")"
	done
}
sync
sleep 2
read -ra before <<<"$(snap)"

log "starting $n VMs"
failed=0 first_err=''
total_kib=$(meminfo MemTotal)
every=$((n >= 20 ? n / 20 : 1))
t0=$(now_ms)
for ((i = 0; i < n; i++)); do
	((i % every == 0)) && sample mem fvm "$i" "$((total_kib - $(meminfo MemAvailable)))"
	s=$(now_ms)
	if err=$("$FVM" start "${names[i]}" 2>&1 </dev/null); then
		sample start fvm "$i" "$(elapsed_ms "$s")"
	else
		((failed++))
		[[ -n $first_err ]] || first_err="VM $i: $err"
	fi
done
total=$(elapsed_ms "$t0")
((failed)) && note "$failed of $n starts failed; the first: $first_err"

sample mem fvm "$n" "$((total_kib - $(meminfo MemAvailable)))"
sleep 2
read -ra after <<<"$(snap)"
running=$("$FVM" ls --json | python3 -c 'import json, sys; print(sum(v["state"] == "running" for v in json.load(sys.stdin)))')
pss=$("$FVM" ps --json | python3 -c '
import json, sys
kib = 0
for p in json.load(sys.stdin):
    try:
        pid = p["host_pid"]
        for line in open(f"/proc/{pid}/smaps_rollup"):
            if line.startswith("Pss:"):
                kib += int(line.split()[1])
    except OSError:
        pass
print(kib)')

scalar "all $n VMs started (wall time of the loop of \`fvm start\`s)" "$(awk -v t="$total" 'BEGIN { printf "%.3f", t / 1000 }')" s "$( ((n == 1000)) && echo 5)"
scalar "wall time per VM" "$(awk -v t="$total" -v n="$n" 'BEGIN { printf "%.2f", t / n }')" ms 5
scalar "VMs running afterwards (\`fvm ls\`)" "$running" VMs
for ((k = 0; k < ${#keys[@]}; k++)); do
	d=$((before[k] - after[k]))
	case ${keys[k]} in
	MemAvailable) scalar "host memory per idle VM: drop of MemAvailable / N" "$((d / n))" KiB 400 ;;
	MemFree) scalar "drop of MemFree / N" "$((d / n))" KiB ;;
	*) scalar "growth of ${keys[k]} / N" "$((-d / n))" KiB ;;
	esac
done
scalar "PSS of the VMs' processes / N (smaps_rollup)" "$((pss / n))" KiB

log "joining each VM"
for ((i = 0; i < n; i++)); do
	s=$(now_ms)
	"$FVM" exec "${names[i]}" true </dev/null && sample join fvm "$i" "$(elapsed_ms "$s")"
done

log "stopping $n VMs"
t0=$(now_ms)
"$FVM" stop -t 5 "${names[@]}" >/dev/null
scalar "\`fvm stop\` all $n (one command)" "$(elapsed_ms "$t0")" ms
t0=$(now_ms)
"$FVM" rm "${names[@]}" >/dev/null
scalar "\`fvm rm\` all $n (one command)" "$(elapsed_ms "$t0")" ms
sleep 1
read -ra gone <<<"$(snap)"
scalar "MemAvailable not yet returned after stop+rm / N" "$(((before[0] - gone[0]) / n))" KiB

# first and last tenth of the starts, by median
python3 - "$SAMPLES" "$n" >>"$META" <<-'EOF'
import statistics, sys
path, n = sys.argv[1], int(sys.argv[2])
for series, what in (("start", "`fvm start`"), ("join", "`fvm exec`")):
    t = {int(r[2]): float(r[3]) for r in (l.rstrip("\n").split("\t") for l in open(path)) if r[0] == series}
    if len(t) < 2:
        continue
    k = max(5, n // 10)
    xs = sorted(t)
    first, last = statistics.median(t[x] for x in xs[:k]), statistics.median(t[x] for x in xs[-k:])
    tgt = "1.5" if series == "start" else ""
    print(f"scalar\t{what}: median of the last {k} / median of the first {k}\t{last / first:.2f}\t×\t{tgt}")
    print(f"scalar\t{what} of the last VM / of the first VM\t{t[xs[-1]] / t[xs[0]]:.2f}\t×\t")
EOF
note "Memory: /proc/meminfo read 2 s after the last create (N VMs on disk, none running) and 2 s after the last start; the difference covers everything the kernel and the VMs' processes took (namespaces, mounts, overlays, page tables, init's pages). Other work on this machine moves these counters too: treat them as ±some hundred KiB per VM at N=50."
note "The slope of host memory in use over the number of running VMs (sampled every $every starts, least squares) is the per-VM cost that a one-off swing of other work on the machine moves least."
fs=$(fs_desc "$home")
note "The store is on $fs."
[[ $fs == *"no journal" ]] && note "ext4 without a journal checks every inode it is about to reuse against the inodes freed in the last 30 s (recently_deleted() in __ext4_new_inode). Each \`fvm start\` frees and makes inodes in the store (overlayfs empties and remakes each layer's work dir at mount, fvm rewrites run/state.json), so starts in quick succession get slower with the number of recent starts: a rising start time here is that, not a cost per running VM (see the profile in section 9)."
note "An idle VM is one started with \`fvm start\`: its init (PID 1) and nothing else."
