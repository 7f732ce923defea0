# bash completion for blockwatch(8)                                -*- shell-script -*-
# Options follow user/cli.c (tests/integration/test_install.sh compares them with --help).

# Pids for -p; in a comma list, the pid after the last comma.
_blockwatch_pids()
{
	local cur=$1 head='' last pids
	if [[ $cur == *,* ]]; then
		head=${cur%,*},
		last=${cur##*,}
	else
		last=$cur
	fi
	pids=$(command ps -e -o pid= 2>/dev/null) || return
	COMPREPLY=($(compgen -P "$head" -W "$pids" -- "$last"))
}

_blockwatch()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion -s || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
	fi

	case $prev in
	-p | --pid)
		_blockwatch_pids "$cur"
		return
		;;
	--comm)
		COMPREPLY=($(compgen -W "$(command ps -e -o comm= 2>/dev/null | sort -u)" -- "$cur"))
		return
		;;
	--cgroup)
		COMPREPLY=($(compgen -d -- "${cur:-/sys/fs/cgroup/}"))
		return
		;;
	-o | --output | --textfile | --pprof | -f | --folded | --flamegraph)
		if declare -F _filedir >/dev/null; then
			_filedir
		else
			COMPREPLY=($(compgen -f -- "$cur"))
		fi
		return
		;;
	--prom)
		COMPREPLY=($(compgen -W "127.0.0.1:9464 [::1]:9464 :9464" -- "$cur"))
		return
		;;
	-i | --interval | -d | --duration | -c | --count | -n | --top | --sample | \
		--max-sleepers | --max-sites | --max-stacks | --history | --window | --prom-top)
		return # a number
		;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W '-p --pid --comm --cgroup -i --interval -d --duration -c --count -j --json
			-o --output -n --top -s --stacks -K --kernel-stacks --no-goroutines -D --detail
			--sample --max-sleepers --max-sites --max-stacks --history --window --no-tui
			--runtime-threads --prom --prom-top --textfile --pprof -f --folded --folded-waits --flamegraph
			-v --verbose -h --help -V --version' -- "$cur"))
	fi
} &&
	complete -F _blockwatch blockwatch

# ex: filetype=sh
