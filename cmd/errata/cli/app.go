// Package cli builds the errata command-line app. NewApp and Run take an
// Env (standard streams and environment), so tests run the real app
// in-process with their own writers and variables.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	urfavecli "github.com/urfave/cli/v2"

	"github.com/errata-tool/errata/config"
	"github.com/errata-tool/errata/llm"
	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/pgembed"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// Env is what commands read from and write to.
type Env struct {
	Stdout, Stderr io.Writer
	Stdin          io.Reader
	Getenv         func(string) string
	Logger         *slog.Logger

	cfg    *config.Config
	store  *store.Store
	dbURL  string
	closer []func()
}

// usageErr marks errors that should exit with ExitUsage.
type usageErr struct{ msg string }

func (e *usageErr) Error() string { return e.msg }

func usageError(format string, args ...any) error {
	return &usageErr{msg: fmt.Sprintf(format, args...)}
}

// NewApp builds the errata app.
func NewApp(env *Env) *urfavecli.App {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if env.Stdin == nil {
		env.Stdin = strings.NewReader("")
	}
	app := &urfavecli.App{
		Name:      "errata",
		Usage:     "turn GitHub issues into evidence about the errors people hit",
		Version:   readBuildInfo().Short(),
		Writer:    env.Stdout,
		ErrWriter: env.Stderr,
		Flags: []urfavecli.Flag{
			&urfavecli.StringFlag{Name: "database-url", Usage: "PostgreSQL URL; empty uses the embedded default database in the data dir (env: DATABASE_URL)"},
			&urfavecli.StringFlag{Name: "data-dir", Usage: "where errata keeps its embedded database and state (env: ERRATA_DATA_DIR; default $XDG_DATA_HOME/errata)"},
			&urfavecli.StringFlag{Name: "config", Usage: "config file (env: ERRATA_CONFIG; default ./errata.yaml when present)"},
			&urfavecli.StringFlag{Name: "log-format", Value: "text", Usage: "text or json (env: ERRATA_LOG_FORMAT)"},
			&urfavecli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error (env: ERRATA_LOG_LEVEL)"},
			urfavecli.HelpFlag, // added by hand: urfave/cli skips it when a command is named help
		},
		Before: func(c *urfavecli.Context) error {
			if err := env.setup(c); err != nil {
				return err
			}
			// A config named by --config or ERRATA_CONFIG is checked
			// for every command, so a typo in its path or a bad file is
			// never silently ignored.
			if c.String("config") != "" {
				_, err := env.Config(c)
				return err
			}
			return nil
		},
		After: func(*urfavecli.Context) error {
			env.close()
			return nil
		},
		OnUsageError: func(c *urfavecli.Context, err error, _ bool) error {
			return usageError("%v%s", err, suggestFlag(err, c.App.Flags))
		},
		CommandNotFound: func(c *urfavecli.Context, name string) {
			cmds, help := c.App.Commands, "errata help"
			if c.Command != nil && len(c.Command.Subcommands) > 0 {
				cmds, help = c.Command.Subcommands, "errata "+c.Command.Name+" --help"
			}
			fmt.Fprintf(env.Stderr, "errata: unknown command %q%s (see %s)\n", name, suggestCommand(name, cmds), help)
		},
		ExitErrHandler:       func(*urfavecli.Context, error) {},
		HideHelpCommand:      true, // errata's own help command (helpCommand) instead
		EnableBashCompletion: true, // for 'errata completion'
		Commands: []*urfavecli.Command{
			dbCommand(env),
			migrateCommand(env),
			importCommand(env),
			syncCommand(env),
			statusCommand(env),
			classifyCommand(env),
			clustersCommand(env),
			matchCommand(env),
			evalCommand(env),
			runCommand(env),
			workerCommand(env),
			llmCommand(env),
			trendsCommand(env),
			pagesCommand(env),
			mcpCommand(env),
			versionCommand(env),
			completionCommand(env),
			manCommand(env),
			helpCommand(),
		},
	}
	for _, cmd := range app.Commands {
		prepareCommand(env, cmd)
	}
	return app
}

// commandEnv maps command flags to their environment fallbacks. Like the
// global ones (globalEnv) they are read through Env.Getenv, never with
// urfave/cli's EnvVars, so that tests can inject an environment.
var commandEnv = map[string]string{
	"github-api-url": "GITHUB_API_URL",
	llm.FlagLLMModel: "ERRATA_LLM_MODEL",
	"metrics-addr":   "ERRATA_METRICS_ADDR",
}

// prepareCommand sets a command's (and its subcommands') usage-error
// handler and applies the environment fallbacks of its flags.
func prepareCommand(env *Env, cmd *urfavecli.Command) {
	cmd.OnUsageError = func(_ *urfavecli.Context, err error, _ bool) error {
		return usageError("%s: %v%s", cmd.Name, err, suggestFlag(err, cmd.Flags))
	}
	var fallbacks [][2]string
	for _, f := range cmd.Flags {
		for _, name := range f.Names() {
			if ev, ok := commandEnv[name]; ok {
				fallbacks = append(fallbacks, [2]string{name, ev})
			}
		}
	}
	if len(fallbacks) > 0 {
		before := cmd.Before
		cmd.Before = func(c *urfavecli.Context) error {
			for _, fe := range fallbacks {
				if v := env.Getenv(fe[1]); v != "" && !c.IsSet(fe[0]) {
					if err := c.Set(fe[0], v); err != nil {
						return usageError("%s=%q: %v", fe[1], v, err)
					}
				}
			}
			if before != nil {
				return before(c)
			}
			return nil
		}
	}
	for _, sub := range cmd.Subcommands {
		prepareCommand(env, sub)
	}
	ownHelpSubcommand(cmd) // after the walk: it needs no preparing
}

// Run runs the app with args (args[0] is the program name) and returns the
// process exit code. Errors are printed to env.Stderr.
func Run(ctx context.Context, env *Env, args []string) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(env.Stderr, "errata: internal error: %s\n", scrub(fmt.Sprint(r)))
			code = ExitFailure
		}
	}()
	for i, a := range args {
		if strings.IndexByte(a, 0) >= 0 || !utf8.ValidString(a) {
			name := "argument " + strconv.Itoa(i)
			if i > 0 && strings.HasPrefix(args[i-1], "-") && !strings.Contains(args[i-1], "=") {
				name = args[i-1]
			} else if f, _, ok := strings.Cut(a, "="); ok && strings.HasPrefix(f, "-") {
				name = f
			}
			fmt.Fprintf(env.Stderr, "errata: %s: contains a NUL character or invalid UTF-8\n", name)
			return ExitUsage
		}
	}
	app := NewApp(env)
	notFound := false
	notFoundMsg := app.CommandNotFound
	app.CommandNotFound = func(c *urfavecli.Context, name string) {
		notFound = true
		notFoundMsg(c, name)
	}
	err := app.RunContext(ctx, args)
	env.close()
	if notFound {
		return ExitUsage
	}
	if err == nil {
		return ExitOK
	}
	msg := scrub(err.Error())
	var ue *usageErr
	if errors.As(err, &ue) {
		fmt.Fprintf(env.Stderr, "errata: %s\n", msg)
		return ExitUsage
	}
	var ec urfavecli.ExitCoder
	if errors.As(err, &ec) {
		if msg != "" {
			fmt.Fprintf(env.Stderr, "errata: %s\n", msg)
		}
		return ec.ExitCode()
	}
	if strings.HasPrefix(msg, "flag provided but not defined") || strings.Contains(msg, "Required flag") {
		fmt.Fprintf(env.Stderr, "errata: %s\n", msg)
		return ExitUsage
	}
	fmt.Fprintf(env.Stderr, "errata: %s\n", msg)
	return ExitFailure
}

// globalEnv maps global flags to their environment fallbacks. They are
// applied by hand, through Env.Getenv, rather than with urfave/cli's
// EnvVars (which read the process environment), so that tests can inject
// an environment.
var globalEnv = [][2]string{
	{"database-url", "DATABASE_URL"},
	{"data-dir", "ERRATA_DATA_DIR"},
	{"config", "ERRATA_CONFIG"},
	{"log-format", "ERRATA_LOG_FORMAT"},
	{"log-level", "ERRATA_LOG_LEVEL"},
}

func (e *Env) setup(c *urfavecli.Context) error {
	for _, fe := range globalEnv {
		if v := e.Getenv(fe[1]); v != "" && !c.IsSet(fe[0]) {
			if err := c.Set(fe[0], v); err != nil {
				return usageError("%s=%q: %v", fe[1], v, err)
			}
		}
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.String("log-level"))); err != nil {
		return usageError("--log-level: want debug, info, warn or error, got %q", c.String("log-level"))
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.String("log-format") {
	case "text":
		e.Logger = slog.New(scrubHandler{slog.NewTextHandler(e.Stderr, opts)})
	case "json":
		e.Logger = slog.New(scrubHandler{slog.NewJSONHandler(e.Stderr, opts)})
	default:
		return usageError("--log-format: want text or json, got %q", c.String("log-format"))
	}
	return nil
}

func (e *Env) close() {
	for i := len(e.closer) - 1; i >= 0; i-- {
		e.closer[i]()
	}
	e.closer = nil
	e.store = nil
}

// Config returns the configuration: --config, else ./errata.yaml when it
// exists, else an empty configuration.
func (e *Env) Config(c *urfavecli.Context) (*config.Config, error) {
	if e.cfg != nil {
		return e.cfg, nil
	}
	path := c.String("config")
	if path == "" {
		if _, err := os.Stat("errata.yaml"); err == nil {
			path = "errata.yaml"
		}
	}
	if path == "" {
		e.cfg = &config.Config{}
		return e.cfg, nil
	}
	cfg, err := config.Load(path)
	if err != nil {
		// A missing or bad config is the user's to fix: exit 2.
		return nil, &usageErr{msg: err.Error()}
	}
	if cfg.Mode&0o044 != 0 && cfg.LLM != nil {
		e.logger().Warn("config file is readable by other users; keep secrets in environment variables, not in it", "file", path, "mode", fmt.Sprintf("%04o", cfg.Mode))
	}
	e.cfg = cfg
	return cfg, nil
}

func (e *Env) logger() *slog.Logger {
	if e.Logger == nil {
		e.Logger = slog.New(scrubHandler{slog.NewTextHandler(e.Stderr, nil)})
	}
	return e.Logger
}

// DataDir is --data-dir, else $XDG_DATA_HOME/errata, else
// ~/.local/share/errata.
func (e *Env) DataDir(c *urfavecli.Context) (string, error) {
	if d := c.String("data-dir"); d != "" {
		return d, nil
	}
	if x := e.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "errata"), nil
	}
	home := e.Getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no --data-dir and no home directory: %w", err)
		}
		home = h
	}
	return filepath.Join(home, ".local", "share", "errata"), nil
}

// cluster describes the embedded default database of the data dir.
func (e *Env) cluster(c *urfavecli.Context) (*pgembed.Cluster, error) {
	dir, err := e.DataDir(c)
	if err != nil {
		return nil, err
	}
	return pgembed.New(dir, e.Getenv)
}

// DatabaseURL returns --database-url, or starts the embedded default
// database and returns its URL.
func (e *Env) DatabaseURL(c *urfavecli.Context) (string, error) {
	if e.dbURL != "" {
		return e.dbURL, nil
	}
	if u := c.String("database-url"); u != "" {
		e.dbURL = u
		return u, nil
	}
	cl, err := e.cluster(c)
	if err != nil {
		return "", err
	}
	before, _ := cl.Status(c.Context)
	u, err := cl.Start(c.Context)
	if err != nil {
		return "", err
	}
	if !before.Running {
		e.logger().Info("started the embedded database server; it keeps running for later commands until 'errata db stop'", "cluster", cl.Root)
	}
	e.dbURL = u
	return u, nil
}

// Store opens the database (migrating it) once per command.
func (e *Env) Store(c *urfavecli.Context) (*store.Store, error) {
	if e.store != nil {
		return e.store, nil
	}
	u, err := e.DatabaseURL(c)
	if err != nil {
		return nil, err
	}
	s, err := store.Open(c.Context, u)
	if err != nil {
		return nil, err
	}
	e.store = s
	e.closer = append(e.closer, s.Close)
	return s, nil
}
