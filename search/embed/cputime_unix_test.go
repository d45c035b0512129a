//go:build unix

package embed_test

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time the process has used (user and system),
// which, unlike wall time, does not grow when other work shares the
// machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
