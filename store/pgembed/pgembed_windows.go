// Package pgembed runs errata's embedded default database on Linux and
// macOS. On Windows there is none (the server binaries, Unix sockets,
// file locks and the account switch it relies on are Unix ones): New
// returns ErrUnsupported, and errata needs --database-url or DATABASE_URL.
package pgembed

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"time"
)

// Database and role created in the cluster.
const (
	DBName = "errata"
	Role   = "errata"
	port   = 5432
)

// ErrUnsupported is what New returns on Windows.
var ErrUnsupported = errors.New("errata's embedded database needs Linux or macOS; on Windows point errata at a PostgreSQL server with --database-url or DATABASE_URL")

// ErrNoBinaries means no PostgreSQL server binaries were found.
var ErrNoBinaries = ErrUnsupported

// Cluster is the embedded cluster belonging to one errata data dir.
type Cluster struct {
	DataDir string
	Root    string
	BinDir  string
}

// Status is what `errata db status` reports.
type Status struct {
	Initialized bool
	Running     bool
	Root        string
	BinDir      string
	URL         string
}

// New returns ErrUnsupported on Windows.
func New(string, func(string) string) (*Cluster, error) { return nil, ErrUnsupported }

// URL is the cluster's URL.
func (c *Cluster) URL() string { return URLFor(c.Root, DBName) }

// URLFor is the socket URL of database db in socket directory dir.
func URLFor(dir, db string) string {
	q := url.Values{}
	q.Set("host", dir)
	q.Set("port", strconv.Itoa(port))
	return (&url.URL{Scheme: "postgres", User: url.User(Role), Path: "/" + db, RawQuery: q.Encode()}).String()
}

// Start returns ErrUnsupported.
func (c *Cluster) Start(context.Context) (string, error) { return "", ErrUnsupported }

// Stop returns ErrUnsupported.
func (c *Cluster) Stop(context.Context) (bool, error) { return false, ErrUnsupported }

// Status returns ErrUnsupported.
func (c *Cluster) Status(context.Context) (Status, error) { return Status{}, ErrUnsupported }

// Roots returns the cluster's root.
func (c *Cluster) Roots() []string { return []string{c.Root} }

// Destroy returns ErrUnsupported.
func (c *Cluster) Destroy(context.Context) ([]string, error) { return nil, ErrUnsupported }

// WaitSocket returns ErrUnsupported.
func (c *Cluster) WaitSocket(context.Context, time.Duration) error { return ErrUnsupported }
