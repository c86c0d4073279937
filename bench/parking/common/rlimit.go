package common

import "syscall"

type syscallRlimit = syscall.Rlimit

func getrl(r *syscall.Rlimit)       { _ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, r) }
func setrl(r *syscall.Rlimit) error { return syscall.Setrlimit(syscall.RLIMIT_NOFILE, r) }
