#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# net-private.bats - --net private: the VM's own stack, connected through
# pasta. Outbound reaches a server on the host's loopback (at the VM's
# gateway address); inbound, only published ports reach the VM; pasta
# runs as nobody more than the VM's root and is gone when the VM stops,
# however it stops. Also --net none's lack of any route, and the host's
# abstract sockets out of reach. Every server is the test's own, on the
# host's 127.0.0.1 (or inside the VM), bounded in time: nothing leaves
# the machine.

load helpers

setup() {
	fvm_setup
	command -v pasta >/dev/null || skip "pasta is not installed (Debian package passt: scripts/deps)"
	# pasta gives the VM the host's addresses and routes: it needs some
	[[ -n $(ip -4 route show default) ]] || skip "the host has no IPv4 default route for pasta to copy"
	# rootless, pasta opens the host's /dev/net/tun as this user (as root
	# fvm gives pasta a node of its own): a 0600 node rules it out, and
	# fvm says so (tested below, as root, for any mode of the host's node)
	if ! is_root && ! (exec 9<>/dev/net/tun) 2>/dev/null; then
		skip "this user cannot open /dev/net/tun ($(stat -c '%A %U' /dev/net/tun 2>&1)): rootless --net private needs it"
	fi
	# three ports unlikely to be taken, for this test only
	PORT1=$((20000 + RANDOM % 20000))
	PORT2=$((PORT1 + 1))
	PORT3=$((PORT1 + 2))
	write_helpers
	chmod -R a+rX "$SCRATCH"
}

# Servers and clients in python, with no name lookup anywhere (python's
# http.server looks up the host name of its address, which could send a
# DNS query off the machine).
#   serve.py ADDR PORT TEXT [SECONDS]: answer every TCP connection with TEXT
#   get.py HOST PORT: print what the server says, or the errno name
write_helpers() {
	cat >"$SCRATCH/serve.py" <<-'EOF'
		import socket, sys
		s = socket.socket()
		s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		s.bind((sys.argv[1], int(sys.argv[2])))
		s.listen(16)
		s.settimeout(float(sys.argv[4]) if len(sys.argv) > 4 else 60)
		while True:
		    try:
		        c, _ = s.accept()
		    except socket.timeout:
		        break
		    c.sendall(sys.argv[3].encode() + b"\n")
		    c.close()
	EOF
	cat >"$SCRATCH/get.py" <<-'EOF'
		import errno, socket, sys
		s = socket.socket()
		s.settimeout(5)
		try:
		    s.connect((sys.argv[1], int(sys.argv[2])))
		    print(s.recv(100).decode().strip() or "empty")
		except OSError as e:
		    print(errno.errorcode.get(e.errno, e))
	EOF
	chmod 644 "$SCRATCH"/*.py
}

# host_serve PORT: serve.py on the host's 127.0.0.1:PORT answering
# "from-host-TEST_ID", for at most 60 s, killed in teardown.
host_serve() {
	python3 "$SCRATCH/serve.py" 127.0.0.1 "$1" "from-host-$TEST_ID" </dev/null >"$SCRATCH/serve-$1.log" 2>&1 3>&- &
	bg_track $!
	wait_for 5 host_get_is "$1" "from-host-$TEST_ID"
}

# host_get_is PORT TEXT: the host's 127.0.0.1:PORT answers TEXT.
host_get_is() {
	[[ $(python3 "$SCRATCH/get.py" 127.0.0.1 "$1") == "$2" ]]
}

# vm_serve NAME PORT: serve.py inside running VM NAME on 127.0.0.1:PORT
# (where pasta delivers what comes from the host's loopback), answering
# "in-vm-PORT", for at most 60 s (and stopped with the VM).
vm_serve() {
	fvm exec "$1" -- sh -c "(python3 '$SCRATCH/serve.py' 127.0.0.1 $2 in-vm-$2 </dev/null >/dev/null 2>&1 &)"
}

# gateway NAME: the default gateway inside running VM NAME (pasta maps it
# to the host's loopback).
gateway() {
	fvm exec "$1" -- ip -4 route show default | awk '{ print $3; exit }'
}

# pasta_pid NAME: the pid of running VM NAME's pasta (run/net.pid).
pasta_pid() {
	cut -d' ' -f1 "$FVM_HOME/vms/$1/run/net.pid"
}

@test "net private: an interface with the host's address and a default route besides lo" {
	fvm create --net private web
	run -0 --separate-stderr fvm run web -- ip -o -4 route show default
	assert_match "$output" '^default via [0-9.]+ dev ' "the VM's default route"
	run -0 --separate-stderr fvm run web -- cat /proc/net/dev
	local n
	n=$(awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' <<<"$output" | grep -vc '^lo$')
	assert_eq "$n" 1 "interfaces besides lo"
	run -0 --separate-stderr fvm run web -- readlink /proc/self/ns/net
	assert_ne "$output" "$(readlink /proc/self/ns/net)" "its own net namespace"
}

@test "net private: pasta runs as the VM's root, not as the host's root" {
	fvm create --net private web
	fvm_start web
	local p
	p=$(pasta_pid web)
	pid_alive "$p"
	assert_match "$(cat /proc/"$p"/comm)" '^pas' "pasta's name"
	local uid
	uid=$(awk '/^Uid:/ { print $3 }' /proc/"$p"/status)
	if is_root; then
		((uid >= FVM_UID_FLOOR)) || { echo "pasta runs as host uid $uid, not the VM's root" >&2; return 1; }
	else
		assert_eq "$uid" "$EUID" "pasta's uid"
	fi
	# in the VM's user namespace, in the host's network namespace (the
	# readlink must work: an empty answer differs from ours too)
	local pns
	pns=$(readlink /proc/"$p"/ns/user)
	[[ -n $pns ]] || { echo "cannot read pasta's user namespace" >&2; false; }
	assert_ne "$pns" "$(readlink /proc/self/ns/user)" "pasta's user namespace"
}

@test "net private: by default the host's loopback services are out of reach, also at the gateway" {
	host_serve "$PORT1"
	fvm create --net private web
	run -0 vm_field web .host_loopback
	assert_eq "$output" false "inspect: host_loopback"
	fvm_start web
	local gw
	gw=$(gateway web)
	[[ -n $gw ]]
	run -0 --separate-stderr fvm exec web -- python3 "$SCRATCH/get.py" "$gw" "$PORT1"
	assert_ne "$output" "from-host-$TEST_ID" "a host server on 127.0.0.1 through the gateway"
	# the host's loopback is not the VM's: nothing is forwarded from it
	run -0 --separate-stderr fvm exec web -- python3 "$SCRATCH/get.py" 127.0.0.1 "$PORT1"
	assert_eq "$output" ECONNREFUSED "127.0.0.1 inside is the VM's own"
}

@test "net private: --host-loopback on reaches a server on the host's loopback at the gateway" {
	host_serve "$PORT1"
	fvm create --net private --host-loopback on web
	run -0 vm_field web .host_loopback
	assert_eq "$output" true "inspect: host_loopback"
	fvm_start web
	local gw
	gw=$(gateway web)
	[[ -n $gw ]]
	run -0 --separate-stderr fvm exec web -- python3 "$SCRATCH/get.py" "$gw" "$PORT1"
	assert_eq "$output" "from-host-$TEST_ID" "host server through the gateway"
	fvm stop web
	fvm config web --host-loopback off
	run -0 vm_field web .host_loopback
	assert_eq "$output" false "after fvm config --host-loopback off"
	run --separate-stderr fvm create --host-loopback maybe other
	assert_eq "$status" 125 "a bad value"
	assert_contains "$stderr" "bad --host-loopback 'maybe'" "the message"
}

@test "net private: the untrusted profile does not reach the host's loopback, even with --host-loopback on" {
	host_serve "$PORT1"
	fvm create --net private --profile untrusted --host-loopback on web
	fvm_start web
	local gw
	gw=$(gateway web)
	[[ -n $gw ]]
	run -0 --separate-stderr fvm exec web -- python3 "$SCRATCH/get.py" "$gw" "$PORT1"
	assert_ne "$output" "from-host-$TEST_ID" "host loopback server through the gateway"
}

@test "net private: a UDP port must keep its number" {
	run -125 --separate-stderr fvm create --net private -p 5000:6000/udp web
	assert_contains "$stderr" "keep its number"
}

@test "net private: a published port reaches the VM, an unpublished one does not" {
	fvm create --net private -p "$PORT1:8080" web
	fvm_start web
	vm_serve web 8080
	vm_serve web 8081
	wait_for 10 host_get_is "$PORT1" in-vm-8080 || {
		echo "published port $PORT1 -> 8080 never answered: $(python3 "$SCRATCH/get.py" 127.0.0.1 "$PORT1")" >&2
		return 1
	}
	# the unpublished server runs (seen from inside) ...
	run -0 --separate-stderr fvm exec web -- python3 "$SCRATCH/get.py" 127.0.0.1 8081
	assert_eq "$output" in-vm-8081 "unpublished server, from inside"
	# ... but the host reaches it on no port: pasta forwards only PORT1
	run -0 python3 "$SCRATCH/get.py" 127.0.0.1 8081
	assert_eq "$output" ECONNREFUSED "host to 127.0.0.1:8081"
	run -0 ss -Hltnp
	local mine
	mine=$(grep -F "pid=$(pasta_pid web)," <<<"$output" | awk '{ print $4 }' | sed 's/.*://' | sort -u | tr '\n' ' ')
	assert_eq "$mine" "$PORT1 " "TCP ports pasta listens on"
	run -0 ss -Hlunp
	assert_eq "$(grep -cF "pid=$(pasta_pid web)," <<<"$output" || true)" 0 "UDP ports pasta listens on"
}

@test "net private: a published UDP port reaches the VM" {
	# the same port inside: the pasta of Debian 12 (2023-03) loses the
	# replies when it translates a UDP port
	fvm create --net private -p "$PORT2:$PORT2/udp" web
	fvm_start web
	fvm exec web -- sh -c "(timeout 30 python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((\"0.0.0.0\", $PORT2))
while True:
    d, a = s.recvfrom(100)
    s.sendto(b\"echo:\" + d, a)
' </dev/null >/dev/null 2>&1 &)"
	local py='import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
for i in range(20):
    s.sendto(b"hi", ("127.0.0.1", int(sys.argv[1])))
    try:
        print(s.recvfrom(100)[0].decode())
        break
    except OSError:
        pass
else:
    print("no answer")'
	run -0 python3 -c "$py" "$PORT2"
	assert_eq "$output" echo:hi "UDP through $PORT2"
}

@test "net private: a host port already taken fails the start, naming the VM; nothing is left" {
	# held on the host's loopback only: pasta alone would take the
	# wildcard address of IPv6 and quietly go on
	host_serve "$PORT3"
	fvm create --net private -p "$PORT3:80" web
	run --separate-stderr fvm start web </dev/null
	assert_ne "$status" 0 "fvm start"
	assert_fvm_error
	assert_contains "$stderr" "VM 'web': cannot start pasta for --net private" "the message"
	assert_contains "$stderr" "$PORT3" "the message names the port"
	assert_state web stopped
	run ss -Hltnp
	assert_not_contains "$output" "pasta" "no pasta left listening"
	assert_not_contains "$output" "passt" "no pasta left listening"
}

@test "net private: when pasta fails, fvm says what pasta said" {
	# pasta runs as the VM's root, an ordinary user on the host: it may not
	# bind a privileged port
	(($(cat /proc/sys/net/ipv4/ip_unprivileged_port_start) > 1)) || skip "every port is unprivileged here"
	fvm create --net private -p 1:80 web
	run --separate-stderr fvm run web -- true </dev/null
	assert_ne "$status" 0 "fvm run"
	assert_fvm_error
	assert_contains "$stderr" "VM 'web': cannot start pasta for --net private: " "the message"
	assert_contains "$stderr" "bind" "pasta's words"
	assert_state web stopped
}

# tun_node_run MODE UID CMD...: as root, run CMD as UID:UID in a private
# mount namespace whose /dev/net/tun is a node of the same device with
# MODE, owned by root (on a tmpfs over /dev/net of that namespace: the
# host's node stays as it is, and no tree a VM copies on write gets a
# mount below it), with HOME, TMPDIR and FVM_HOME of its own under
# TEST_ROOT.
tun_node_run() {
	local mode=$1 uid=$2 home=$TEST_ROOT/home-$2
	shift 2
	mkdir -p "$home/tmp"
	chown -R "$uid:$uid" "$home"
	unshare --mount --propagation private -- bash -c '
		set -e
		mode=$1 uid=$2 home=$3; shift 3
		read -r major minor < <(stat -c "%t %T" /dev/net/tun)
		mount -t tmpfs -o mode=0755,size=16k fvm-test-tun /dev/net
		mknod -m "$mode" /dev/net/tun c "$((0x$major))" "$((0x$minor))"
		exec setpriv --reuid="$uid" --regid="$uid" --clear-groups \
			env -u FVM_HOME HOME="$home" TMPDIR="$home/tmp" FVM_HOME="$home/store" "$@"' \
		_ "$mode" "$uid" "$home" "$@"
}

@test "net private: rootless with a 0600 /dev/net/tun fails naming the device and the fix; root works with it" {
	is_root || skip "needs root to make a 0600 node for a user (the rootless case, run as root for any host)"
	[[ -c /dev/net/tun ]] || skip "the host has no /dev/net/tun"
	local uid=65534
	run --separate-stderr tun_node_run 0600 "$uid" "$FVM" run --net private nt -- true
	assert_eq "$status" 125 "fvm's own failure: $stderr"
	assert_contains "$stderr" "VM 'nt': --net private needs /dev/net/tun, which this user (uid $uid) cannot open (mode 0600, owner 0)" "the message"
	assert_contains "$stderr" "run fvm as root" "the fix"
	assert_contains "$stderr" "chmod 0666 /dev/net/tun" "the fix"
	# the same user with a 0666 node gets its network (the VM the failed run
	# made has --net private already: a setting is not given twice)
	run --separate-stderr tun_node_run 0666 "$uid" "$FVM" run nt -- cat /proc/net/dev
	assert_eq "$status" 0 "with a 0666 node: $stderr"
	assert_match "$output" 'eth0|ens|enp' "pasta's interface"
	run tun_node_run 0666 "$uid" "$FVM" rm -f nt
	# as root, the host's node (whatever its mode) serves pasta through a
	# private node of the VM's root; the host's node is unchanged
	local before
	before=$(stat -c '%a %u %g %t:%T' /dev/net/tun)
	fvm create --net private web
	run -0 --separate-stderr fvm run web -- cat /proc/net/dev
	assert_eq "$(awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' <<<"$output" | grep -vc '^lo$')" 1 "interfaces besides lo"
	assert_eq "$(stat -c '%a %u %g %t:%T' /dev/net/tun)" "$before" "the host's /dev/net/tun"
}

@test "net private: pasta is gone after fvm stop" {
	fvm create --net private -p "$PORT1:80" web
	fvm_start web
	local p sup
	p=$(pasta_pid web)
	sup=$(awk '{ print $4 }' /proc/"$p"/stat)
	pid_alive "$p"
	assert_eq "$(cat /proc/"$sup"/comm)" fvm-net "pasta's supervisor"
	fvm stop web
	pid_dead "$p" || { echo "pasta $p still runs after fvm stop" >&2; return 1; }
	wait_for 5 pid_dead "$sup"
	# and the port is free again: a second start binds it
	fvm_start web
	p=$(pasta_pid web)
	pid_alive "$p"
	fvm stop web
	pid_dead "$p"
}

@test "net private: pasta is gone after the VM's last process exits" {
	fvm create --net private web
	fvm run web -- sleep 2 </dev/null >"$SCRATCH/run.out" 2>&1 3>&- &
	local runpid=$! p
	bg_track "$runpid"
	wait_for 5 test -s "$FVM_HOME/vms/web/run/net.pid"
	p=$(pasta_pid web)
	pid_alive "$p"
	wait "$runpid"
	assert_state web stopped
	wait_for 5 pid_dead "$p" || { echo "pasta $p still runs after the VM stopped by itself" >&2; return 1; }
	# back to back: the next boot does not trip over the last one's pasta
	run -0 fvm run web -- true
	run -0 fvm run web -- true
}

@test "net private: pasta dies with its supervisor; the VM stays up" {
	fvm create --net private web
	fvm_start web
	local p sup
	p=$(pasta_pid web)
	sup=$(awk '{ print $4 }' /proc/"$p"/stat)
	assert_eq "$(cat /proc/"$sup"/comm)" fvm-net "pasta's supervisor"
	kill -KILL "$sup"
	wait_for 5 pid_dead "$p" || { echo "pasta $p outlived its supervisor" >&2; return 1; }
	assert_state web running
}

@test "net private: a host abstract socket is unreachable from the VM" {
	fvm create --net private web
	local name=fvm-test-$TEST_ID
	host_abstract_listener "$name"
	run -0 --separate-stderr fvm run web -- "$PROBE" connect-abstract "$name"
	assert_eq "$output" errno=ECONNREFUSED "connect from the VM"
	run -0 "$PROBE" connect-abstract "$name"
	assert_eq "$output" ok "connect from the host"
}

@test "net private: with --host-loopback on, DNS to the gateway reaches a resolver on the host's loopback" {
	is_root || skip "the test's resolver binds port 53"
	ss -Hlun | awk '{ print $4 }' | grep -qE '(^|:)53$' && skip "port 53 is taken on the host"
	cat >"$SCRATCH/dns.py" <<-'EOF'
		# answers every A query with 10.1.2.3, anything else with no answer
		import socket, struct
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		s.bind(("127.0.0.1", 53))
		s.settimeout(30)
		while True:
		    try:
		        q, a = s.recvfrom(512)
		    except socket.timeout:
		        break
		    i = 12
		    while q[i]:
		        i += q[i] + 1
		    qtype = struct.unpack(">H", q[i + 1:i + 3])[0]
		    question = q[12:i + 5]
		    ans = b""
		    if qtype == 1:
		        ans = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton("10.1.2.3")
		    s.sendto(q[:2] + struct.pack(">HHHHH", 0x8180, 1, 1 if ans else 0, 0, 0) + question + ans, a)
	EOF
	timeout 40 python3 "$SCRATCH/dns.py" </dev/null >"$SCRATCH/dns.log" 2>&1 3>&- &
	bg_track $!
	fvm create --net private --host-loopback on web
	fvm_start web
	local gw
	gw=$(gateway web)
	# the VM's own copy of resolv.conf (copy-on-write), at the gateway
	fvm exec web -- sh -c "echo nameserver $gw >/etc/resolv.conf"
	run -0 --separate-stderr fvm exec web -- getent ahostsv4 "fvm-$TEST_ID.example"
	assert_match "$output" '^10\.1\.2\.3 ' "the answer of the host's resolver"
}

@test "net none: no route but loopback: the host's server is out of reach" {
	host_serve "$PORT1"
	fvm create --net none web
	run -0 --separate-stderr fvm run web -- ip -4 route show
	assert_eq "$output" "" "routes of a --net none VM"
	local hostaddr
	hostaddr=$(ip -4 -o addr show scope global | awk '{ sub(/\/.*/, "", $4); print $4; exit }')
	run -0 --separate-stderr fvm run web -- python3 "$SCRATCH/get.py" "${hostaddr:-192.0.2.1}" "$PORT1"
	assert_eq "$output" ENETUNREACH "connect to the host's address"
	run -0 --separate-stderr fvm run web -- python3 "$SCRATCH/get.py" 127.0.0.1 "$PORT1"
	assert_eq "$output" ECONNREFUSED "127.0.0.1 inside is the VM's own"
}
