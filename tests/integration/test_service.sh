# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The service: make install's files, systemd-analyze verify on the installed
# unit, the shipped Prometheus files through promtool, and memleakd run the
# way the unit runs it (its capability bounding set and nothing more, no new
# privileges, its open-file limit, a 64 KiB locked-memory limit) on a process
# of another user. systemd is not PID 1 in CI containers: the unit is not
# started; this run is what it would do.
# Sourced by tests/integration/run.sh, after lib.sh.

UNIT=tools/systemd/memleakd.service

# unit_value KEY: the value of KEY= in the unit (the last one).
unit_value() {
	sed -n "s/^$1=//p" "$UNIT" | tail -1
}

# installed_files ROOT PREFIX: "mode path" of every file make install put below ROOT.
installed_files() {
	(cd "$1" && find . -type f -printf '%m %p\n' | sort)
}

# make install DESTDIR=... prefix=/usr: every file, at its place, with its
# mode; the unit's paths rewritten for the prefix; a second install keeps
# the operator's options file; make uninstall removes all but that file.
test_service_install() {
	local root="$WORK/destdir" got want
	make -s install BUILD="$BUILD" DESTDIR="$root" prefix=/usr >"$WORK/install.out" 2>&1 ||
		fail "make install failed:" "$(cat "$WORK/install.out")"
	got=$(installed_files "$root")
	want="644 ./etc/default/memleakd
644 ./usr/lib/systemd/system/memleakd.service
644 ./usr/share/man/man8/memleakd.8
644 ./usr/share/memleakd/memleakd-alerts.test.yml
644 ./usr/share/memleakd/memleakd-alerts.yml
644 ./usr/share/memleakd/scrape.yml
755 ./usr/sbin/memleakd"
	expect_eq "installed files" "$want" "$got"
	cmp -s memleakd "$root/usr/sbin/memleakd" || fail "the installed memleakd is not ./memleakd"
	grep -qx 'ExecStart=/usr/sbin/memleakd $MEMLEAKD_OPTS' "$root/usr/lib/systemd/system/memleakd.service" ||
		fail "ExecStart not rewritten for prefix=/usr:" "$(grep ^ExecStart "$root/usr/lib/systemd/system/memleakd.service")"
	grep -qx 'EnvironmentFile=-/etc/default/memleakd' "$root/usr/lib/systemd/system/memleakd.service" ||
		fail "EnvironmentFile:" "$(grep ^EnvironmentFile "$root/usr/lib/systemd/system/memleakd.service")"
	echo 'MEMLEAKD_OPTS="--metrics 127.0.0.1:9999"' >"$root/etc/default/memleakd"
	make -s install BUILD="$BUILD" DESTDIR="$root" prefix=/usr >"$WORK/install.out" 2>&1 ||
		fail "second make install failed:" "$(cat "$WORK/install.out")"
	grep -q 9999 "$root/etc/default/memleakd" || fail "make install overwrote the operator's /etc/default/memleakd"
	make -s uninstall DESTDIR="$root" prefix=/usr >"$WORK/install.out" 2>&1 ||
		fail "make uninstall failed:" "$(cat "$WORK/install.out")"
	expect_eq "files left by make uninstall" "644 ./etc/default/memleakd" "$(installed_files "$root")"
	echo "# make install DESTDIR prefix=/usr: 7 files, modes as expected; uninstall keeps the options file"
}

# systemd-analyze verify on the installed unit says nothing: no unknown key,
# no bad value, ExecStart executable, man:memleakd(8) found. Installed with
# prefix= a directory (no DESTDIR) so that its ExecStart exists as written.
test_service_unit_verify() {
	local prefix="$WORK/prefix/usr" unit out
	command -v systemd-analyze >/dev/null ||
		fail "systemd-analyze is missing: 'make deps' (tools/install-deps.sh) installs systemd"
	make -s install BUILD="$BUILD" prefix="$prefix" sysconfdir="$WORK/prefix/etc" >"$WORK/install.out" 2>&1 ||
		fail "make install failed:" "$(cat "$WORK/install.out")"
	unit="$prefix/lib/systemd/system/memleakd.service"
	out=$(MANPATH="$prefix/share/man" systemd-analyze verify "$unit" 2>&1)
	EXIT_CODE=$?
	expect_eq "systemd-analyze verify exit code" 0 "$EXIT_CODE" "$out"
	[ -z "$out" ] || fail "systemd-analyze verify $unit complains:" "$out"
	# It does read the unit: a misspelled key is reported.
	sed -i 's/^NoNewPrivileges=/NoNewPrivilege=/' "$unit"
	out=$(MANPATH="$prefix/share/man" systemd-analyze verify "$unit" 2>&1)
	echo "$out" | grep -q "Unknown key 'NoNewPrivilege'" ||
		fail "systemd-analyze verify did not catch a misspelled key:" "$out"
	echo "# systemd-analyze verify: clean ($(systemd --version | head -1))"
}

# promtool: the scrape example is a valid configuration, the alerting rules
# are valid, and their unit tests pass (a leak fires, a full cache and a
# sawtooth do not, the other four alerts fire on their synthetic series).
test_service_prometheus_files() {
	local out
	command -v promtool >/dev/null ||
		fail "promtool is missing: 'make deps' (tools/install-deps.sh) installs Debian's prometheus"
	out=$(cd tools/prometheus && promtool check config scrape.yml 2>&1) || fail "promtool check config:" "$out"
	out=$(promtool check rules tools/prometheus/memleakd-alerts.yml 2>&1) || fail "promtool check rules:" "$out"
	echo "$out" | grep -q 'SUCCESS: 5 rules found' || fail "promtool check rules:" "$out"
	out=$(cd tools/prometheus && promtool test rules memleakd-alerts.test.yml 2>&1) ||
		fail "promtool test rules:" "$out"
	echo "# promtool: scrape.yml valid, 5 rules valid, their unit tests pass"
}

# The unit's command (its MEMLEAKD_OPTS, with a free port and -i 1) under
# the unit's capability bounding set only, no_new_privs and the unit's
# limits, system-wide: it starts, traces a process of user nobody (its
# /proc/PID/map_files needs CAP_DAC_READ_SEARCH and CAP_SYS_ADMIN, its
# memory CAP_SYS_PTRACE) and serves that process's leaking stack.
test_service_capabilities() {
	local caps bounding opts port i series c hard
	caps=$(unit_value CapabilityBoundingSet)
	[ -n "$caps" ] || fail "no CapabilityBoundingSet= in $UNIT"
	bounding=-all
	for c in $caps; do
		c=${c#CAP_}
		bounding+=",+${c,,}"
	done
	opts=$(sed -n 's/^Environment="MEMLEAKD_OPTS=\(.*\)"$/\1/p' "$UNIT")
	[[ "$opts" == *"--metrics 127.0.0.1:9464"* && "$opts" == *"-i 30"* ]] ||
		fail "the unit's MEMLEAKD_OPTS changed ('$opts'): update this test"
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	opts=${opts/127.0.0.1:9464/127.0.0.1:$port}
	opts=${opts/-i 30/-i 1}
	# A process of another user (nobody), in a directory it can read.
	mkdir -p "$WORK/nobody"
	cp "$FIX/growth" "$WORK/nobody/growth"
	chmod 755 "$WORK" "$WORK/nobody"
	FIXTURE_OUT="$WORK/nobody/growth.out"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$WORK/nobody/growth" steady >"$FIXTURE_OUT" 2>&1 &
	track_pid $!
	wait_for "$FIXTURE_OUT" '^ready' 10 || fail "fixture did not start:" "$(cat "$FIXTURE_OUT")"
	FIXTURE_PID=$(awk '/^ready/ { print $2 }' "$FIXTURE_OUT")
	# The unit's LimitNOFILE=1024:524288, the hard limit lowered to this
	# shell's when smaller (raising it needs CAP_SYS_RESOURCE, which
	# containers may lack). --comm keeps the work to the fixture.
	hard=$(ulimit -Hn)
	[ "$hard" = unlimited ] || [ "$hard" -gt 524288 ] && hard=524288
	ML_WRAPPER="prlimit --nofile=1024:$hard --memlock=65536 -- setpriv --bounding-set $bounding --inh-caps -all --no-new-privs --" \
		start_memleakd $opts --comm growth
	kill -USR1 "$FIXTURE_PID"
	# Up to 40 s: system-wide, memleakd also traces whatever else runs on the host.
	for ((i = 0; i < 80; i++)); do
		series=$(curl -s --max-time 2 "http://127.0.0.1:$port/metrics" | grep '^memleakd_stack_outstanding_bytes{' | grep 'caller="steady_leak"')
		[ -n "$series" ] && break
		sleep 0.5
	done
	[ -n "$series" ] || fail "no steady_leak stack in the metrics of memleakd run with $caps;" \
		"stderr:" "$(tail -20 "$ML_ERR")" "metrics:" "$(curl -s --max-time 2 "http://127.0.0.1:$port/metrics" | grep -v "^#" | grep -v "_total\|^process_" | head -40)"
	grep -q "Permission denied\|missing privileges" "$ML_ERR" && fail "memleakd was denied something:" "$(cat "$ML_ERR")"
	echo "# with only $caps (no_new_privs, RLIMIT_NOFILE 1024:$hard, RLIMIT_MEMLOCK 64 KiB), system-wide, user nobody's leak:"
	echo "#   $series"
	kill -INT "$ML_PID"
	# The unit's TimeoutStopSec=30.
	wait_exit "$ML_PID" 30 || fail "memleakd did not exit within 30 s of SIGINT (the unit's KillSignal and TimeoutStopSec):" "$(stuck_report "$ML_PID" "$ML_ERR")"
	expect_eq "memleakd exit code on SIGINT" 0 "$EXIT_CODE" "$(cat "$ML_ERR")"
}
