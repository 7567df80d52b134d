package demo

import "syscall"

// childProcAttr puts sluice in its own process group, so that a Ctrl-C on
// the terminal reaches the demo alone and the demo stops sluice in order,
// and has the kernel kill it when the demo dies.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
