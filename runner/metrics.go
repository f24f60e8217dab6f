package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are errata's Prometheus metrics. Every method is safe on a nil
// *Metrics (metrics off). Labels never carry a token: a token is named by
// its environment variable.
type Metrics struct {
	Registry *prometheus.Registry

	requests       *prometheus.CounterVec
	notModified    *prometheus.CounterVec
	rateRemaining  *prometheus.GaugeVec
	rateLimit      *prometheus.GaugeVec
	issuesSynced   *prometheus.CounterVec
	commentsSynced *prometheus.CounterVec
	syncs          *prometheus.CounterVec
	classifyLag    prometheus.Gauge
	classifyQueue  prometheus.Gauge
	jobFailures    *prometheus.CounterVec
	durations      *prometheus.HistogramVec
	runs           *prometheus.CounterVec
	lastSuccess    *prometheus.GaugeVec
}

// NewMetrics registers errata's metrics (and the Go and process
// collectors) on a registry of their own.
func NewMetrics() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "errata_github_requests_total",
			Help: "GitHub API requests sent (every attempt), by source."}, []string{"source"}),
		notModified: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "errata_github_not_modified_total",
			Help: "GitHub answers 304 Not Modified (free of rate limit), by source."}, []string{"source"}),
		rateRemaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "errata_github_rate_limit_remaining",
			Help: "Last X-RateLimit-Remaining seen for the core API, by token (its environment variable)."}, []string{"token"}),
		rateLimit: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "errata_github_rate_limit",
			Help: "Last X-RateLimit-Limit seen for the core API, by token."}, []string{"token"}),
		issuesSynced: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "errata_issues_synced_total",
			Help: "Issues stored by sync, by source and kind (new, updated)."}, []string{"source", "kind"}),
		commentsSynced: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "errata_comments_synced_total",
			Help: "Comments stored by sync, by source and kind (new, updated)."}, []string{"source", "kind"}),
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "errata_syncs_total",
			Help: "Source syncs finished, by source and result (ok, rate_limited, failed)."}, []string{"source", "result"}),
		classifyLag: prometheus.NewGauge(prometheus.GaugeOpts{Name: "errata_classify_lag_seconds",
			Help: "Age of the oldest issue or comment change not yet classified (0 when classify is current)."}),
		classifyQueue: prometheus.NewGauge(prometheus.GaugeOpts{Name: "errata_classify_pending_issues",
			Help: "Issues changed since the last classify started (capped at 100000)."}),
		jobFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "errata_job_failures_total",
			Help: "Failed stage runs and worker jobs, by job (sync, classify, pages, trends)."}, []string{"job"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "errata_stage_duration_seconds",
			Help:    "Duration of stage runs and whole runs, by stage (sync, classify, pages, trends, run).",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}}, []string{"stage"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "errata_runs_total",
			Help: "errata run invocations finished, by exit code."}, []string{"exit_code"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "errata_last_success_timestamp_seconds",
			Help: "Unix time of the last successful run of each stage."}, []string{"stage"}),
	}
	r.MustRegister(m.requests, m.notModified, m.rateRemaining, m.rateLimit, m.issuesSynced, m.commentsSynced,
		m.syncs, m.classifyLag, m.classifyQueue, m.jobFailures, m.durations, m.runs, m.lastSuccess,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *Metrics) observeSync(src Source, tok Token, res SyncResult) {
	if m == nil {
		return
	}
	s := src.String()
	m.requests.WithLabelValues(s).Add(float64(res.Requests))
	m.notModified.WithLabelValues(s).Add(float64(res.NotModified))
	m.issuesSynced.WithLabelValues(s, "new").Add(float64(res.Issues.Inserted))
	m.issuesSynced.WithLabelValues(s, "updated").Add(float64(res.Issues.Updated))
	m.commentsSynced.WithLabelValues(s, "new").Add(float64(res.Comments.Inserted))
	m.commentsSynced.WithLabelValues(s, "updated").Add(float64(res.Comments.Updated))
	name := tok.Name
	if name == "" {
		name = "none"
	}
	if res.RateRemaining >= 0 && (res.Requests > 0 || res.RateRemaining > 0) {
		m.rateRemaining.WithLabelValues(name).Set(float64(res.RateRemaining))
	}
	if res.RateLimit > 0 {
		m.rateLimit.WithLabelValues(name).Set(float64(res.RateLimit))
	}
	m.durations.WithLabelValues("sync").Observe(res.Duration.Seconds())
	result := "ok"
	if _, ok := RateLimitedUntil(res.Err); ok {
		result = "rate_limited"
	} else if res.Err != nil {
		result = "failed"
		m.jobFailures.WithLabelValues("sync").Inc()
	} else {
		m.lastSuccess.WithLabelValues("sync").SetToCurrentTime()
	}
	m.syncs.WithLabelValues(s, result).Inc()
}

func (m *Metrics) observeStage(stage string, err error, d time.Duration) {
	if m == nil {
		return
	}
	m.durations.WithLabelValues(stage).Observe(d.Seconds())
	if err != nil {
		m.jobFailures.WithLabelValues(stage).Inc()
	} else {
		m.lastSuccess.WithLabelValues(stage).SetToCurrentTime()
	}
}

func (m *Metrics) observeRun(stage string, code int, d time.Duration) {
	if m == nil {
		return
	}
	m.durations.WithLabelValues(stage).Observe(d.Seconds())
	m.runs.WithLabelValues(strconv.Itoa(code)).Inc()
}

// JobFailed counts a failed worker job of kind job.
func (m *Metrics) JobFailed(job string) {
	if m == nil {
		return
	}
	m.jobFailures.WithLabelValues(job).Inc()
}

func (m *Metrics) setClassifyLag(d time.Duration) {
	if m == nil {
		return
	}
	m.classifyLag.Set(d.Seconds())
}

func (m *Metrics) setClassifyPending(n int64) {
	if m == nil {
		return
	}
	m.classifyQueue.Set(float64(n))
}

// WriteTextfile writes the metrics in the text format to path (atomically),
// for node_exporter's textfile collector: how a cron job exports metrics.
func (m *Metrics) WriteTextfile(path string) error {
	if m == nil {
		return nil
	}
	if err := prometheus.WriteToTextfile(path, m.Registry); err != nil {
		return fmt.Errorf("write metrics to %s: %w", path, err)
	}
	return nil
}

// Server serves /metrics and /healthz.
type Server struct {
	srv     *http.Server
	ln      net.Listener
	healthy atomic.Pointer[func(context.Context) error]
}

// Serve listens on addr (host:port; port 0 picks one) and serves /metrics
// from m and /healthz, which answers 200 "ok" while health (when set)
// returns nil, else 503 with the error. It returns once listening.
func Serve(addr string, m *Metrics, health func(context.Context) error, log *slog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics address %s: %w", addr, err)
	}
	s := &Server{ln: ln}
	if health != nil {
		s.healthy.Store(&health)
	}
	mux := http.NewServeMux()
	if m != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry}))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if h := s.healthy.Load(); h != nil {
			ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
			defer cancel()
			if err := (*h)(ctx); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprintf(w, "unhealthy: %v\n", err)
				return
			}
		}
		fmt.Fprintln(w, "ok")
	})
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && log != nil {
			log.Error("metrics server stopped", "error", err)
		}
	}()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server.
func (s *Server) Close(ctx context.Context) error { return s.srv.Shutdown(ctx) }
