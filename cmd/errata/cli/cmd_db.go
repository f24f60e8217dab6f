package cli

import (
	"fmt"
	"strings"

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
						fmt.Fprintf(env.Stdout, "stopped the embedded PostgreSQL server of data dir %s (cluster in %s)\n", cl.DataDir, cl.Root)
					} else {
						fmt.Fprintf(env.Stdout, "the embedded PostgreSQL server of data dir %s was not running (cluster in %s)\n", cl.DataDir, cl.Root)
					}
					return nil
				},
			},
			{
				Name:  "destroy",
				Usage: "stop the embedded database and delete it, wherever it lives (also under /var/lib/errata); needs --yes",
				Description: "Deletes the cluster of the data dir and every issue, cluster and page record in it.\n" +
					"The data dir itself and other files in it stay. Pages already written stay too.",
				Flags: []urfavecli.Flag{&urfavecli.BoolFlag{Name: "yes", Usage: "really delete it"}},
				Action: func(c *urfavecli.Context) error {
					cl, err := env.cluster(c)
					if err != nil {
						return err
					}
					if !c.Bool("yes") {
						return usageError("db destroy: this deletes the embedded database in %s and everything stored in it; run again with --yes", strings.Join(cl.Roots(), " and "))
					}
					removed, err := cl.Destroy(c.Context)
					for _, r := range removed {
						fmt.Fprintf(env.Stdout, "removed the embedded database in %s\n", r)
					}
					if err != nil {
						return err
					}
					if len(removed) == 0 {
						fmt.Fprintf(env.Stdout, "no embedded database for data dir %s\n", cl.DataDir)
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
