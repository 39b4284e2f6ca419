#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# docs.bats - the man pages and the completion keep up with the command:
# every command of `fvm --help` has a page, every long option of every
# `fvm CMD --help` is in that page, every field `fvm inspect` prints is in
# fvm-inspect(1), and the bash and zsh completions offer the commands, a command's
# options and the VM names. Commands are read from `fvm --help`, so a new
# command is covered when it is added.

load helpers

# scripts/test copies doc/*.scd and README.md here, and installs the build
# (meson install --destdir) in FVM_TEST_DESTDIR: the completion is tested
# where meson install put it
DOC=${FVM_TEST_DOC:-$BATS_TEST_DIRNAME/../../doc}
README=$DOC/README.md
[[ -f $README ]] || README=$BATS_TEST_DIRNAME/../../README.md
COMPLETION=
ZSH_COMPLETION=
if [[ -n ${FVM_TEST_DESTDIR-} ]]; then
	COMPLETION=$(find "$FVM_TEST_DESTDIR" -path '*/share/bash-completion/completions/fvm' -type f 2>/dev/null | head -1)
	ZSH_COMPLETION=$(find "$FVM_TEST_DESTDIR" -path '*/share/zsh/site-functions/_fvm' -type f 2>/dev/null | head -1)
else
	COMPLETION=$BATS_TEST_DIRNAME/../../completion/fvm.bash
	ZSH_COMPLETION=$BATS_TEST_DIRNAME/../../completion/_fvm
fi

fvm_commands() {
	"$FVM" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }'
}

# long options of one command's --help: those that start an option line
help_options() {
	"$FVM" "$1" --help | grep -oE '^ +(-[a-zA-Z], )?--[a-z][a-z0-9-]*' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

# the page that documents command $1: fvm-$1.1.scd, or a page whose NAME
# line lists fvm-$1 among the commands it covers
man_page_of() {
	local f
	if [[ -f $DOC/fvm-$1.1.scd ]]; then
		echo "fvm-$1.1.scd"
		return
	fi
	for f in "$DOC"/fvm-*.1.scd; do
		awk '/^# NAME/ { on = 1; next } on && /^# / { exit } on' "$f" | grep -qE "(^|[ ,])fvm-$1([ ,]|$)" &&
			{ basename "$f"; return; }
	done
}

@test "docs: every command has a man page, and every option of its --help is in it" {
	local c o page missing=() n=0
	mapfile -t cmds < <(fvm_commands)
	((${#cmds[@]} >= 15)) || { echo "too few commands read from fvm --help: ${cmds[*]}" >&2; return 1; }
	for c in "${cmds[@]}"; do
		page=$(man_page_of "$c")
		[[ -n $page ]] || { missing+=("fvm-$c.1.scd (no page, and no page names fvm-$c)"); continue; }
		grep -qF "$page" "$DOC/meson.build" || missing+=("$page not in doc/meson.build")
		[[ $page == "fvm-$c.1.scd" ]] || grep -qF "'fvm-$c.1', '${page%.scd}'" "$DOC/meson.build" ||
			missing+=("fvm-$c.1: no man page link to $page in doc/meson.build")
		for o in $(help_options "$c"); do
			n=$((n + 1))
			grep -qF -- "*$o*" "$DOC/$page" || missing+=("fvm $c $o")
		done
	done
	((n >= 60)) || { echo "only $n options read: the --help parsing broke" >&2; return 1; }
	((${#missing[@]} == 0)) || { printf 'not in the man page: %s\n' "${missing[@]}" >&2; return 1; }
}

@test "docs: every field of fvm inspect is in fvm-inspect(1)" {
	fvm create web 2>/dev/null
	local k missing=()
	for k in $(fvm inspect web | jq -r '.[0] | paths | map(tostring) | .[-1]' | grep -v '^[0-9]*$' | sort -u); do
		grep -qF -- "*${k//_/\\_}*" "$DOC/fvm-inspect.1.scd" || missing+=("$k")
	done
	((${#missing[@]} == 0)) || { printf 'inspect field not in fvm-inspect(1): %s\n' "${missing[@]}" >&2; return 1; }
}

@test "docs: no example installs packages in a VM made with the default --net none without saying why" {
	local f
	for f in "$DOC"/*.scd "$README"; do
		# an apt-get install example needs --net host (or private) on the VM it runs in
		if grep -n 'apt-get install' "$f" | grep -v 'net' >/dev/null; then
			grep -qE -- '--net (host|private)' "$f" || { echo "$f: apt-get install without a network" >&2; return 1; }
		fi
	done
}

# complete WORDS...: what the bash completion offers for the command line WORDS (the last may be "")
complete_words() {
	FVM_BIN=$FVM bash -c '
		source "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_fvm; printf "%s\n" "${COMPREPLY[@]}"' _ "$COMPLETION" "$@"
}

# assert_commands_offered COMPLETE: COMPLETE (complete_words, zsh_complete)
# offers every command of `fvm --help` after "fvm "
assert_commands_offered() {
	local c out
	out=$("$1" fvm "") || { echo "$1 failed: $out" >&2; return 1; }
	for c in $(fvm_commands); do
		assert_contains "$out" "$c" "command $c offered by $1"
	done
}

@test "completion: commands, each command's options (from its --help) and VM names" {
	[[ -f $COMPLETION ]] || { echo "no completion installed (FVM_TEST_DESTDIR=${FVM_TEST_DESTDIR-})" >&2; return 1; }
	assert_commands_offered complete_words
	run -0 complete_words fvm st
	assert_eq "$(sort <<<"$output" | tr '\n' ' ')" "start stats stop "
	run -0 complete_words fvm run --me
	assert_eq "$output" "--memory"
	run -0 complete_words fvm commit --
	assert_contains "$output" "--dry-run"
	assert_contains "$output" "--allow-setid"
	fvm create web 2>/dev/null
	fvm create worker 2>/dev/null
	run -0 complete_words fvm stop w    # the store of $FVM_HOME, as fvm uses
	assert_eq "$(sort <<<"$output" | tr '\n' ' ')" "web worker "
	# after "--", the VM's command: no VM names, no fvm options
	run -0 complete_words fvm run web -- --me
	assert_not_contains "$output" "--memory"
}

# zsh_complete WORDS...: what the zsh completion offers for WORDS (the last
# may be ""), each on a line: compinit loads _fvm from its directory and
# registers it for fvm; then _fvm runs with compadd and _files recording
# what they are given (zsh filters by the prefix itself, so every
# candidate is listed; _files prints "<files>").
zsh_complete() {
	HOME=$TEST_ROOT ZDOTDIR=$TEST_ROOT FVM_BIN=$FVM zsh -f -c '
		dir=$1; shift
		fpath=($dir $fpath)
		autoload -Uz compinit && compinit -u -D
		[[ $_comps[fvm] == _fvm ]] || { print "compinit did not register _fvm for fvm: $_comps[fvm]"; exit 1; }
		compadd() { [[ $1 == -a ]] && { print -l -- ${(P)2}; return }; [[ $1 == -- ]] && shift; print -l -- "$@" }
		_files() { print "<files>" }
		words=("$@"); CURRENT=$#
		autoload -Uz _fvm && _fvm' _ "$(dirname "$ZSH_COMPLETION")" "$@"
}

@test "completion: zsh loads _fvm and completes commands, options (from --help), option values and VM names" {
	command -v zsh >/dev/null || skip "zsh is not installed"
	[[ -f $ZSH_COMPLETION ]] || { echo "no zsh completion installed (FVM_TEST_DESTDIR=${FVM_TEST_DESTDIR-})" >&2; return 1; }
	assert_commands_offered zsh_complete
	run -0 zsh_complete fvm run --me
	assert_contains "$output" "--memory"
	assert_contains "$output" "--net"
	run -0 zsh_complete fvm commit --
	assert_contains "$output" "--dry-run"
	assert_not_contains "$output" "--memory"
	run -0 zsh_complete fvm run --net ""
	assert_eq "$output" $'none\nhost\nprivate'
	fvm create web 2>/dev/null
	fvm create worker 2>/dev/null
	run -0 zsh_complete fvm stop w
	assert_eq "$(sort <<<"$output" | tr '\n' ' ')" "web worker "
	run -0 zsh_complete fvm create n
	assert_eq "$output" ""
	# after "--", the VM's command: files only
	run -0 zsh_complete fvm run web -- --me
	assert_eq "$output" "<files>"
}

@test "completion: installed by meson install where bash-completion looks for it, as 'fvm'" {
	[[ -n ${FVM_TEST_DESTDIR-} ]] || skip "not run by scripts/test: no install to look at"
	[[ $COMPLETION == */share/bash-completion/completions/fvm ]] ||
		{ echo "completion not found in $FVM_TEST_DESTDIR" >&2; return 1; }
	bash -n "$COMPLETION"
	[[ $ZSH_COMPLETION == */share/zsh/site-functions/_fvm ]] ||
		{ echo "zsh completion not found in $FVM_TEST_DESTDIR" >&2; return 1; }
}
