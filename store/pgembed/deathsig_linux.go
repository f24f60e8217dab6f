package pgembed

import "syscall"

// dieWithParent has the kernel kill the child when errata dies.
func dieWithParent(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
