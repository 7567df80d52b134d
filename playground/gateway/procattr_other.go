//go:build !linux

package gateway

import "syscall"

// childProcAttr puts a child in its own process group. Outside Linux there is
// no parent-death signal: a parent that crashes may leave its children.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
