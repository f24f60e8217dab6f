package cli

import (
	"fmt"
	"os"

	urfavecli "github.com/urfave/cli/v2"

	"github.com/errata-tool/errata/ingest"
	"github.com/errata-tool/errata/store"
)

func importCommand(env *Env) *urfavecli.Command {
	return &urfavecli.Command{
		Name:      "import",
		Usage:     "load GitHub REST issue JSON (gh api --paginate output, or one object per line) from files or - (stdin)",
		ArgsUsage: "FILE...|-",
		Action: func(c *urfavecli.Context) error {
			if c.NArg() == 0 {
				return usageError("import: name one or more files, or - for standard input")
			}
			s, err := env.Store(c)
			if err != nil {
				return err
			}
			bad := 0
			for _, name := range c.Args().Slice() {
				var sum ingest.ImportSummary
				if name == "-" {
					sum, err = ingest.Import(c.Context, s, env.Stdin, "-")
				} else {
					f, oerr := os.Open(name)
					if oerr != nil {
						return fmt.Errorf("import: %w", oerr)
					}
					sum, err = ingest.Import(c.Context, s, f, name)
					f.Close()
				}
				for _, b := range sum.Bad {
					env.logger().Error("skipped bad record", "error", b.Error())
				}
				if err != nil {
					return err
				}
				bad += len(sum.Bad)
				fmt.Fprintf(env.Stdout, "%s: %d records: issues %s; pull requests %s; comments %s; %d bad records skipped\n",
					name, sum.Records, resultText(sum.Issues), resultText(sum.PullRequests), resultText(sum.Comments), len(sum.Bad))
			}
			if bad > 0 {
				return urfavecli.Exit(fmt.Sprintf("import: %d bad records skipped (listed above); the rest were imported", bad), ExitFailure)
			}
			return nil
		},
	}
}

func resultText(r store.UpsertResult) string {
	s := fmt.Sprintf("%d new, %d updated, %d unchanged", r.Inserted, r.Updated, r.Unchanged)
	if r.Skipped > 0 {
		s += fmt.Sprintf(", %d without their issue", r.Skipped)
	}
	return s
}
