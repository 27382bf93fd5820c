#!/usr/bin/env bash
# ceph-cluster.sh - a single-node Ceph cluster with an S3 gateway on
# 127.0.0.1, for the S3 tests: one monitor, one OSD on memstore, RADOS
# Gateway; no mgr (S3 does not need one), no cephadm, no containers.
#
#   ceph-cluster.sh start DIR MON_PORT RGW_PORT [TLS_PORT]
#                         bring it up in DIR (made empty by the caller);
#                         with TLS_PORT the gateway also serves https on
#                         it, with a certificate for 127.0.0.1 and
#                         localhost signed by a CA made here (DIR/tls/
#                         ca.pem; the openssl program)
#   ceph-cluster.sh stop DIR                      stop it, by PID
#   ceph-cluster.sh rgw-stop DIR, rgw-start DIR   the gateway alone (a
#                                                 store that goes away)
#
# Everything the cluster writes is under DIR: config, data, logs (the
# cluster log too), admin sockets, PID files.  start prints the gateway's
# endpoint and writes DIR/s3.env (endpoint, region, access key, secret) for
# the tests; it exits 0 once the gateway answers and the user exists, or
# stops what it started, prints one line and exits 1.  stop stops radosgw
# first and waits for it (stopped after the OSD, it hangs), then the OSD,
# then the monitor; SIGKILL to one that has not exited after 10 s.
# Measured: up in about 13 s (the gateway takes 8 to 9 of them).
set -uo pipefail

die() {
	echo "ceph-cluster: $*" >&2
	exit 1
}

stop_one() { # DIR NAME
	local f="$1/run/$2.pid" pid
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null
		for _ in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
	fi
	rm -f "$f"
}

stop_all() { # DIR
	stop_one "$1" rgw
	stop_one "$1" osd
	stop_one "$1" mon
}

# radosgw of the cluster in DIR, started and listening (its port in
# DIR/run/rgw.port); 1 with a line on stderr if it is not.
rgw_up() { # DIR
	local dir="$1" rgwp i
	rgwp=$(cat "$dir/run/rgw.port") || return 1
	radosgw -c "$dir/ceph.conf" -f -n client.rgw.a >>"$dir/log/rgw.out" 2>&1 &
	echo $! >"$dir/run/rgw.pid"
	for i in $(seq 1 300); do
		(exec 3<>"/dev/tcp/127.0.0.1/$rgwp") 2>/dev/null && return 0
		kill -0 "$(cat "$dir/run/rgw.pid")" 2>/dev/null || {
			echo "ceph-cluster: radosgw exited (see $dir/log/client.rgw.a.log)" >&2
			return 1
		}
		sleep 0.2
	done
	echo "ceph-cluster: radosgw did not listen in 60 s" >&2
	return 1
}

# A CA and a server certificate it signs, in DIR/tls.
make_certs() { # DIR
	local t="$1/tls" ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
	mkdir -p "$t" &&
	echo "subjectAltName=IP:127.0.0.1,DNS:localhost" >"$t/ext.cnf" &&
	openssl req -x509 "${ec[@]}" -keyout "$t/ca.key" -out "$t/ca.pem" \
		-days 2 -subj "/CN=framefs test CA" >>"$1/log/setup.log" 2>&1 &&
	openssl req "${ec[@]}" -keyout "$t/server.key" -out "$t/server.csr" \
		-subj "/CN=127.0.0.1" >>"$1/log/setup.log" 2>&1 &&
	openssl x509 -req -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" \
		-CAcreateserial -out "$t/server.pem" -days 2 \
		-extfile "$t/ext.cnf" >>"$1/log/setup.log" 2>&1
}

start() { # DIR MON_PORT RGW_PORT [TLS_PORT]
	local dir="$1" monp="$2" rgwp="$3" tlsp="${4:-}" tls_fe="" fsid t0 i
	for b in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph; do
		command -v "$b" >/dev/null || die "$b: not installed"
	done
	[ -d "$dir" ] || die "$dir: no such directory"
	mkdir -p "$dir"/{run,log,mon,osd/ceph-0,rgw} || die "$dir: cannot write"
	if [ -n "$tlsp" ]; then
		command -v openssl >/dev/null || die "openssl: not installed"
		make_certs "$dir" || die "no test certificate (see $dir/log/setup.log)"
		tls_fe=" ssl_endpoint=127.0.0.1:$tlsp ssl_certificate=$dir/tls/server.pem ssl_private_key=$dir/tls/server.key"
	fi
	fsid=$(cat /proc/sys/kernel/random/uuid)
	cat >"$dir/ceph.conf" <<EOF
[global]
fsid = $fsid
mon host = 127.0.0.1:$monp
mon initial members = a
public addr = 127.0.0.1
ms bind ipv6 = false
# no cephx: a throwaway cluster on loopback; the gateway must then be told
# to talk plain crc to the monitor (it defaults to secure and never
# connects)
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
keyring = /dev/null
osd objectstore = memstore
memstore device bytes = 2147483648
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
run dir = $dir/run
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
mon cluster log file = $dir/log/cluster.log
mon data = $dir/mon/\$cluster-\$id
osd data = $dir/osd/\$cluster-\$id
[client.rgw.a]
# tcp_nodelay: beast leaves Nagle on, and then each small answer waits for
# the client's delayed ACK (44 ms a framefs page miss, measured)
rgw frontends = beast endpoint=127.0.0.1:$rgwp$tls_fe tcp_nodelay=1
rgw data = $dir/rgw
# virtual-host addressing: BUCKET.localhost (curl resolves *.localhost to
# the loopback itself); 127.0.0.1 stays path-style
rgw dns name = localhost
# STS Lite: temporary credentials (GetSessionToken) for the session-token
# test; the key encrypts the tokens (16 characters)
rgw s3 auth use sts = true
rgw sts key = framefstestsskey
EOF
	local c=(-c "$dir/ceph.conf")
	t0=$(date +%s)
	monmaptool --create --add a "127.0.0.1:$monp" --fsid "$fsid" \
		"$dir/monmap" >"$dir/log/setup.log" 2>&1 ||
		die "monmaptool failed (see $dir/log/setup.log)"
	ceph-mon "${c[@]}" --mkfs -i a --monmap "$dir/monmap" \
		>>"$dir/log/setup.log" 2>&1 || die "ceph-mon --mkfs failed"
	ceph-mon "${c[@]}" -f -i a >"$dir/log/mon.out" 2>&1 &
	echo $! >"$dir/run/mon.pid"
	# the OSD: an id from the monitor, a memstore, then the daemon
	for i in $(seq 1 50); do
		timeout 10 ceph "${c[@]}" osd create >>"$dir/log/setup.log" \
			2>&1 && break
		[ "$i" = 50 ] && { stop_all "$dir"; die "the monitor did not answer"; }
		sleep 0.2
	done
	timeout 60 ceph-osd "${c[@]}" -i 0 --mkfs >>"$dir/log/setup.log" 2>&1 ||
		{ stop_all "$dir"; die "ceph-osd --mkfs failed"; }
	ceph-osd "${c[@]}" -f -i 0 >"$dir/log/osd.out" 2>&1 &
	echo $! >"$dir/run/osd.pid"
	for i in $(seq 1 100); do
		timeout 10 ceph "${c[@]}" osd stat 2>/dev/null | grep -q " 1 up" &&
			break
		[ "$i" = 100 ] && { stop_all "$dir"; die "the OSD did not come up"; }
		sleep 0.2
	done
	echo "$rgwp" >"$dir/run/rgw.port"
	rgw_up "$dir" || { stop_all "$dir"; exit 1; }
	timeout 60 radosgw-admin "${c[@]}" user create --uid=framefs \
		--display-name=framefs --access-key=FRAMEFSTESTACCESS \
		--secret-key=framefs-test-secret >>"$dir/log/setup.log" 2>&1 ||
		{ stop_all "$dir"; die "radosgw-admin user create failed"; }
	# the user may give itself a policy (the IAM API's PutUserPolicy),
	# which GetSessionToken needs
	timeout 60 radosgw-admin "${c[@]}" caps add --uid=framefs \
		--caps="user-policy=*" >>"$dir/log/setup.log" 2>&1 ||
		{ stop_all "$dir"; die "radosgw-admin caps add failed"; }
	cat >"$dir/s3.env" <<EOF
endpoint=http://127.0.0.1:$rgwp
region=default
access_key=FRAMEFSTESTACCESS
secret_key=framefs-test-secret
EOF
	[ -n "$tlsp" ] && cat >>"$dir/s3.env" <<EOF
tls_endpoint=https://127.0.0.1:$tlsp
cacert=$dir/tls/ca.pem
EOF
	echo "ceph-cluster: S3 at http://127.0.0.1:$rgwp, up in $(($(date +%s) - t0)) s"
}

case "${1:-}" in
start)
	[ $# -eq 4 ] || [ $# -eq 5 ] ||
		die "usage: ceph-cluster.sh start DIR MON_PORT RGW_PORT [TLS_PORT]"
	start "$2" "$3" "$4" "${5:-}"
	;;
stop)
	[ $# -eq 2 ] || die "usage: ceph-cluster.sh stop DIR"
	stop_all "$2"
	;;
rgw-stop)
	[ $# -eq 2 ] || die "usage: ceph-cluster.sh rgw-stop DIR"
	stop_one "$2" rgw
	;;
rgw-start)
	[ $# -eq 2 ] || die "usage: ceph-cluster.sh rgw-start DIR"
	rgw_up "$2" || exit 1
	;;
*)
	die "usage: ceph-cluster.sh start DIR MON_PORT RGW_PORT [TLS_PORT] | stop DIR | rgw-stop DIR | rgw-start DIR"
	;;
esac
