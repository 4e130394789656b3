#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Installs the Go toolchains the Go fixtures are built with (issue 13):
# Debian's golang-go (1.19, /usr/bin/go) and golang-1.23-go from
# bookworm-backports (/usr/lib/go-1.23/bin/go).
#
# When no apt source offers bookworm-backports, adds one: the mirror is the
# one this machine already uses for bookworm (the URIs: of the deb822 stanza
# whose Suites: has bookworm, or the URI of a 'deb ... bookworm' line of
# sources.list); no host name is written in the repository. Idempotent:
# does nothing when both are installed; 'apt-get update' at most once.
set -eu
SOURCES_DIR=${APT_SOURCES_DIR:-/etc/apt/sources.list.d}
SOURCES_LIST=${APT_SOURCES_LIST:-/etc/apt/sources.list}
BACKPORTS_FILE="$SOURCES_DIR/memleakd-backports.sources"
packages=(golang-go golang-1.23-go)

# DEPS_GO_FORCE=1: act as if both were missing (to test this script on a machine that has them).
missing=()
for p in "${packages[@]}"; do
	[ "${DEPS_GO_FORCE:-}" = 1 ] && { missing+=("$p"); continue; }
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} = 0 ]; then
	echo "deps-go: all present"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps-go: missing ${missing[*]}; run 'sudo make deps'" >&2
	exit 1
fi

# deb822_field_of_bookworm FIELD: FIELD's value in the first deb822 stanza
# of debian.sources (or any *.sources) whose Suites: lists exactly bookworm.
deb822_field_of_bookworm() {
	local f
	for f in "$SOURCES_DIR"/*.sources; do
		[ -e "$f" ] || continue
		awk -v want="$1" '
			function flush() {
				if (has_bookworm && value != "" && !done) { print value; done = 1 }
				has_bookworm = 0; value = ""
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			{
				key = $1; sub(/:$/, "", key)
				if (key == "Suites") for (i = 2; i <= NF; i++) if ($i == "bookworm") has_bookworm = 1
				if (key == want && value == "") value = $2
			}
			END { flush() }' "$f"
	done | head -n 1
}

# list_uri_of_bookworm: the URI of the first 'deb [options] URI bookworm ...' line.
list_uri_of_bookworm() {
	[ -e "$SOURCES_LIST" ] || return 0
	awk '$1 == "deb" {
		i = 2
		if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
		if ($(i + 1) == "bookworm") { print $i; exit }
	}' "$SOURCES_LIST"
}

has_backports() {
	grep -rqsE '(^|[[:space:]])bookworm-backports([[:space:]]|$)' "$SOURCES_LIST" "$SOURCES_DIR"
}

if ! has_backports; then
	uri=$(deb822_field_of_bookworm URIs)
	keyring=$(deb822_field_of_bookworm Signed-By)
	[ -n "$uri" ] || uri=$(list_uri_of_bookworm)
	if [ -z "$uri" ]; then
		echo "deps-go: no apt source for bookworm found in $SOURCES_DIR or $SOURCES_LIST;" \
			"cannot add bookworm-backports for golang-1.23-go" >&2
		exit 1
	fi
	: "${keyring:=/usr/share/keyrings/debian-archive-keyring.gpg}"
	echo "deps-go: adding bookworm-backports from $uri ($BACKPORTS_FILE)"
	printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: %s\n' \
		"$uri" "$keyring" >"$BACKPORTS_FILE"
fi

echo "deps-go: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# golang-1.23-go is only in backports: name the suite so apt picks it there.
args=()
for p in "${missing[@]}"; do
	case $p in
	golang-1.23-go) args+=("$p/bookworm-backports") ;;
	*) args+=("$p") ;;
	esac
done
apt-get install -y -qq "${args[@]}" >/dev/null
