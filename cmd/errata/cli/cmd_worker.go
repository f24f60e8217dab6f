package cli

import (
	"context"
	"fmt"
	"net/url"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	urfavecli "github.com/urfave/cli/v2"

	"github.com/errata-tool/errata/runner"
	"github.com/errata-tool/errata/worker"
)

// workerCommand is `errata worker`: a long-running process on River that
// keeps the sources in sync; run as many as needed against one database.
func workerCommand(env *Env) *urfavecli.Command {
	return &urfavecli.Command{
		Name:  "worker",
		Usage: "keep the configured sources in sync as a long-running process; several workers share one database",
		Description: `Each source is synced at its interval (sources.*.interval, else
schedule.interval, else 1h) by whichever worker is free; classify and pages
follow syncs that stored something. Serves /metrics and /healthz on
--metrics-addr. SIGTERM or SIGINT: running syncs stop after their current
page, and the worker exits.`,
		Flags: append(pipelineFlags(),
			&urfavecli.StringFlag{Name: "metrics-addr", Value: "127.0.0.1:9464", Usage: "serve /metrics and /healthz on `HOST:PORT` (env: ERRATA_METRICS_ADDR; empty: off)"},
			&urfavecli.IntFlag{Name: "concurrency", Value: 2, Usage: "sources this worker syncs at once"},
			&urfavecli.DurationFlag{Name: "max-wait", Value: time.Minute, Usage: "longest rate-limit wait inside a job; a longer one snoozes the job until the limit resets"},
			&urfavecli.DurationFlag{Name: "shutdown-timeout", Value: 30 * time.Second, Usage: "how long running jobs get to finish on SIGTERM"},
			&urfavecli.DurationFlag{Name: "job-timeout", Value: time.Hour, Usage: "longest a job may run"},
			&urfavecli.DurationFlag{Name: "rescue-after", Usage: "retry elsewhere a job whose worker vanished after this long (default job-timeout + 5m)"},
			&urfavecli.DurationFlag{Name: "poll-interval", Value: time.Second, Usage: "how often an idle worker polls for jobs", Hidden: true},
			&urfavecli.StringFlag{Name: "id", Usage: "worker id (default: random)", Hidden: true},
		),
		Action: func(c *urfavecli.Context) error {
			if c.NArg() > 0 {
				return usageError("worker: unexpected argument %q", c.Args().First())
			}
			if c.Int("concurrency") < 1 {
				return usageError("worker: --concurrency must be at least 1")
			}
			ctx, stop := signal.NotifyContext(c.Context, syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			// Each running sync holds a connection for its source lock and
			// uses another for its page commits; River needs a few of its
			// own (listener, producers, leader): size the pool for that
			// unless the URL says.
			u, err := env.DatabaseURL(c)
			if err != nil {
				return err
			}
			env.dbURL = withPoolSize(u, 2*c.Int("concurrency")+8) // + a classify batch extraction and the classify run's two
			metrics := runner.NewMetrics()
			p, err := buildPipeline(c, env, metrics, c.Duration("max-wait"))
			if err != nil {
				return err
			}
			log := env.logger()
			if len(p.Sources) == 0 {
				log.Warn("no sources configured: the worker only classifies and writes pages")
			}
			if err := worker.Migrate(ctx, p.Store, log); err != nil {
				return err
			}
			w, err := worker.New(worker.Config{
				Pipeline:          p,
				SyncConcurrency:   c.Int("concurrency"),
				ShutdownTimeout:   c.Duration("shutdown-timeout"),
				JobTimeout:        c.Duration("job-timeout"),
				RescueAfter:       c.Duration("rescue-after"),
				FetchPollInterval: c.Duration("poll-interval"),
				ID:                c.String("id"),
				Logger:            log,
			})
			if err != nil {
				return err
			}
			if addr := c.String("metrics-addr"); addr != "" {
				srv, err := runner.Serve(addr, metrics, func(ctx context.Context) error {
					return p.Store.Ping(ctx)
				}, log)
				if err != nil {
					return err
				}
				log.Info("serving metrics", "addr", "http://"+srv.Addr()+"/metrics")
				defer func() {
					sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					defer cancel()
					_ = srv.Close(sctx)
				}()
			}
			go refreshLag(ctx, p)
			if err := w.Run(ctx); err != nil {
				return fmt.Errorf("worker: %w", err)
			}
			return nil
		},
	}
}

// refreshLag keeps the classify lag gauge current between classify jobs.
func refreshLag(ctx context.Context, p *runner.Pipeline) {
	t := time.NewTicker(15 * time.Second)
	defer t.Stop()
	for {
		_ = p.UpdateClassifyLag(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// withPoolSize adds pool_max_conns=n to a database URL or key=value DSN
// that does not set it.
func withPoolSize(raw string, n int) string {
	if strings.Contains(raw, "pool_max_conns") {
		return raw
	}
	if u, err := url.Parse(raw); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("pool_max_conns", strconv.Itoa(n))
		u.RawQuery = q.Encode()
		return u.String()
	}
	return raw + " pool_max_conns=" + strconv.Itoa(n)
}
