package cli

import (
	"flag"
	"strings"

	urfavecli "github.com/urfave/cli/v2"
)

// urfave/cli v2 keeps two objects at package level and writes to them on
// every run: HelpFlag (BoolFlag.Apply records its default) and the help
// command it appends to each command without one (setup writes its
// separator and help name). Two apps running at once in one process (the
// in-process tests, each a cli.Run) race on them; `go test -race` found
// it. errata gives each app its own: HelpFlag applies a copy of itself,
// and every command gets a help subcommand of its own, identical to
// urfave's (same names, usage and action), so urfave's shared one is
// never appended.

// urfaveHelpAction is the action of urfave's help command: a new App's
// Setup makes it the app's action. It is read once, here, at init.
var urfaveHelpAction = func() urfavecli.ActionFunc {
	a := &urfavecli.App{HideHelp: true}
	a.Setup()
	return a.Action
}()

func init() {
	// The same for the version and completion flags, which urfave adds to
	// the root command's flags and applies on every run.
	if f, ok := urfavecli.HelpFlag.(*urfavecli.BoolFlag); ok {
		urfavecli.HelpFlag = copiedBoolFlag{f}
	}
	if f, ok := urfavecli.VersionFlag.(*urfavecli.BoolFlag); ok {
		urfavecli.VersionFlag = copiedBoolFlag{f}
	}
	if f, ok := urfavecli.BashCompletionFlag.(*urfavecli.BoolFlag); ok {
		urfavecli.BashCompletionFlag = copiedBoolFlag{f}
	}
}

// copiedBoolFlag is a BoolFlag that applies a copy of itself, so applying
// it to a flag set writes nothing shared.
type copiedBoolFlag struct{ *urfavecli.BoolFlag }

// Apply registers a copy of the flag with set.
func (f copiedBoolFlag) Apply(set *flag.FlagSet) error {
	c := *f.BoolFlag
	return c.Apply(set)
}

// helpSubcommandAction is urfave's help action, except that `errata db
// help stop` runs `errata db stop --help`, as errata's own help command
// does: urfave would render stop's help with the subcommand template,
// stop now having a help subcommand of its own.
func helpSubcommandAction(c *urfavecli.Context) error {
	if c.NArg() == 0 || len(c.Lineage()) < 2 || c.Lineage()[1].Command == nil {
		return urfaveHelpAction(c)
	}
	parent := c.Lineage()[1].Command
	if len(parent.Subcommands) == 0 || parent.Command(c.Args().First()) == nil {
		return urfaveHelpAction(c)
	}
	args := strings.Fields(parent.HelpName)
	args = append(args, c.Args().Slice()...)
	return c.App.RunContext(c.Context, append(args, "--help"))
}

// ownHelpSubcommand gives cmd (and its subcommands) a help subcommand of
// its own where urfave would append its shared one.
func ownHelpSubcommand(cmd *urfavecli.Command) {
	if cmd.HideHelp || cmd.HideHelpCommand {
		return
	}
	if cmd.Command("help") == nil {
		cmd.Subcommands = append(cmd.Subcommands, &urfavecli.Command{
			Name:      "help",
			Aliases:   []string{"h"},
			Usage:     "Shows a list of commands or help for one command",
			ArgsUsage: "[command]",
			Action:    helpSubcommandAction,
		})
	}
}
