#!/bin/sh
# manpage.sh FORECAST — writes forecast(1) in roff on stdout, generated from
# the binary's own help texts (forecast --help and forecast help COMMAND),
# so the man page says what the binary does. make install runs it.
set -eu
bin=${1:?usage: scripts/manpage.sh path/to/forecast}
version=$("$bin" --version | head -1 | cut -d' ' -f2)

# roff-safe text: a backslash doubled, a leading dot or quote escaped
esc() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

{
cat <<HEAD
.TH FORECAST 1 "" "forecast $version" "User Commands"
.SH NAME
forecast \\- train, evaluate and package forecasting models for panel data
.SH SYNOPSIS
.B forecast
[\\-\\-version] [\\-\\-help]
.I command
[\\fIargs\\fR]
.SH DESCRIPTION
HEAD
"$bin" --help | esc | awk '
    /^commands:/ { print ".SH COMMANDS"; list = 1; next }
    list && /^  [a-z]/ { name = $1; sub(/^  [a-z-]+ +/, ""); print ".TP\n.B " name "\n" $0; next }
    list && /^$/ { list = 0; print ".PP"; next }
    /^usage:/ { next }
    /^$/ { print ".PP"; next }
    { print }'
for cmd in $("$bin" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }'); do
    echo ".SH \"FORECAST $(echo "$cmd" | tr a-z A-Z)\""
    "$bin" help "$cmd" | esc | awk '
        /^usage: / { sub(/^usage: /, ""); print ".nf\n" $0 "\n.fi\n.PP"; next }
        /^options:/ { opts = 1; print ".PP\nOptions:"; next }
        opts && /^  -/ {
            # "  --name ARG   text": the option in bold, its text indented
            line = $0; sub(/^  /, "", line)
            n = match(line, /   +/)
            if (n) { o = substr(line, 1, n - 1); t = substr(line, n); sub(/^ +/, "", t) }
            else { o = line; t = "" }
            gsub(/-/, "\\-", o)
            print ".TP\n.B " o "\n" t; next }
        /^$/ { print ".PP"; next }
        { print }'
done
cat <<'TAIL'
.SH FILES
.TP
.B config/default.json
the config read when \-\-config is not given, relative to the working
directory; examples are installed under share/forecast/config.
.TP
.B runs/<id>/
a run directory: run.json, report.md, report.html and one directory per model
and strategy.
.SH EXIT STATUS
0 done; 1 failed while running; 2 bad input (nothing written); 3 done, but
some series failed to train.
.SH SEE ALSO
The README of the forecast repository documents the config schema, the data
schema and the output layout.
TAIL
} | awk '
    # no paragraph break right after a heading or another break
    $0 == ".PP" && (prev == ".PP" || prev ~ /^\.SH/) { next }
    { print; prev = $0 }'
