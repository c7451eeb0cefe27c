#!/bin/sh
# Installs what building and testing Sesame needs, on Debian and Ubuntu with
# apt-get; elsewhere it prints what to install by hand. Usage:
#   scripts/deps.sh build   # compilers and libraries for `make run`
#   scripts/deps.sh test    # plus the real peers the tests run against
#   scripts/deps.sh package # plus the Windows cross-compiler for make package
set -eu

what=${1:-build}

# cgo and Fyne (GLFW 3.4 with X11 and Wayland), and libpcap for sesamed.
build_pkgs="gcc pkg-config libgl1-mesa-dev xorg-dev libwayland-dev libxkbcommon-dev wayland-protocols libpcap-dev"
# The real parts the tests use: namespaces, firewalls, capture, knockd and
# knock, fwknop's client and server (the SPA peers), OpenSSH, a Secret
# Service, a display, and the full-screen programs
# the terminal tests run in a pty, and xdotool and xwd (x11-apps) to drive
# and photograph the app's real window under Xvfb, GTK 3 for Python (a
# real XDND drop target for the drag out of the Files pane); Wine and mingw-w64 for
# the Windows build's end-to-end tests (internal/winetest).
test_pkgs="iproute2 iptables ipset nftables tcpdump knockd fwknop-client fwknop-server openssh-server openssh-client curl gnome-keyring dbus dbus-x11 xvfb xdotool x11-apps python3-gi gir1.2-gtk-3.0 vim less tmux htop wine wine64 gcc-mingw-w64-x86-64"

# make package cross-compiles the Windows .exe with cgo (Fyne) through
# mingw-w64 (windres for its icon and version) and zips it.
package_pkgs="gcc-mingw-w64-x86-64 zip"

pkgs=$build_pkgs
[ "$what" = test ] && pkgs="$build_pkgs $test_pkgs"
[ "$what" = package ] && pkgs="$build_pkgs $package_pkgs"

missing=""
if command -v dpkg-query >/dev/null 2>&1; then
	for p in $pkgs; do
		status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		case "$status" in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
	done
else
	echo "deps: this is not a Debian/Ubuntu system; install the equivalents of:" >&2
	echo "  $pkgs" >&2
	echo "  (Fedora: gcc libX11-devel libXcursor-devel libXrandr-devel libXinerama-devel libXi-devel libXxf86vm-devel mesa-libGL-devel wayland-devel libxkbcommon-devel libpcap-devel ...)" >&2
	exit 0
fi

if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ]; then
		sudo=""
	elif command -v sudo >/dev/null 2>&1; then
		sudo="sudo"
	else
		echo "deps: missing packages:$missing" >&2
		echo "deps: run as root:  apt-get install -y$missing" >&2
		exit 1
	fi
	echo "deps: installing:$missing"
	# Keep package scripts from starting sshd or knockd as system services:
	# the tests start their own copies inside network namespaces.
	added_policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
		$sudo chmod +x /usr/sbin/policy-rc.d
		added_policy=1
	fi
	trap '[ -n "$added_policy" ] && $sudo rm -f /usr/sbin/policy-rc.d' EXIT
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	# shellcheck disable=SC2086
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if ! command -v go >/dev/null 2>&1; then
	echo "deps: Go is not installed: get Go 1.26 or newer from https://go.dev/dl/ (or put /usr/local/go/bin on PATH)" >&2
	exit 1
fi
