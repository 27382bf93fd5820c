#!/usr/bin/env bash
# deps.sh - install the Debian packages framefs needs, if any are missing.
# As root: apt-get installs them.  Otherwise: print the command, exit 2.
set -euo pipefail

pkgs=(gcc libc6-dev make pkg-config meson ninja-build python3
      libcmocka-dev fuse3 libfuse3-dev libcurl4-openssl-dev libssl-dev libzstd-dev
      groff-base gnuplot-nox sqlite3 openssl
      apache2 apache2-utils nginx libxml2-dev
      ceph-mon ceph-osd radosgw ceph-common)

missing=()
for p in "${pkgs[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages: ${missing[*]}" >&2
	echo "deps: run as root: apt-get update && $line" >&2
	exit 2
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends ${missing[*]} >&2
