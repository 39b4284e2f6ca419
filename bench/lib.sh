# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# bench/lib.sh - helpers shared by the benchmark scripts (sourced, not run).
#
# Every benchmark script runs as its own bash process under bench/run,
# which exports:
#   FVM      the fvm binary under test
#   SCRATCH  this run's scratch dir (removed by bench/run at exit)
#   RAW      where results go (bench/results/raw)
#   QUICK    1 in --quick mode, else 0
#   BENCH    the benchmark's id (the script's name without .sh)
#
# A script records what it measured in two tab-separated files that
# bench/report.py turns into RESULTS.md and the plots:
#   $RAW/$BENCH.samples.tsv  series  contender  x  value
#   $RAW/$BENCH.meta.tsv     kind    fields...   (see the functions below)
# Values are in the unit the series declares; x is empty for a plain
# comparison, a number for a series over x (mounts, VM index).

set -uo pipefail

SAMPLES=$RAW/$BENCH.samples.tsv
META=$RAW/$BENCH.meta.tsv

# tsv_row FILE FIELD... - append one tab-separated row (tabs and newlines
# inside fields become spaces).
tsv_row()
{
	local f=$1 out='' v
	shift
	for v in "$@"; do
		v=${v//$'\t'/ }
		v=${v//$'\n'/ }
		out+=${out:+$'\t'}$v
	done
	printf '%s\n' "$out" >>"$f"
}

# title TEXT - the benchmark's heading in RESULTS.md
title() { tsv_row "$META" title "$1"; }

# series NAME KIND UNIT TITLE [XLABEL] - declare a series.
# KIND: bars (contenders side by side), xy (median per x, per contender),
# trace (one sample per x, e.g. start time of the i-th VM).
series() { tsv_row "$META" series "$1" "$2" "$3" "$4" "${5:-}"; }

# ratio SERIES NUM DEN [TARGET] - report median(NUM)/median(DEN); TARGET is
# the largest acceptable ratio, or empty.
ratio() { tsv_row "$META" ratio "$1" "$2" "$3" "${4:-}"; }

# slope SERIES CONTENDER [TARGET] - least-squares slope of median over x
slope() { tsv_row "$META" slope "$1" "$2" "${3:-}"; }

# skip SERIES CONTENDER WHY - a contender that could not run here, and why
skip() { tsv_row "$META" skip "$1" "$2" "$3"; }

# note TEXT - a sentence printed under the benchmark's tables
note() { tsv_row "$META" note "$1"; }

# scalar NAME VALUE UNIT [TARGET] - one measured number; TARGET is the
# largest acceptable value, or empty.
scalar() { tsv_row "$META" scalar "$1" "$2" "$3" "${4:-}"; }

# sample SERIES CONTENDER X VALUE
sample() { tsv_row "$SAMPLES" "$1" "$2" "$3" "$4"; }

log() { printf '[%s] %s\n' "$BENCH" "$*" >&2; }

# now_ms - wall clock in milliseconds with microseconds, no fork
now_ms()
{
	local t=${EPOCHREALTIME/./}
	printf '%d.%03d' "$((10#$t / 1000))" "$((10#$t % 1000))"
}

# elapsed_ms START_MS - milliseconds since START_MS (from now_ms)
elapsed_ms()
{
	local t=${EPOCHREALTIME/./} s=${1/./}
	local d=$((10#$t - 10#$s))
	printf '%d.%03d' "$((d / 1000))" "$((d % 1000))"
}

# fresh_home NAME - print a new empty FVM_HOME under the scratch dir
fresh_home()
{
	local h=$SCRATCH/homes/$1
	mkdir -p "$h" && printf '%s\n' "$h"
}

# drop_home HOME - stop and remove every VM in HOME, then HOME itself
drop_home()
{
	local h=$1 names
	[[ -d $h ]] || return 0
	names=$(FVM_HOME=$h "$FVM" ls -q 2>/dev/null)
	if [[ -n $names ]]; then
		# shellcheck disable=SC2086  # one name per word, names are ours
		FVM_HOME=$h "$FVM" stop -t 1 $names >/dev/null 2>&1
		# shellcheck disable=SC2086
		FVM_HOME=$h "$FVM" rm -f $names >/dev/null 2>&1
	fi
	rm -rf "$h"
}

# try_cmd SERIES NAME CMD... - run CMD once; if it fails, record NAME as
# skipped with the last line it printed and return 1.
try_cmd()
{
	local series=$1 name=$2 out rc
	shift 2
	out=$("$@" 2>&1 </dev/null)
	rc=$?
	((rc == 0)) && return 0
	out=$(printf '%s\n' "$out" | grep -v '^$' | tail -n 2 | tr '\n' ' ')
	skip "$series" "$name" "\`$*\` exits $rc here: ${out:-no output}"
	log "skip $name: exit $rc: $out"
	return 1
}

# hf_append JSON SERIES NAME X - add hyperfine's per-run times (in ms)
hf_append()
{
	python3 - "$1" "$2" "$3" "$4" >>"$SAMPLES" <<-'EOF'
	import json, sys
	path, series, name, x = sys.argv[1:5]
	for t in json.load(open(path))["results"][0]["times"]:
	    print(f"{series}\t{name}\t{x}\t{t * 1000:.4f}")
	EOF
}

# interleave SERIES X ROUNDS RUNS NAME CMD [NAME CMD]...
#
# Measures the contenders in ROUNDS rounds; in each round every contender
# gets one warm-up run and RUNS timed runs (hyperfine -N, no shell), and
# the order rotates from round to round, so slow drifts of a noisy machine
# hit every contender alike. CMD is one string, split into words by
# hyperfine. HF_WRAP (a word list, e.g. "nsenter -t PID -m") runs
# hyperfine itself under a wrapper. A round in which a command fails is
# logged and its samples are dropped.
interleave()
{
	local series=$1 x=$2 rounds=$3 runs=$4
	shift 4
	local -a names=() cmds=()
	while (($# >= 2)); do
		names+=("$1")
		cmds+=("$2")
		shift 2
	done
	local n=${#names[@]} r k i json=$SCRATCH/hf.$BENCH.json
	local -a wrap
	read -ra wrap <<<"${HF_WRAP:-}"
	for ((r = 0; r < rounds; r++)); do
		for ((k = 0; k < n; k++)); do
			i=$(((k + r) % n))
			if "${wrap[@]}" hyperfine -N -w 1 -r "$runs" --style none \
				--export-json "$json" -- "${cmds[i]}" >/dev/null 2>"$json.err"; then
				hf_append "$json" "$series" "${names[i]}" "$x"
			else
				log "round $r: ${names[i]} failed: $(tail -n 1 "$json.err")"
			fi
		done
	done
	rm -f "$json" "$json.err"
}

# meminfo KEY - a /proc/meminfo field in KiB
meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }

# tree_tarball NFILES - print the path of a tarball of NFILES small files
# (0-2 KiB, 100 per dir), made once per run in the scratch dir.
tree_tarball()
{
	local n=$1 tarball=$SCRATCH/tree-$1.tar src=$SCRATCH/tree-$1.src
	if [[ ! -f $tarball ]]; then
		log "making $tarball"
		python3 - "$src" "$n" <<-'PY' || return 1
		import os, sys
		root, n = sys.argv[1], int(sys.argv[2])
		for i in range(n):
		    d = os.path.join(root, f"d{i // 10000:02}", f"e{i // 100 % 100:02}")
		    if i % 100 == 0:
		        os.makedirs(d, exist_ok=True)
		    with open(os.path.join(d, f"f{i % 100:02}.txt"), "wb") as f:
		        f.write(b"x" * (i * 97 % 2048))
		PY
		tar -cf "$tarball.tmp" -C "$src" . && mv "$tarball.tmp" "$tarball" && rm -rf "$src" || return 1
	fi
	printf '%s\n' "$tarball"
}

# files_rounds WORK TARBALL ROUNDS WHO... - the file-heavy job
# (files-job.sh: extract TARBALL, find, du, rm on a fresh ext4 in WORK) for
# each contender WHO, ROUNDS times, the order rotated every round; its
# phases' times are the samples of the series total, extract, find, du
# and rm. A contender that fails in the first round is skipped, saying why.
files_rounds()
{
	local work=$1 tarball=$2 rounds=$3 r k who out phase ms
	shift 3
	local order=("$@")
	for ((r = 0; r < rounds; r++)); do
		for ((k = 0; k < ${#order[@]}; k++)); do
			who=${order[(k + r) % ${#order[@]}]}
			if ! out=$(unshare -m --propagation private -- \
				"$BENCH_DIR/files-job.sh" "$who" "$tarball" "$work/fs.img" "$work/mnt" </dev/null 2>&1); then
				log "$who failed: $out"
				((r == 0)) && skip total "$who" "failed here: $(tail -n 1 <<<"$out")"
				continue
			fi
			while read -r phase ms; do
				[[ $phase =~ ^(total|extract|find|du|rm)$ ]] &&
					sample "$phase" "$who" "" "$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')"
			done <<<"$out"
		done
	done
}

# fs_desc DIR - "ext4 on /dev/vda, no journal" and the like, for notes
fs_desc()
{
	local src type
	read -r src type < <(findmnt -no SOURCE,FSTYPE -T "$1")
	if [[ $type == ext4 ]]; then
		if compgen -G "/proc/fs/jbd2/${src##*/}-*" >/dev/null; then
			printf '%s on %s, with a journal\n' "$type" "$src"
		else
			printf '%s on %s, no journal\n' "$type" "$src"
		fi
	else
		printf '%s on %s\n' "$type" "$src"
	fi
}
