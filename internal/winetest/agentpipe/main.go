//go:build windows

// Command agentpipe is a test-only stand-in for Windows' OpenSSH agent
// service: it serves the ssh-agent protocol, with the one key whose file
// it is given, on the agent's named pipe \\.\pipe\openssh-ssh-agent. The
// Wine tests run it beside sesame.exe to show that Sesame logs in with
// the agent's key when the agent runs.
package main

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/sys/windows"
)

const pipeName = `\\.\pipe\openssh-ssh-agent`

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "agentpipe:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: agentpipe KEYFILE")
	}
	pem, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	key, err := ssh.ParseRawPrivateKey(pem)
	if err != nil {
		return fmt.Errorf("parse %s: %w", args[0], err)
	}
	keys := agent.NewKeyring()
	if err := keys.Add(agent.AddedKey{PrivateKey: key}); err != nil {
		return err
	}
	name, err := windows.UTF16PtrFromString(pipeName)
	if err != nil {
		return err
	}
	for first := true; ; first = false {
		// One instance per client, made before the last one is served,
		// so that a client never finds no pipe.
		h, err := windows.CreateNamedPipe(name, windows.PIPE_ACCESS_DUPLEX,
			windows.PIPE_TYPE_BYTE|windows.PIPE_READMODE_BYTE|windows.PIPE_WAIT,
			windows.PIPE_UNLIMITED_INSTANCES, 4096, 4096, 0, nil)
		if err != nil {
			return fmt.Errorf("create %s: %w", pipeName, err)
		}
		if first {
			fmt.Println("listening on", pipeName)
		}
		if err := windows.ConnectNamedPipe(h, nil); err != nil && !errors.Is(err, windows.ERROR_PIPE_CONNECTED) {
			windows.CloseHandle(h)
			return fmt.Errorf("accept on %s: %w", pipeName, err)
		}
		go func() {
			f := os.NewFile(uintptr(h), pipeName)
			defer f.Close()
			_ = agent.ServeAgent(keys, f)
		}()
	}
}
