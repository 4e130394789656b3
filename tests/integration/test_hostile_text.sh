# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Hostile text from the targets (issue 12; audit findings 12, 16, 17, 21):
# comm, paths and symbol names are chosen by the traced processes. Nothing
# memleakd prints may drive a terminal, every file it writes stays valid
# UTF-8 (SVG well-formed, JSON parseable), and UTF-8 names come out intact.
# The --json path refuses files planted by other users without blocking.
# Sourced by tests/integration/run.sh, after lib.sh.

# check_clean_text FILE WHAT: FILE is valid UTF-8 with no control character
# but the newline: no C0, DEL, C1 (raw or encoded), bidi override or isolate.
check_clean_text() {
	local why
	why=$(python3 - "$1" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
try:
    text = data.decode("utf-8")
except UnicodeDecodeError as e:
    print("invalid UTF-8 at byte %d: %r" % (e.start, data[max(0, e.start - 30):e.start + 30]))
    sys.exit()
def unsafe(c):
    o = ord(c)
    return (o < 0x20 and c != "\n") or 0x7f <= o <= 0x9f or 0x202a <= o <= 0x202e or 0x2066 <= o <= 0x2069
for i, c in enumerate(text):
    if unsafe(c):
        print("U+%04X at character %d: %r" % (ord(c), i, text[max(0, i - 40):i + 40]))
        break
PY
)
	[ -z "$why" ] || fail "$2 is not safe text: $why"
}

# The fixtures of the hostile-names run: KIND -> pid.
declare -A HOSTILE_PIDS

start_hostile_fixtures() {
	local kind
	for kind in esc c1 bidi invalid utf8; do
		if [ "$kind" = esc ]; then
			start_fixture evil_comm "$kind" --child
		else
			start_fixture evil_comm "$kind"
		fi
		HOSTILE_PIDS[$kind]=$FIXTURE_PID
		eval "HOSTILE_OUT_$kind=\$FIXTURE_OUT"
	done
}

# Every fixture leaks; then memleakd stops and writes its final outputs.
finish_hostile_run() {
	local kind out
	for kind in "${!HOSTILE_PIDS[@]}"; do
		kill -USR1 "${HOSTILE_PIDS[$kind]}"
	done
	for kind in "${!HOSTILE_PIDS[@]}"; do
		eval "out=\$HOSTILE_OUT_$kind"
		wait_for "$out" '^leaked' 30 || fail "evil_comm $kind did not leak:" "$(cat "$out")"
	done
	sleep 1.5
	kill -INT "$ML_PID"
	wait_exit "$ML_PID" 20 || fail "memleakd did not exit on SIGINT"
	expect_eq "exit code" 0 "$EXIT_CODE" "$(cat -v "$ML_ERR")"
}

# comm with escape sequences, C1, bidi overrides and invalid UTF-8, symbols
# with ESC, C1 and invalid bytes: stderr (at -v, with a child that exits under
# -f) and the report carry none of it; the JSON lines parse and keep the UTF-8
# name and symbol intact; the SVG is well-formed; the folded file is clean text.
test_hostile_names_are_safe() {
	local json="$WORK/hostile.json" svg="$WORK/hostile.svg" folded="$WORK/hostile.folded" check
	start_hostile_fixtures
	start_memleakd -v -f -i 1 --json "$json" --svg "$svg" --folded "$folded" \
		-p "${HOSTILE_PIDS[esc]}" -p "${HOSTILE_PIDS[c1]}" -p "${HOSTILE_PIDS[bidi]}" \
		-p "${HOSTILE_PIDS[invalid]}" -p "${HOSTILE_PIDS[utf8]}"
	finish_hostile_run
	check_clean_text "$ML_ERR" "stderr"
	check_clean_text "$ML_OUT" "the report on stdout"
	check_clean_text "$folded" "the folded file"
	check_clean_text "$json" "the JSON file"
	# What the audit reproduced, now as '?': the names are still recognisable.
	grep -qF "tracing pid ${HOSTILE_PIDS[esc]} (?]2;PWN??[2J) through" "$ML_ERR" ||
		fail "no sanitised 'tracing pid' line for the ESC comm:" "$(cat -v "$ML_ERR")"
	grep -qF "tracing pid ${HOSTILE_PIDS[c1]} (?2J?31mX) through" "$ML_ERR" ||
		fail "no sanitised 'tracing pid' line for the C1 comm:" "$(cat -v "$ML_ERR")"
	grep -qE "^memleakd: pid [0-9]+ \(.*\) exited; its allocations are dropped$" "$ML_ERR" ||
		fail "the child's exit was not reported:" "$(cat -v "$ML_ERR")"
	grep -qF "caf"$'\xc3\xa9'"-"$'\xe5\x90\x8d' "$ML_OUT" ||
		fail "the UTF-8 comm is not intact in the report:" "$(head -20 "$ML_OUT")"
	grep -qF "fuite_caf"$'\xc3\xa9' "$ML_OUT" ||
		fail "the UTF-8 symbol is not intact in the report:" "$(head -40 "$ML_OUT")"
	grep -qF "fuite_caf"$'\xc3\xa9' "$folded" || fail "no UTF-8 symbol in the folded file:" "$(cat "$folded")"
	check=$(python3 - "$json" "${HOSTILE_PIDS[utf8]}" "${HOSTILE_PIDS[invalid]}" "${HOSTILE_PIDS[esc]}" <<'PY'
import json, sys
path, utf8_pid, invalid_pid, esc_pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
objs = [json.loads(line) for line in open(path, encoding="utf-8")]
last = objs[-1]
assert last["final"], "the last line is not the final report"
comms = {t["pid"]: t["comm"] for t in last["targets"]}
assert comms.get(utf8_pid) == "caf\u00e9-\u540d", "UTF-8 comm: %r" % comms.get(utf8_pid)
assert comms.get(invalid_pid) == "bad\ufffd\ufffd\ufffd(", "invalid comm: %r" % comms.get(invalid_pid)
assert comms.get(esc_pid) == "\x1b]2;PWN\x07\x1b[2J", "ESC comm not kept as escapes: %r" % comms.get(esc_pid)
symbols = {f["symbol"] for s in last["stacks"] for f in s["frames"] if f["symbol"]}
assert "fuite_caf\u00e9" in symbols, "no UTF-8 symbol among %r" % sorted(symbols)[:20]
evil = [s for s in symbols if s.startswith("evil_sym_")]
assert evil == ["evil_sym_\ufffd\ufffd\ufffd(\x1b[2J\x9b"], "hostile symbol: %r" % evil
print("ok")
PY
)
	[ "$check" = ok ] || fail "JSON check failed: $check"
	if command -v xmllint >/dev/null; then
		check=$(xmllint --noout "$svg" 2>&1) || fail "xmllint rejects the SVG:" "$check"
	fi
	check=$(python3 - "$svg" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = "{http://www.w3.org/2000/svg}"
titles = [t.text for t in ET.parse(sys.argv[1]).getroot().iter(ns + "title") if t.text]
assert any(t.startswith("fuite_caf\u00e9 ") for t in titles), "no box titled fuite_caf\u00e9"
assert any(t.startswith("evil_sym_\ufffd\ufffd\ufffd(?[2J? ") for t in titles), \
    "no box for the hostile symbol: %r" % [t for t in titles if "evil" in t]
print("ok")
PY
)
	[ "$check" = ok ] || fail "SVG check failed: $check"
}

# expect_json_refused PATH REGEX: memleakd -p (a fixture) --json PATH exits 6
# (EXIT_OUTPUT) within the timeout, saying REGEX, before attaching anything.
expect_json_refused() {
	start_fixture leaker malloc 1
	expect_error 6 "$2" -p "$FIXTURE_PID" -i 1 -d 2 --json "$1"
	grep -q "tracing pid" "$WORK"/err.* && fail "memleakd attached before refusing --json $1"
	return 0
}

# A FIFO planted at the --json path (by anyone) is refused at once, not waited on.
test_json_refuses_fifo() {
	local dir="$WORK/sticky-fifo"
	mkdir -m 1777 "$dir" || fail "cannot make $dir"
	mkfifo "$dir/leaks.json"
	chown nobody "$dir/leaks.json"
	expect_json_refused "$dir/leaks.json" "cannot open --json file .*FIFO nobody reads"
	# With a reader holding it open, the open succeeds: still refused.
	sleep 60 <>"$dir/leaks.json" &
	track_pid $!
	expect_json_refused "$dir/leaks.json" "refusing --json file .*FIFO, not a regular file"
}

# Another user's file (which they could have forged lines into) is not appended to.
test_json_refuses_foreign_file() {
	local dir="$WORK/sticky-foreign" file
	mkdir -m 1777 "$dir" || fail "cannot make $dir"
	file="$dir/leaks.json"
	echo '{"forged":true,"final":true}' >"$file"
	chown nobody "$file"
	chmod 666 "$file"
	expect_json_refused "$file" "refusing --json file .*belongs to another user"
	expect_eq "the file's content" '{"forged":true,"final":true}' "$(cat "$file")"
	# A second hard link to a file of ours is refused too.
	chown root "$file"
	ln "$file" "$dir/other-name.json"
	expect_json_refused "$file" "refusing --json file .*2 hard links"
}
