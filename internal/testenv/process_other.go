//go:build !unix

package testenv

import (
	"os"
	"os/exec"
)

// ownProcessGroup does nothing where there are no process groups: the services the integration
// tests start run on Linux only, and this keeps the module building elsewhere.
func ownProcessGroup(*exec.Cmd) {}

// signalGroup ends the process pgid itself; only a kill can be sent everywhere.
func signalGroup(pgid int, _ bool) error {
	p, err := os.FindProcess(pgid)
	if err != nil {
		return err
	}
	return p.Kill()
}
