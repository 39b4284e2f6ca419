# SPDX-License-Identifier: LGPL-2.1-or-later
# bash completion for fvm: commands, options and VM names.
#
# Nothing is listed here by hand: the commands come from `fvm --help`, a
# command's options from `fvm COMMAND --help`, the VM names from
# `fvm ls -q` (the store of $FVM_HOME, as fvm itself uses), so a new
# command or option is completed as soon as fvm has it. After "--" the
# words are the VM's command's: only file names are offered.

_fvm_bin() {
	printf '%s' "${FVM_BIN:-fvm}"
}

_fvm() {
	local cur=${COMP_WORDS[COMP_CWORD]} bin cmd="" i
	bin=$(_fvm_bin)
	COMPREPLY=()
	for ((i = 1; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} == -- ]]; then
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
			return 0
		fi
		if [[ -z $cmd && ${COMP_WORDS[i]} != -* ]]; then
			cmd=${COMP_WORDS[i]}
		fi
	done
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--help --version" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$("$bin" --help 2>/dev/null |
				awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }') help" -- "$cur")
		fi
		return 0
	fi
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$("$bin" "$cmd" --help 2>/dev/null |
			grep -oE '^ +(-[a-zA-Z], )?--[a-z][a-z0-9-]*' | grep -oE -- '-[-a-zA-Z][a-z0-9-]*')" -- "$cur")
		return 0
	fi
	case ${COMP_WORDS[COMP_CWORD - 1]} in
	--hide|--ro|--share|--private|--cow|-w|--workdir)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return 0 ;;
	--net) mapfile -t COMPREPLY < <(compgen -W "none host private" -- "$cur"); return 0 ;;
	--profile) mapfile -t COMPREPLY < <(compgen -W "default untrusted browser" -- "$cur"); return 0 ;;
	--gui) mapfile -t COMPREPLY < <(compgen -W "x11 x11-host wayland none" -- "$cur"); return 0 ;;
	--clipboard) mapfile -t COMPREPLY < <(compgen -W "on off" -- "$cur"); return 0 ;;
	--sound) mapfile -t COMPREPLY < <(compgen -W "pulse none" -- "$cur"); return 0 ;;
	--dbus-talk) mapfile -t COMPREPLY < <(compgen -W "none org.freedesktop.Notifications org.freedesktop.portal.Desktop" -- "$cur"); return 0 ;;
	--device|--device-any) mapfile -t COMPREPLY < <(compgen -f -- "${cur:-/dev/}"); return 0 ;;
	--ids) mapfile -t COMPREPLY < <(compgen -W "single sub auto" -- "$cur"); return 0 ;;
	--restart) mapfile -t COMPREPLY < <(compgen -W "no on-failure" -- "$cur"); return 0 ;;
	esac
	case $cmd in
	create|help) return 0 ;;   # a new name, or a command
	*) mapfile -t COMPREPLY < <(compgen -W "$("$bin" ls -q 2>/dev/null)" -- "$cur") ;;
	esac
	return 0
}

complete -F _fvm fvm
