package install

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// UnitName is the systemd service install sets up.
const UnitName = "sesamed.service"

// unitFile is the systemd unit: started once the network is up, ready
// (Type=notify) only once sesamed has set up the guard recorded in
// guardFile (install's record) and listens, restarted when it fails, and
// confined to what a packet-capturing firewall daemon
// needs: the capabilities to capture (CAP_NET_RAW) and to change the
// firewall (CAP_NET_ADMIN) and nothing else, a read-only system apart from
// the directories it writes its pid file, log file and one-time sequences
// to, and no access to home directories.
func unitFile(binary, config, guardFile string, writable []string) string {
	dirs := []string{"/run"} // knockd's pid file, /var/run/knockd.pid, lives here
	for _, p := range writable {
		if p == "" {
			continue
		}
		p = filepath.Clean(p)
		if d := filepath.Dir(p); !systemDir(d) {
			dirs = append(dirs, d)
		} else {
			// Install refuses this without --force: the file alone, so the
			// unit never opens all of /etc (a file sesamed replaces there
			// cannot be written, and its door then stays shut).
			dirs = append(dirs, p)
		}
	}
	slices.Sort(dirs)
	dirs = slices.Compact(dirs)
	rw := make([]string, len(dirs))
	for i, d := range dirs {
		rw[i] = "-" + d // "-": a directory that does not exist is not an error
	}
	return `[Unit]
Description=sesamed, a knockd-compatible port-knocking daemon
Documentation=man:sesamed(8) man:knockd(8)
After=network-online.target
Wants=network-online.target

[Service]
Type=notify
ExecStart=` + quoteExec(binary) + ` -c ` + quoteExec(config) + ` --guard ` + quoteExec(guardFile) + `
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=2s
CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW
AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_PACKET
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
SystemCallArchitectures=native
ReadWritePaths=` + strings.Join(rw, " ") + `

[Install]
WantedBy=multi-user.target
`
}

// quoteExec quotes a path for ExecStart when it needs it.
func quoteExec(s string) string {
	if !strings.ContainsAny(s, " \t\"'\\") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// systemDirs are directories a unit must never open for writing whole.
var systemDirs = []string{"/", "/etc", "/usr", "/usr/local", "/usr/local/etc", "/var", "/var/lib", "/opt", "/srv", "/home", "/root", "/boot"}

func systemDir(d string) bool { return slices.Contains(systemDirs, filepath.Clean(d)) }

// checkWritable refuses files the daemon writes (it replaces some of them
// atomically, through a file beside them) that sit right in a system
// directory: the unit would have to open that whole directory for writing.
func checkWritable(paths []string) error {
	for _, p := range paths {
		if p == "" {
			continue
		}
		if d := filepath.Dir(filepath.Clean(p)); systemDir(d) {
			return fmt.Errorf("%s: sesamed writes this file, and the service could do so only with all of %s writable: "+
				"move it into a directory of its own (say %s) and point the config at it, or pass --force (the file then stays read-only to the service)",
				p, d, filepath.Join(d, "knockd", filepath.Base(p)))
		}
	}
	return nil
}
