#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The documentation cannot drift from the program: compares
#   - the long options of `memleakd --help` (or, when the binary is absent,
#     of src/opts.c's long_options table), of that table itself, of the man
#     page's OPTIONS section and of the README's option table;
#   - the exit codes of src/exitcodes.h with the man page's EXIT STATUS and
#     the README's "Exit codes" table;
#   - the JSON field names src/json.c writes with the man page's "JSON lines"
#     part and the README.
# Prints one "ok - ..." or "not ok - ..." line per option, code and field,
# naming where each is missing or extra, and ends with "N passed, N failed".
#
# Usage: bash tests/docs/check_options.sh [PATH/TO/memleakd]   (default ./memleakd)
set -u
cd "$(dirname "$0")/../.." || exit 1

BIN=${1:-./memleakd}
MAN=${MAN_PAGE:-man/memleakd.8}
README=${README:-README.md}
OPTS_C=src/opts.c
EXITCODES_H=src/exitcodes.h
JSON_C=src/json.c

# Options left out of the comparison, wherever they appear or not.
IGNORED=(
	--floor # bench-only (tools/bench's cost floor); leaving the product
)

passed=0
failed=0
ok() {
	echo "ok - $*"
	passed=$((passed + 1))
}
not_ok() {
	echo "not ok - $*"
	failed=$((failed + 1))
}
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ] && exit 0
	exit 1
}

# --- extractors: each prints one item per line, sorted and unique ---------

drop_ignored() {
	local pattern
	pattern=$(printf '%s\n' "${IGNORED[@]}")
	grep -vxF -e "$pattern" || true
}

# The usage text's option lines ("  -p, --pid PID ..." or "      --json FILE"):
# the first long option of each, not options named in the explanation after it.
help_options() {
	"$BIN" --help 2>/dev/null |
		grep -E '^[[:space:]]+(-[A-Za-z], )?--[a-z]' |
		sed -E 's/^[[:space:]]+(-[A-Za-z], )?(--[a-z][a-z0-9-]*).*/\2/' | sort -u
}

table_options() {
	sed -n '/long_options\[\] = {/,/^};/p' "$OPTS_C" |
		sed -nE 's/^[[:space:]]*\{"([a-z][a-z0-9-]*)",.*/--\1/p' | sort -u
}

# The man page's OPTIONS section: the first long option of each .TP tag.
man_options() {
	sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$MAN" | sed 's/\\-/-/g' |
		awk 'tag { if (match($0, /--[a-z][a-z0-9-]*/)) print substr($0, RSTART, RLENGTH); tag = 0 }
		     /^\.TP/ { tag = 1 }' | sort -u
}

# The README's option table (header "| option | meaning |"): every long
# option in the first column.
readme_options() {
	awk '/^\| option \| meaning \|/ { t = 1; next }
	     t && !/^\|/ { exit }
	     t { gsub(/\\\|/, "/"); split($0, cell, "|"); print cell[2] }' "$README" |
		grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

header_codes() {
	sed -nE 's/^#define[[:space:]]+EXIT_[A-Z_]+[[:space:]]+([0-9]+).*/\1/p' "$EXITCODES_H" | sort -u
}

man_codes() {
	sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$MAN" |
		awk 'tag { if ($0 ~ /^\.B [0-9]+$/) print $2; tag = 0 } /^\.TP/ { tag = 1 }' | sort -u
}

readme_codes() {
	awk '/^## Exit codes/ { s = 1; next } s && /^## / { exit }
	     s && /^\| [0-9]+ \|/ { print $2 }' "$README" | sort -u
}

json_fields() {
	grep -oE '\\"[a-z_]+\\":' "$JSON_C" | sed -E 's/\\"([a-z_]+)\\":/\1/' | sort -u
}

# --- compare ----------------------------------------------------------------

# compare WHAT NAME... -- FILE...: one line per item of the union, naming the
# sources that miss it.
compare() {
	local what=$1 i item line missing present
	shift
	local -a names=() files=()
	while [ "$1" != -- ]; do
		names+=("$1")
		shift
	done
	shift
	files=("$@")
	for item in $(sort -u -V "${files[@]}"); do
		missing=()
		present=()
		for i in "${!files[@]}"; do
			if grep -qxF -- "$item" "${files[$i]}"; then
				present+=("${names[$i]}")
			else
				missing+=("${names[$i]}")
			fi
		done
		if [ ${#missing[@]} = 0 ]; then
			ok "$what $item in ${names[*]}"
		else
			line="$what $item: missing from $(join_by ', ' "${missing[@]}")"
			line+=" (present in $(join_by ', ' "${present[@]}"))"
			not_ok "$line"
		fi
	done
}

join_by() {
	local sep=$1 out=$2
	shift 2
	for x in "$@"; do out+="$sep$x"; done
	echo "$out"
}

# nonempty NAME FILE: an extractor that finds nothing is a failure of its own.
nonempty() {
	if [ -s "$2" ]; then
		ok "$1: $(wc -l <"$2") found"
	else
		not_ok "$1: nothing found (format changed? file missing?)"
	fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for f in "$OPTS_C" "$EXITCODES_H" "$JSON_C" "$MAN" "$README"; do
	[ -r "$f" ] || not_ok "$f is missing"
done

# Options.
names=()
files=()
if [ -x "$BIN" ] && "$BIN" --help >/dev/null 2>&1; then
	help_options | drop_ignored >"$tmp/help"
	nonempty "options of '$BIN --help'" "$tmp/help"
	names+=("--help")
	files+=("$tmp/help")
else
	echo "# $BIN not built (run 'make'): src/opts.c's long_options table stands in for --help"
fi
table_options | drop_ignored >"$tmp/table"
man_options | drop_ignored >"$tmp/man"
readme_options | drop_ignored >"$tmp/readme"
nonempty "options in $OPTS_C's long_options table" "$tmp/table"
nonempty "options in $MAN's OPTIONS" "$tmp/man"
nonempty "options in $README's option table" "$tmp/readme"
names+=("$OPTS_C" "$MAN" "$README")
files+=("$tmp/table" "$tmp/man" "$tmp/readme")
compare option "${names[@]}" -- "${files[@]}"
echo "# ignored: ${IGNORED[*]}"

# Exit codes.
header_codes >"$tmp/codes"
man_codes >"$tmp/man_codes"
readme_codes >"$tmp/readme_codes"
nonempty "exit codes in $EXITCODES_H" "$tmp/codes"
compare "exit code" "$EXITCODES_H" "$MAN" "$README" -- \
	"$tmp/codes" "$tmp/man_codes" "$tmp/readme_codes"

# JSON fields: each name src/json.c writes appears in the man page's
# "JSON lines" part and, between backquotes, in the README's JSON field
# table (header "| field | meaning |").
json_fields >"$tmp/json"
nonempty "JSON fields in $JSON_C" "$tmp/json"
# (in bold: the .B and .BR lines of that part, not its prose)
sed -n '/^\.SS JSON lines/,/^\.S[SH] /p' "$MAN" | grep -E '^\.BR? ' >"$tmp/man_json"
awk '/^\| field \| meaning \|/ { t = 1; next } t && !/^\|/ { exit } t' "$README" >"$tmp/readme_json"
for field in $(cat "$tmp/json"); do
	missing=()
	grep -qw -- "$field" "$tmp/man_json" || missing+=("$MAN (JSON lines)")
	grep -qF -- "\`$field\`" "$tmp/readme_json" || missing+=("$README (JSON field table)")
	if [ ${#missing[@]} = 0 ]; then
		ok "JSON field $field documented in $MAN and $README"
	else
		not_ok "JSON field $field (written by $JSON_C): missing from $(join_by ', ' "${missing[@]}")"
	fi
done

finish
