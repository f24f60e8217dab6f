//go:build !windows

package pgembed

import (
	"os"
	"os/exec"
	"testing"
)

// TestPidGone checks the liveness test used where there is no /proc
// (macOS): a running process is alive, a reaped child is gone.
func TestPidGone(t *testing.T) {
	t.Parallel()
	if pidGone(os.Getpid()) {
		t.Fatal("pidGone says this test process is gone")
	}
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatalf("run true: %v", err)
	}
	if !pidGone(cmd.Process.Pid) {
		t.Fatalf("pidGone says reaped pid %d lives", cmd.Process.Pid)
	}
}
