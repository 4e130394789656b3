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
	# A process of another user (nobody), run from a directory only nobody
	# may enter (0700, as a home directory): its /proc/PID/map_files/ and
	# its binary's path are both closed to root without CAP_DAC_READ_SEARCH.
	mkdir -p "$WORK/nobody"
	cp "$FIX/growth" "$WORK/nobody/growth"
	chown -R 65534:65534 "$WORK/nobody"
	chmod 755 "$WORK"
	chmod 700 "$WORK/nobody"
	FIXTURE_OUT="$WORK/growth-nobody.out"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$WORK/nobody/growth" steady >"$FIXTURE_OUT" 2>&1 &
	track_pid $!
	wait_for "$FIXTURE_OUT" '^ready' 10 || fail "fixture did not start:" "$(cat "$FIXTURE_OUT")"
	FIXTURE_PID=$(awk '/^ready/ { print $2 }' "$FIXTURE_OUT")
	# The unit's LimitNOFILE=1024:524288, the hard limit lowered to this
	# shell's when smaller (raising it needs CAP_SYS_RESOURCE, which
	# containers may lack). --comm keeps the work to the fixture.
	hard=$(ulimit -Hn)
	[ "$hard" = unlimited ] || [ "$hard" -gt 524288 ] && hard=524288
	# $opts unquoted: split into words as systemd splits $MEMLEAKD_OPTS.
	# shellcheck disable=SC2086
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

# boot_systemd ROOT: systemd as PID 1 of new PID, mount, network, UTS, IPC
# and cgroup namespaces (the host keeps its own init), starting only
# memleakd.service as installed below ROOT (make install prefix=ROOT/usr).
# A drop-in changes what a booted OS provides and a container lacks, not
# the sandbox: no default dependencies (no sysinit.target here), output to
# files (no journald), and SendSIGKILL=no: systemd in a container on the
# legacy (v1) cgroup hierarchy, as here, cannot wait for the cgroup to
# empty after the stop signal and sends SIGKILL at once (seen: stopped
# services 'failed' with signal=KILL ~150 ms after SIGINT; a host's systemd
# on the unified hierarchy waits up to TimeoutStopSec). /run, /tmp, /var/tmp, /var/lib and /var/log are fresh
# tmpfs in the mount namespace. Sets SD_PID (systemd's PID on the host).
boot_systemd() {
	local root=$1 unshare_pid i
	mkdir -p "$root/run/memleakd.service.d"
	cat >"$root/run/memleakd-test.target" <<-EOF
		[Unit]
		Description=memleakd service test
		DefaultDependencies=no
		Wants=memleakd.service
	EOF
	cat >"$root/run/memleakd.service.d/test.conf" <<-EOF
		[Unit]
		DefaultDependencies=no
		[Service]
		StandardOutput=append:/run/memleakd.out
		StandardError=append:/run/memleakd.err
		SendSIGKILL=no
	EOF
	cat >"$root/boot.sh" <<-EOF
		set -e
		mount -t tmpfs tmpfs /run
		mkdir -p /run/systemd/system
		cp '$root/usr/lib/systemd/system/memleakd.service' '$root/run/memleakd-test.target' /run/systemd/system/
		cp -r '$root/run/memleakd.service.d' /run/systemd/system/
		for d in /tmp /var/tmp /var/lib /var/log; do mount -t tmpfs tmpfs \$d; done
		ip link set lo up
		export container=memleakd-test
		exec /lib/systemd/systemd --system --unit=memleakd-test.target --log-target=console
	EOF
	unshare --pid --fork --mount --uts --ipc --net --cgroup --propagation private \
		sh "$root/boot.sh" >"$root/boot.log" 2>&1 &
	unshare_pid=$!
	track_pid "$unshare_pid"
	for ((i = 0; i < 100; i++)); do
		SD_PID=$(pgrep -P "$unshare_pid" -x systemd)
		[ -n "$SD_PID" ] && break
		sleep 0.1
	done
	[ -n "$SD_PID" ] || fail "systemd did not start in its namespaces:" "$(cat "$root/boot.log")"
	# SIGKILL to the namespace's init ends every process in it.
	track_pid "$SD_PID"
}

# in_systemd CMD...: CMD in systemd's mount, PID and network namespaces.
in_systemd() {
	nsenter -t "$SD_PID" -m -p -n -- "$@"
}

# The unit started by a real systemd (252, Debian 12): every sandboxing
# directive applied (a unit systemd cannot apply does not start), and under
# them memleakd traces a leak and serves it. Checked: the service's bounding
# set is the unit's, no_new_privs, a seccomp filter (MemoryDenyWriteExecute,
# RestrictAddressFamilies, SystemCallArchitectures...), /usr read-only and
# /var/lib/memleakd writable; 'systemctl stop' ends it cleanly (SIGINT: exit
# 0, unit inactive, not failed).
# systemd runs in namespaces of its own: memleakd sees the processes of its
# PID namespace only (the same code as system-wide on a host).
test_service_systemd() {
	# Not below the checkout: it may be in /tmp (CI clones there), and /tmp is
	# a fresh tmpfs in systemd's namespace (the service's is private too).
	local root=/opt/memleakd-service-test mp i series state fixture_launcher fixture_pid want have
	[ -x /lib/systemd/systemd ] || fail "systemd is missing: 'make deps' (tools/install-deps.sh) installs it"
	rm -rf "$root"
	mkdir -p "$root" || fail "cannot create $root"
	make -s install BUILD="$BUILD" prefix="$root/usr" sysconfdir="$root/etc" >"$WORK/install.out" 2>&1 ||
		fail "make install failed:" "$(cat "$WORK/install.out")"
	# The memleakd under test (MEMLEAKD; make install put ./memleakd), and the fixture.
	cp "$MEMLEAKD" "$root/usr/sbin/memleakd"
	cp "$FIX/growth" "$root/growth"
	# The options file, as an operator edits it: a report every second.
	echo 'MEMLEAKD_OPTS="--metrics 127.0.0.1:9464 -i 1"' >"$root/etc/default/memleakd"
	boot_systemd "$root"
	for ((i = 0; i < 200; i++)); do
		in_systemd grep -q '^memleakd: ready' /run/memleakd.err 2>/dev/null && break
		sleep 0.1
	done
	state=$(in_systemd systemctl is-active memleakd 2>&1)
	expect_eq "systemctl is-active memleakd" active "$state" "$(in_systemd systemctl status memleakd --no-pager 2>&1)" \
		"$(in_systemd cat /run/memleakd.err 2>&1)" "$(tail -20 "$root/boot.log")"
	mp=$(pgrep -P "$SD_PID" -x memleakd)
	[ -n "$mp" ] || fail "no memleakd below systemd"
	want=$(unit_value CapabilityBoundingSet | tr ' ' '\n' | tr '[:upper:]' '[:lower:]' | sort | tr '\n' ' ')
	have=$(capsh --decode="$(awk '/^CapBnd:/ { print $2 }' "/proc/$mp/status")" | sed 's/.*=//' | tr ',' '\n' | sort | tr '\n' ' ')
	expect_eq "the service's bounding set" "$want" "$have"
	expect_eq "the service's effective set" "$(awk '/^CapBnd:/ { print $2 }' "/proc/$mp/status")" \
		"$(awk '/^CapEff:/ { print $2 }' "/proc/$mp/status")"
	expect_eq "NoNewPrivs" 1 "$(awk '/^NoNewPrivs:/ { print $2 }' "/proc/$mp/status")"
	expect_eq "Seccomp (2: filter)" 2 "$(awk '/^Seccomp:/ { print $2 }' "/proc/$mp/status")"
	! nsenter -t "$mp" -m touch /usr/memleakd-write-test 2>/dev/null || fail "ProtectSystem=strict: /usr is writable"
	nsenter -t "$mp" -m touch /var/lib/memleakd/write-test || fail "StateDirectory: /var/lib/memleakd is not writable"
	# The leaking fixture, started in systemd's namespaces after memleakd.
	nsenter -t "$SD_PID" -m -p -n -- "$root/growth" steady >"$root/growth.out" 2>&1 &
	fixture_launcher=$!
	track_pid "$fixture_launcher"
	wait_for "$root/growth.out" '^ready' 10 || fail "fixture did not start:" "$(cat "$root/growth.out")"
	fixture_pid=$(pgrep -P "$fixture_launcher" -x growth)
	[ -n "$fixture_pid" ] || fail "no growth below nsenter"
	kill -USR1 "$fixture_pid"
	for ((i = 0; i < 60; i++)); do
		series=$(in_systemd curl -s --max-time 2 http://127.0.0.1:9464/metrics | grep '^memleakd_stack_outstanding_bytes{' | grep 'caller="steady_leak"')
		[ -n "$series" ] && break
		sleep 0.5
	done
	[ -n "$series" ] || fail "the service serves no steady_leak stack;" "stderr:" "$(in_systemd cat /run/memleakd.err)" \
		"metrics:" "$(in_systemd curl -s --max-time 2 http://127.0.0.1:9464/metrics | grep -v '^#' | head -20)"
	echo "# systemd $(systemd --version | awk 'NR == 1 { print $2 }') started memleakd.service (bounding set $have; NoNewPrivs, seccomp):"
	echo "$series" | sed 's/^/#   /'
	timeout 40 nsenter -t "$SD_PID" -m -p -n -- systemctl stop memleakd >"$WORK/stop.out" 2>&1 ||
		fail "systemctl stop memleakd failed:" "$(cat "$WORK/stop.out")"
	# inactive: memleakd exited 0 on SIGINT (failed: a signal or an error exit).
	state=$(in_systemd systemctl is-active memleakd 2>&1)
	echo "# systemctl stop: $state; $(in_systemd systemctl status memleakd --no-pager | grep -o 'Main PID:.*')"
	expect_eq "the state after systemctl stop" inactive "$state" "$(in_systemd cat /run/memleakd.err)" \
		"$(in_systemd systemctl status memleakd --no-pager 2>&1)"
	# Not asserted (reported to the lead): stopped about 1 s after its start,
	# memleakd exits 0 without a final report on stdout; 3 s after, it has one.
	echo "# last report header: $(in_systemd grep '^== memleakd' /run/memleakd.out | tail -1)"
	for ((i = 0; i < 50; i++)); do
		[ -e "/proc/$mp" ] || break
		sleep 0.1
	done
	[ ! -e "/proc/$mp" ] || fail "memleakd still runs 5 s after systemctl stop returned ($state)"
	kill -KILL "$SD_PID"
	rm -rf "$root"
}
