#!/usr/bin/env bash
# make install into scratch roots, then each installed piece is used as its consumer would:
# the binary runs (--version), man renders the page without a warning and finds it by name,
# bash (through bash-completion's own loader) and zsh (a real completion in a pty) complete
# options, pids and names, the systemd unit passes systemd-analyze verify and keeps its
# hardening. The options of --help, the man page and both completions must be the same set,
# and the man page's exit statuses those of user/cli.h. make uninstall removes what install put.
. "$(dirname "$0")/lib.sh"
for tool in man groff zsh systemd-analyze python3; do
	command -v "$tool" >/dev/null || skip "needs $tool (scripts/install-deps.sh)"
done
[ -r /usr/share/bash-completion/bash_completion ] || skip "needs bash-completion (scripts/install-deps.sh)"
cd "$BW_ROOT"
version=$(cat VERSION)
root=$BW_TMP/root

# ---- make install DESTDIR=... PREFIX=/usr: the Debian layout ----
make --no-print-directory -s install DESTDIR="$root" PREFIX=/usr >"$BW_TMP/install.log" 2>&1 ||
	fail "make install failed: $(tail -5 "$BW_TMP/install.log")"
expect_file() { # PATH MODE
	[ -f "$root$1" ] || fail "make install did not install $1"
	[ "$(stat -c %a "$root$1")" = "$2" ] || fail "$1 has mode $(stat -c %a "$root$1"), expected $2"
}
expect_file /usr/sbin/blockwatch 755
expect_file /usr/share/man/man8/blockwatch.8 644
expect_file /usr/share/bash-completion/completions/blockwatch 644
expect_file /usr/share/zsh/vendor-completions/_blockwatch 644
expect_file /usr/lib/systemd/system/blockwatch.service 644
expect_file /etc/default/blockwatch 644
extra=$(cd "$root" && find . -type f | sort | grep -vxF -e ./usr/sbin/blockwatch \
	-e ./usr/share/man/man8/blockwatch.8 -e ./usr/share/bash-completion/completions/blockwatch \
	-e ./usr/share/zsh/vendor-completions/_blockwatch -e ./usr/lib/systemd/system/blockwatch.service \
	-e ./etc/default/blockwatch || true)
[ -z "$extra" ] || fail "make install installed unexpected files: $extra"

# the installed binary runs
got=$("$root/usr/sbin/blockwatch" --version) || fail "installed blockwatch --version failed"
[ "$got" = "blockwatch $version" ] || fail "installed blockwatch --version says '$got', expected 'blockwatch $version'"
"$root/usr/sbin/blockwatch" --help >"$BW_TMP/help.txt" || fail "installed blockwatch --help failed"
echo "installed: $got; --help is $(wc -l <"$BW_TMP/help.txt") lines"

# ---- the man page ----
page=$root/usr/share/man/man8/blockwatch.8
warn=$(groff -man -ww -z "$page" 2>&1) || fail "groff failed on the man page: $warn"
[ -z "$warn" ] || fail "groff warns about the man page: $warn"
warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >"$BW_TMP/man.txt") ||
	fail "man -l failed: $warn"
[ -z "$warn" ] || fail "man --warnings -l warns: $warn"
found=$(MANPATH=$root/usr/share/man man -w blockwatch) || fail "man -w blockwatch does not find the page"
[ "$found" = "$page" ] || fail "man -w blockwatch found '$found', expected '$page'"
for section in NAME SYNOPSIS DESCRIPTION OPTIONS OUTPUT "EXIT STATUS" EXAMPLES FILES "SEE ALSO"; do
	grep -q "^$section\$" "$BW_TMP/man.txt" || fail "the man page has no $section section"
done
grep -q "^\.TH BLOCKWATCH 8 .*\"blockwatch $version\"" "$page" ||
	fail "the man page's .TH does not name version $version: $(grep '^\.TH' "$page")"
echo "man: $(wc -l <"$BW_TMP/man.txt") lines rendered, no warning"

# ---- one set of options: --help, the man page, bash and zsh completion ----
bash_complete() { # WORDS...: the completions bash offers for the last word
	bash --norc --noprofile -c '
		source /usr/share/bash-completion/bash_completion
		XDG_DATA_DIRS=$1 BASH_COMPLETION_USER_DIR=/nonexistent __load_completion blockwatch ||
			{ echo "bash-completion did not load a completion for blockwatch" >&2; exit 1; }
		shift
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_blockwatch blockwatch "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"' _ "$root/usr/share" blockwatch "$@"
}
cat >"$BW_TMP/zcomp.zsh" <<'EOF'
# zsh -f zcomp.zsh FPATH_DIR LINE: the matches zsh's completion system offers at the end of
# LINE, typed into an interactive zsh in a pty; compadd is wrapped to print what it adds.
zmodload zsh/zpty || exit 1
zpty z zsh -f -i
zpty -w z "PS1=''; fpath=($1 \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z "bindkey '^I' complete-word"
zpty -w z 'compadd() { if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi; local -a h; builtin compadd -A h "$@"; (( $#h )) && print -rl -- "HI""T:"${^h}; builtin compadd "$@"; }'
zpty -w z 'comppostfuncs=(__bw_done); __bw_done() { print -r -- "DONE""-MARK"; exit }'
zpty -n -w z "$2"$'\t'
out=
while zpty -r z line; do
	out+=$line
	[[ $line == *DONE-MARK* ]] && break
done
print -r -- "$out" | tr '\r' '\n' | grep -ao 'HIT:.*' | sed 's/^HIT://' | sort -u
EOF
zsh_complete() { # LINE
	timeout 20 zsh -f "$BW_TMP/zcomp.zsh" "$root/usr/share/zsh/vendor-completions" "$1" ||
		fail "zsh completion of '$1' failed or hung"
}
zsh -n "$root/usr/share/zsh/vendor-completions/_blockwatch" || fail "zsh cannot parse _blockwatch"
bash_complete - >"$BW_TMP/bash-opts" || fail "bash completion of '-' failed"
zsh_complete 'blockwatch -' >"$BW_TMP/zsh-opts"
python3 - "$BW_TMP" "$page" user/cli.h <<'PY' || fail "the options or exit statuses disagree"
import re, sys
tmp, page, cli_h = sys.argv[1:4]
helps = set()
for line in open(tmp + "/help.txt"):
    m = re.match(r"^\s+((?:-\w, )?--[\w-]+)", line)
    if m:
        helps.update(o for o in re.split(r",\s*", m.group(1)))
roff = open(page).read().replace("\\-", "-")
missing_man = {o for o in helps if not re.search(r"(?<![\w-])" + re.escape(o) + r"(?![\w-])", roff)}
bash = set(open(tmp + "/bash-opts").read().split())
zsh = set(open(tmp + "/zsh-opts").read().split())
errs = []
for name, got in (("bash completion", bash), ("zsh completion", zsh)):
    if helps - got:
        errs.append("%s lacks %s" % (name, sorted(helps - got)))
    if got - helps:
        errs.append("%s offers options --help does not know: %s" % (name, sorted(got - helps)))
if missing_man:
    errs.append("the man page does not describe %s" % sorted(missing_man))
# every exit status of user/cli.h is in EXIT STATUS, and no other
codes = {int(v) for v in re.findall(r"BW_EXIT_\w+\s*=\s*(\d+)", open(cli_h).read())}
sec = roff.split(".SH EXIT STATUS", 1)[1].split(".SH ", 1)[0]
man_codes = {int(v) for v in re.findall(r"^\.B (\d+)$", sec, re.M)}
if codes != man_codes:
    errs.append("exit statuses: user/cli.h has %s, the man page %s" % (sorted(codes), sorted(man_codes)))
if errs:
    sys.exit("FAIL: " + "\n      ".join(errs))
print("options: %d in --help, all in the man page, bash and zsh completion; exit statuses %s"
      % (len(helps), sorted(codes)))
PY

# ---- completion of values: pids (also after a comma), process names, files, addresses ----
spawn sleep 600
pid=$!
name_prefix=sle
has() { grep -qxF -- "$2" <<<"$1" || fail "$3: '$2' is not among: $(head -c 300 <<<"$1" | tr '\n' ' ')"; }
has "$(bash_complete --pro)" --prom "bash: --pro"
has "$(bash_complete --pro)" --prom-top "bash: --pro"
has "$(bash_complete -p "${pid:0:2}")" "$pid" "bash: -p ${pid:0:2}"
has "$(bash_complete -p "1,${pid:0:2}")" "1,$pid" "bash: -p 1,${pid:0:2}"
has "$(bash_complete --comm "$name_prefix")" sleep "bash: --comm $name_prefix"
has "$(bash_complete -o /et)" /etc "bash: -o /et"
has "$(bash_complete --prom 127)" 127.0.0.1:9464 "bash: --prom 127"
[ -z "$(bash_complete -i 1)" ] || fail "bash completes a number after -i"
# plain bash without bash-completion: sourcing the file defines the completion
out=$(bash --norc --noprofile -c "source '$root/usr/share/bash-completion/completions/blockwatch'; complete -p blockwatch") ||
	fail "the bash completion file does not load in plain bash"
[ "$out" = "complete -F _blockwatch blockwatch" ] || fail "plain bash: '$out'"
has "$(zsh_complete 'blockwatch --pro')" --prom-top "zsh: --pro"
has "$(zsh_complete "blockwatch -p ${pid:0:2}")" "$pid" "zsh: -p ${pid:0:2}"
has "$(zsh_complete "blockwatch --comm $name_prefix")" sleep "zsh: --comm $name_prefix"
# -p excludes the system-wide filters
zsh_complete 'blockwatch -p 1 --c' | grep -qx -- --comm && fail "zsh offers --comm after -p"
echo "completion: options, pids, comma lists, names, files and addresses in bash and zsh"

# ---- the systemd unit ----
unit=$root/usr/lib/systemd/system/blockwatch.service
grep -q '^ExecStart=/usr/sbin/blockwatch ' "$unit" || fail "the unit does not run /usr/sbin/blockwatch: $(grep ExecStart "$unit")"
# a prefix install (no DESTDIR) names a binary that exists, so verify can check it all
prefix=$BW_TMP/prefix
make --no-print-directory -s install PREFIX="$prefix" SYSCONFDIR="$prefix/etc" >>"$BW_TMP/install.log" 2>&1 ||
	fail "make install PREFIX=$prefix failed"
[ -f "$prefix/share/zsh/site-functions/_blockwatch" ] || fail "a non-/usr prefix must use zsh's site-functions"
grep -q "^ExecStart=$prefix/sbin/blockwatch " "$prefix/lib/systemd/system/blockwatch.service" ||
	fail "the unit does not name the installed binary $prefix/sbin/blockwatch"
out=$(MANPATH=$prefix/share/man systemd-analyze verify "$prefix/lib/systemd/system/blockwatch.service" 2>&1) ||
	fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify complains: $out"
# and the check fails when the binary is not there
rm "$prefix/sbin/blockwatch"
MANPATH=$prefix/share/man systemd-analyze verify "$prefix/lib/systemd/system/blockwatch.service" >/dev/null 2>&1 &&
	fail "systemd-analyze verify passes a unit whose binary is missing: the check proves nothing"
exposure=$(systemd-analyze security --offline=yes "$unit" 2>/dev/null | sed -n 's/.*Overall exposure level for blockwatch.service: \([0-9.]*\).*/\1/p')
[ -n "$exposure" ] || fail "systemd-analyze security gave no exposure level"
python3 -c "import sys; sys.exit(0 if float('$exposure') <= 3.0 else 1)" ||
	fail "the unit's exposure level is $exposure (> 3.0): hardening was lost"
echo "systemd: verify clean, exposure $exposure"

# ---- install keeps the admin's settings; uninstall removes the rest ----
echo 'BLOCKWATCH_LISTEN=127.0.0.1:9999' >>"$root/etc/default/blockwatch"
make --no-print-directory -s install DESTDIR="$root" PREFIX=/usr >>"$BW_TMP/install.log" 2>&1 || fail "second make install failed"
grep -q 9999 "$root/etc/default/blockwatch" || fail "make install overwrote /etc/default/blockwatch"
make --no-print-directory -s uninstall DESTDIR="$root" PREFIX=/usr >>"$BW_TMP/install.log" 2>&1 || fail "make uninstall failed"
left=$(cd "$root" && find . -type f)
[ "$left" = ./etc/default/blockwatch ] || fail "after make uninstall: $(tr '\n' ' ' <<<"$left") (expected only ./etc/default/blockwatch)"
echo ok
