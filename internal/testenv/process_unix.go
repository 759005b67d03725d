//go:build unix

package testenv

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup starts cmd in a process group of its own: stopping the group reaches the workers
// a server forks.
func ownProcessGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// signalGroup sends SIGTERM, or SIGKILL if kill, to the process group pgid.
func signalGroup(pgid int, kill bool) error {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	return syscall.Kill(-pgid, sig)
}
