#!/usr/bin/env bash
# make demo: Sesame end to end on this machine, in two network namespaces.
# A server namespace runs a real sshd guarded by iptables and sesamed (its
# native open action: no shell, a tagged rule); a client namespace runs
# `sesame connect`, with its profile in a throw-away keyring. Watch the firewall rule appear for the session and
# disappear when it ends. Everything is removed at the end.
set -euo pipefail

sesame=${1:?usage: demo.sh PATH-TO-SESAME PATH-TO-SESAMED}
sesamed=${2:?usage: demo.sh PATH-TO-SESAME PATH-TO-SESAMED}
sesame=$(readlink -f "$sesame")
sesamed=$(readlink -f "$sesamed")
if [ "$(id -u)" != 0 ]; then
	echo "make demo needs root (network namespaces and iptables): run sudo make demo" >&2
	exit 1
fi
for tool in ip iptables ipset sshd dbus-daemon gnome-keyring-daemon unshare ssh-keygen; do
	command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || {
		echo "make demo needs $tool: run make deps-test (Debian/Ubuntu) first" >&2
		exit 1
	}
done

id=$$
cns=sesame-demo-$id-c
sns=sesame-demo-$id-s
work=$(mktemp -d /tmp/sesame-demo.XXXXXX)
pids=()

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for ns in "$cns" "$sns"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT

# Bold headings only on a terminal, and never under NO_COLOR (no-color.org).
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	say() { printf '\n== %s\n' "$*"; }
fi
S() { ip netns exec "$sns" "$@"; }
C() { ip netns exec "$cns" "$@"; }

say "Two namespaces: client 192.0.2.2 ↔ server 192.0.2.1 (documentation addresses, private to this machine)"
ip netns add "$cns"
ip netns add "$sns"
ip link add veth-c netns "$cns" type veth peer name veth-s netns "$sns"
C ip link set lo up; S ip link set lo up
C ip addr add 192.0.2.2/24 dev veth-c; S ip addr add 192.0.2.1/24 dev veth-s
C ip link set veth-c up; S ip link set veth-s up

say "Server: sshd on port 22, dropped by the firewall unless a knock opens it"
S iptables -w -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
S iptables -w -A INPUT -p tcp --dport 22 -j DROP
S iptables -S INPUT
mkdir -p /run/sshd "$work/server/root"
ssh-keygen -q -t ed25519 -N '' -f "$work/server/host_key"
cat >"$work/server/sshd_config" <<EOF
Port 22
ListenAddress 192.0.2.1
HostKey $work/server/host_key
PidFile $work/server/sshd.pid
AuthorizedKeysFile $work/server/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
EOF
# root's home in the session is an empty directory of the demo's own.
S unshare --mount --propagation private -- sh -c \
	'mount --bind "$1" /root && exec /usr/sbin/sshd -D -f "$2"' sh "$work/server/root" "$work/server/sshd_config" &
pids+=($!)

cat >"$work/server/knockd.conf" <<'EOF'
[options]
	Firewall = iptables
[SSH]
	sequence       = 7000,8000,9000
	seq_timeout    = 5
	tcpflags       = syn
	open_ports     = 22
	access_time    = 0
	close_sequence = 9000,8000,7000
EOF
echo "knock server: sesamed, with one door that opens port 22 for the knocker and a close sequence:"
sed 's/^/  /' "$work/server/knockd.conf"
S "$sesamed" -i veth-s -c "$work/server/knockd.conf" -p "$work/server/sesamed.pid" -v >"$work/server/sesamed.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "listening on" "$work/server/sesamed.log" && break; sleep 0.1; done

say "Client: a throw-away keyring (gnome-keyring on a private D-Bus) and home"
export HOME=$work/client SESAME_CONFIG_DIR=$work/client/config XDG_RUNTIME_DIR=$work/client/run
mkdir -p "$HOME/.ssh" "$XDG_RUNTIME_DIR"
chmod 700 "$HOME/.ssh" "$XDG_RUNTIME_DIR"
bus=$work/client/bus
dbus-daemon --session --nofork --address="unix:path=$bus" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -S "$bus" ] && break; sleep 0.1; done
export DBUS_SESSION_BUS_ADDRESS=unix:path=$bus
echo demo | gnome-keyring-daemon --unlock --components=secrets >/dev/null
ssh-keygen -q -t ed25519 -N '' -f "$HOME/.ssh/id_ed25519"
cp "$HOME/.ssh/id_ed25519.pub" "$work/server/authorized_keys"

say "sesame profile add demo (the sequences go to the keyring, not to a file)"
C "$sesame" profile add demo --host 192.0.2.1 --user root --open 7000,8000,9000 --close 9000,8000,7000
C "$sesame" profile show demo
echo "settings file:"; sed 's/^/  /' "$SESAME_CONFIG_DIR/sesame.yaml"

# sesamed's open rules live in an ipset, matched from its chain SESAMED.
rules='iptables -S; echo "ipset sesamed_allow4:"; ipset list sesamed_allow4 | sed -n "/^Members:/,\$p" | tail -n +2'

say "The server's firewall before: no rule for 192.0.2.2"
S sh -c "$rules"

say "sesame connect demo -- uname -a  (knock, SSH on the same address, close knock)"
C "$sesame" connect --accept-new -v demo -- \
	'uname -a; echo "-- the server firewall during the session:"; ipset list sesamed_allow4 | grep 192.0.2.2'

say "The server's firewall after: the close knock removed the rule"
for _ in $(seq 50); do S sh -c "$rules" | grep -q 192.0.2.2 || break; sleep 0.1; done
S sh -c "$rules"
if S sh -c "$rules" | grep -q 192.0.2.2; then
	echo "the rule for 192.0.2.2 is still there" >&2
	exit 1
fi
echo; echo "sesamed's log (knockd's wording):"; grep -v '^ *$' "$work/server/sesamed.log" | tail -12 | sed 's/^/  /'
say "Done: the door opened for the session and is shut again."
