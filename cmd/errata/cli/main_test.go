package cli_test

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/errata-tool/errata/cmd/errata/cli"
)

// TestMain lets a test run this test binary as the errata command itself
// (see errataExec), for the few behaviours urfave/cli ties to the process:
// shell completion reads os.Args.
func TestMain(m *testing.M) {
	if os.Getenv("ERRATA_CLI_TEST_AS_ERRATA") == "1" {
		os.Exit(cli.Run(context.Background(), &cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Stdin: os.Stdin, Getenv: os.Getenv}, os.Args))
	}
	os.Exit(m.Run())
}

// errataExec runs this test binary as errata with args and returns its
// standard output.
func errataExec(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "ERRATA_CLI_TEST_AS_ERRATA=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("errata %v: %v", args, err)
	}
	return string(out)
}
