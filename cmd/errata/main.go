// Command errata turns GitHub issues into evidence about the errors people
// hit. The commands live in package cli; this file only wires the process
// to them.
//
// Signals are left to the commands: sync, run and worker stop after the
// current page on the first SIGINT or SIGTERM (and abort on the second);
// the others end at once, and their open transaction rolls back.
package main

import (
	"context"
	"os"

	"github.com/errata-tool/errata/cmd/errata/cli"
)

func main() {
	os.Exit(cli.Run(context.Background(), &cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Stdin: os.Stdin, Getenv: os.Getenv}, os.Args))
}
