#!/bin/bash
# install.sh — make install / make uninstall into a scratch DESTDIR: every
# file where the README says, the man page renders and covers every command,
# bash completion completes commands, options and model names from the
# installed binary, and uninstall leaves no file behind.
set -u
cd "$(dirname "$0")/.."
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

R=$T/root
make -s install DESTDIR="$R" PREFIX=/usr >"$T/log" 2>&1 || { bad "make install"; cat "$T/log" >&2; }
for f in usr/bin/forecast usr/share/man/man1/forecast.1 usr/share/bash-completion/completions/forecast \
    usr/share/forecast/config/default.json usr/share/forecast/config/models/xgboost_standard.json; do
    [ -s "$R/$f" ] && ok || bad "make install wrote $f"
done
[ -x "$R/usr/bin/forecast" ] && "$R/usr/bin/forecast" --version | grep -q "^forecast " \
    && ok || bad "the installed binary runs"
# the man page: valid roff (no warnings), one section per command
if command -v man >/dev/null; then
    MANWIDTH=80 man --warnings -l "$R/usr/share/man/man1/forecast.1" >"$T/man.txt" 2>"$T/man.err"
    [ ! -s "$T/man.err" ] && ok || { bad "the man page renders without warnings"; cat "$T/man.err" >&2; }
    for c in $(./forecast --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }'); do
        grep -q "^FORECAST $(echo "$c" | tr a-z A-Z)$" "$T/man.txt" && ok || bad "the man page has a section on $c"
    done
    grep -q -- "--split-date" "$T/man.txt" && ok || bad "the man page lists train's options"
else
    echo "SKIP: man not installed" >&2
fi
# completion, through the installed binary
comp() {
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _forecast; echo "${COMPREPLY[*]}"' \
        _ "$R/usr/share/bash-completion/completions/forecast" "$R/usr/bin/forecast" "$@"
}
[ "$(comp tr)" = "train" ] && ok || bad "completion of a command: '$(comp tr)'"
[ "$(comp train --spl)" = "--split-date" ] && ok || bad "completion of an option: '$(comp train --spl)'"
[ "$(comp train --model xgboost_)" = "xgboost_standard xgboost_quantile" ] \
    && ok || bad "completion of a model name: '$(comp train --model xgboost_)'"
[ "$(comp describe stat)" = "statquant" ] && ok || bad "completion of describe's model"
make -s uninstall DESTDIR="$R" PREFIX=/usr >"$T/log" 2>&1 || { bad "make uninstall"; cat "$T/log" >&2; }
left=$(find "$R" -type f)
[ -z "$left" ] && ok || bad "make uninstall removed every file; left: $left"
echo "install.sh: $pass passed, $fail failed"
[ $fail -eq 0 ]
