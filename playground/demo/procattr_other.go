//go:build !linux

package demo

import "syscall"

// childProcAttr puts sluice in its own process group, so that a Ctrl-C on
// the terminal reaches the demo alone and the demo stops sluice in order.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
