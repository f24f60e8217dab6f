package cli

import (
	"fmt"

	urfavecli "github.com/urfave/cli/v2"

	"github.com/errata-tool/errata/store"
)

func dbCommand(env *Env) *urfavecli.Command {
	return &urfavecli.Command{
		Name:  "db",
		Usage: "manage the embedded default database (used when no --database-url is given)",
		Subcommands: []*urfavecli.Command{
			{
				Name:  "start",
				Usage: "initialise (first time) and start the embedded database; it runs until 'errata db stop'",
				Action: func(c *urfavecli.Context) error {
					cl, err := env.cluster(c)
					if err != nil {
						return err
					}
					u, err := cl.Start(c.Context)
					if err != nil {
						return err
					}
					fmt.Fprintf(env.Stdout, "embedded database running in %s\n%s\n", cl.Root, u)
					return nil
				},
			},
			{
				Name:  "stop",
				Usage: "stop the embedded database",
				Action: func(c *urfavecli.Context) error {
					cl, err := env.cluster(c)
					if err != nil {
						return err
					}
					stopped, err := cl.Stop(c.Context)
					if err != nil {
						return err
					}
					if stopped {
						fmt.Fprintln(env.Stdout, "embedded database stopped")
					} else {
						fmt.Fprintln(env.Stdout, "embedded database was not running")
					}
					return nil
				},
			},
			{
				Name:  "status",
				Usage: "say whether the embedded database exists and runs",
				Action: func(c *urfavecli.Context) error {
					cl, err := env.cluster(c)
					if err != nil {
						return err
					}
					st, err := cl.Status(c.Context)
					if err != nil {
						return err
					}
					state := "not initialised"
					switch {
					case st.Running:
						state = "running"
					case st.Initialized:
						state = "stopped"
					}
					fmt.Fprintf(env.Stdout, "state:    %s\ncluster:  %s\nbinaries: %s\nurl:      %s\n", state, st.Root, st.BinDir, st.URL)
					return nil
				},
			},
			{
				Name:  "url",
				Usage: "print the database URL errata uses (psql accepts it); the password, if any, is hidden",
				Action: func(c *urfavecli.Context) error {
					if u := c.String("database-url"); u != "" {
						fmt.Fprintln(env.Stdout, store.RedactURL(u))
						return nil
					}
					cl, err := env.cluster(c)
					if err != nil {
						return err
					}
					fmt.Fprintln(env.Stdout, cl.URL())
					return nil
				},
			},
		},
	}
}

func migrateCommand(env *Env) *urfavecli.Command {
	return &urfavecli.Command{
		Name:  "migrate",
		Usage: "apply pending database migrations (other commands do this automatically)",
		Action: func(c *urfavecli.Context) error {
			u, err := env.DatabaseURL(c)
			if err != nil {
				return err
			}
			s, err := store.Open(c.Context, u) // Open migrates
			if err != nil {
				return err
			}
			defer s.Close()
			v, err := s.SchemaVersionGet(c.Context)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "database at schema version %d\n", v)
			return nil
		},
	}
}
