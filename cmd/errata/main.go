// Command errata turns GitHub issues into evidence about the errors people
// hit. The commands live in package cli; this file only wires the process
// to them.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/errata-tool/errata/cmd/errata/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, &cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Stdin: os.Stdin, Getenv: os.Getenv}, os.Args)
	stop()
	os.Exit(code)
}
