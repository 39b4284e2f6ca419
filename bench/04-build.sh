#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/04-build.sh - a real build inside a VM against the same build on the
# host: `meson setup` + `ninja` of fvm itself into a clean build dir, the
# source read from the repository (a lower layer inside the VM), the build
# dir written to the VM's layer. Host and VM take turns, round by round.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"

title "A real build: meson setup + ninja of fvm, in a VM and on the host"
series build bars s "clean build of fvm (meson setup + ninja)"
ratio build fvm host 1.03

rounds=10
((QUICK)) && rounds=2

home=$(fresh_home build)
trap 'drop_home "$home"' EXIT
export FVM_HOME=$home
"$FVM" create bld >/dev/null
dir=$SCRATCH/build
mkdir -p "$dir"
job="meson setup $dir/b $REPO >/dev/null && ninja -C $dir/b >/dev/null"

declare -A failed
log "$rounds rounds"
# round -1 (not with --quick) is an untimed warm-up of both
for ((r = QUICK ? 0 : -1; r < rounds; r++)); do
	order=(host fvm)
	((r % 2)) && order=(fvm host)
	for who in "${order[@]}"; do
		sync
		s=$(now_ms)
		if [[ $who == host ]]; then
			cmd=(sh -c "$job")
		else
			cmd=("$FVM" run bld -- sh -c "$job")
		fi
		if out=$("${cmd[@]}" 2>&1 </dev/null); then
			ms=$(elapsed_ms "$s")
			((r < 0)) || sample build "$who" "" "$(awk -v m="$ms" 'BEGIN { printf "%.4f", m / 1000 }')"
		elif [[ -z ${failed[$who]:-} ]]; then
			failed[$who]=1
			skip build "$who" "the build failed here (round $r): $(tail -n 2 <<<"$out" | tr '\n' ' ')"
		fi
		if [[ $who == host ]]; then
			rm -rf "$dir/b"
		else
			"$FVM" run bld -- rm -rf "$dir/b"
		fi
	done
done
note "Source: $REPO at $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?'); \`ninja\` picks its own -j ($(nproc) CPUs). The VM's time includes booting and stopping it (one \`fvm run\`)."
