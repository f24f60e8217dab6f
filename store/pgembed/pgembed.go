//go:build !windows

// Package pgembed runs errata's embedded default database: a private
// PostgreSQL cluster in errata's data directory, built with the PostgreSQL
// server binaries already installed on the machine and reached over a Unix
// socket, so that a new user needs no database set-up.
//
// Decisions:
//   - No network listener: listen_addresses is empty and the socket lives in
//     a private directory (mode 0700), so the cluster uses trust
//     authentication without being reachable by other users.
//   - PostgreSQL refuses to run as root. When errata runs as root the server
//     runs as the unprivileged "postgres" account (or ERRATA_PG_USER). If
//     that account cannot traverse the data directory (for example under
//     /root, which is private), the cluster is placed in
//     /var/lib/errata/<hash of the data dir> instead, and the data dir holds
//     a note saying where.
//   - Start, stop and initialisation take an exclusive file lock in the data
//     dir, so two commands starting the cluster at once do not race.
//   - The server keeps running between commands (it is detached from the
//     terminal) until `errata db stop`.
package pgembed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Database and role created in the cluster.
const (
	DBName = "errata"
	Role   = "errata"
	port   = 5432
	// maxSocketPath is the longest Unix socket path the kernel accepts
	// (sizeof(sun_path) - 1).
	maxSocketPath = 107
)

// ErrNoBinaries means no PostgreSQL server binaries were found.
var ErrNoBinaries = errors.New("no PostgreSQL server binaries found (looked in ERRATA_PG_BIN, PATH and /usr/lib/postgresql/*/bin); " +
	"install them (Debian/Ubuntu: apt-get install postgresql; Fedora: dnf install postgresql-server; macOS: brew install postgresql) " +
	"or point errata at an existing server with --database-url or DATABASE_URL")

// Cluster is the embedded cluster belonging to one errata data dir.
type Cluster struct {
	DataDir string // errata's data dir
	Root    string // holds data/ (PGDATA), run/ (socket) and postgres.log
	BinDir  string // where pg_ctl, initdb and postgres are
	runAs   *account
	getenv  func(string) string
}

type account struct {
	name     string
	uid, gid uint32
}

// Status is what `errata db status` reports.
type Status struct {
	Initialized bool
	Running     bool
	Root        string
	BinDir      string
	URL         string
}

// New describes the cluster for dataDir. It finds the server binaries and,
// when running as root, the account the server runs as; it changes nothing
// on disk.
func New(dataDir string, getenv func(string) string) (*Cluster, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("data dir %s: %w", dataDir, err)
	}
	c := &Cluster{DataDir: abs, getenv: getenv}
	if c.BinDir, err = findBinaries(getenv, filepath.Join(abs, "postgres", "data")); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		name := getenv("ERRATA_PG_USER")
		if name == "" {
			name = "postgres"
		}
		u, err := user.Lookup(name)
		if err != nil {
			return nil, fmt.Errorf("errata runs as root, and PostgreSQL refuses to run as root: it needs the unprivileged account %q (created by the postgresql package), or set ERRATA_PG_USER to another account: %w", name, err)
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		c.runAs = &account{name: name, uid: uint32(uid), gid: uint32(gid)}
	}
	c.Root = filepath.Join(abs, "postgres")
	if c.runAs != nil && !traversable(abs, c.runAs) {
		sum := sha256.Sum256([]byte(abs))
		c.Root = filepath.Join("/var/lib/errata", hex.EncodeToString(sum[:6]))
	}
	if len(c.socketFile()) > maxSocketPath {
		sum := sha256.Sum256([]byte(abs))
		c.Root = filepath.Join(os.TempDir(), "errata-pg-"+hex.EncodeToString(sum[:6]))
	}
	return c, nil
}

func (c *Cluster) pgdata() string    { return filepath.Join(c.Root, "data") }
func (c *Cluster) socketDir() string { return filepath.Join(c.Root, "run") }
func (c *Cluster) socketFile() string {
	return filepath.Join(c.socketDir(), ".s.PGSQL."+strconv.Itoa(port))
}
func (c *Cluster) logFile() string { return filepath.Join(c.Root, "postgres.log") }

// URL is a connection URL for the cluster's database that both pgx and psql
// accept.
func (c *Cluster) URL() string {
	return URLFor(c.socketDir(), DBName)
}

// URLFor is the socket URL of database db in socket directory dir.
func URLFor(dir, db string) string {
	q := url.Values{}
	q.Set("host", dir)
	q.Set("port", strconv.Itoa(port))
	return (&url.URL{Scheme: "postgres", User: url.User(Role), Path: "/" + db, RawQuery: q.Encode()}).String()
}

// Start initialises the cluster if needed and starts it if it is not
// running, makes sure its database exists, and returns its URL. It is safe
// to call from several processes at once, and it recovers by itself from
// any earlier command that was interrupted at any point: a cluster is only
// ever seen complete (see initdb), a half-made one is redone, the database
// is created on every start that finds it missing, and lock files left by a
// killed server are cleared.
func (c *Cluster) Start(ctx context.Context) (string, error) {
	unlock, err := c.lock()
	if err != nil {
		return "", err
	}
	defer unlock()
	if err := c.ensureDirs(); err != nil {
		return "", err
	}
	c.removeStaleInits()
	if !c.complete() {
		if err := c.initdb(ctx); err != nil {
			return "", err
		}
	}
	running, err := c.running(ctx)
	if err != nil {
		return "", err
	}
	if running {
		// A postmaster that is being killed, or still starting, looks alive
		// for a moment: make sure it accepts connections, else wait for it
		// to either answer or be gone.
		running = c.answers(ctx)
	}
	if !running {
		if err := c.start(ctx); err != nil {
			return "", err
		}
	}
	if err := c.ensureDatabase(ctx); err != nil {
		return "", err
	}
	return c.URL(), nil
}

// confMarker starts the settings errata adds to postgresql.conf; a cluster
// whose configuration lacks it never got errata's settings.
const confMarker = "# errata: private cluster, Unix socket only"

// complete reports whether data/ holds a cluster to keep: one that initdb
// finished and that has errata's settings. Since initdb runs in a
// temporary sibling directory that is renamed into place only when
// complete, an incomplete data/ can only be left by an older errata that
// was interrupted before it ever started the cluster (it added its settings
// before the first start): such a directory holds nothing, and initdb
// replaces it. Anything errata cannot be sure of counts as complete and is
// never removed: a cluster that has run (postmaster.opts), or files it
// cannot read.
func (c *Cluster) complete() bool {
	if _, err := os.Stat(filepath.Join(c.pgdata(), "PG_VERSION")); err != nil {
		return !errors.Is(err, os.ErrNotExist) || c.everRan()
	}
	conf, err := os.ReadFile(filepath.Join(c.pgdata(), "postgresql.conf"))
	switch {
	case err == nil && strings.Contains(string(conf), confMarker):
		return true
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return true
	}
	return c.everRan()
}

// everRan reports whether a postmaster ever started on data/ (it writes
// postmaster.opts on every start).
func (c *Cluster) everRan() bool {
	_, err := os.Stat(filepath.Join(c.pgdata(), "postmaster.opts"))
	return !errors.Is(err, os.ErrNotExist)
}

// initPrefix names the temporary directories initdb works in.
const initPrefix = "data.init-"

// removeStaleInits removes what interrupted initialisations left. The
// caller holds the lock, so no live initialisation uses them.
func (c *Cluster) removeStaleInits() {
	old, _ := filepath.Glob(filepath.Join(c.Root, initPrefix+"*"))
	for _, d := range old {
		_ = os.RemoveAll(d)
	}
}

// maintenanceURL is the URL of the cluster's postgres database, which
// exists from initdb on, unlike errata's own database.
func (c *Cluster) maintenanceURL() string {
	return URLFor(c.socketDir(), "postgres")
}

// ensureDatabase creates errata's database when it is missing: the first
// start creates it, and a start interrupted before that is made good by the
// next one.
func (c *Cluster) ensureDatabase(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, c.maintenanceURL())
	if err != nil {
		return fmt.Errorf("connect to embedded postgres in %s: %w", c.Root, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// A CREATE DATABASE still running in the backend of an interrupted
	// start makes ours fail; wait for it to commit or roll back.
	for attempt := 0; ; attempt++ {
		var exists bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, DBName).Scan(&exists); err != nil {
			return fmt.Errorf("look for database %s: %w", DBName, err)
		}
		if exists {
			return nil
		}
		// CREATE DATABASE is atomic: an interrupted one leaves no database.
		_, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{DBName}.Sanitize())
		if err == nil {
			return nil
		}
		var pgErr *pgconn.PgError
		concurrent := errors.As(err, &pgErr) && (pgErr.Code == "42P04" || pgErr.Code == "23505") // duplicate_database, unique_violation
		if !concurrent || attempt >= 100 {
			return fmt.Errorf("create database %s: %w", DBName, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// answers waits up to 15 s for the server to accept a connection on its
// socket, and reports false as soon as its postmaster is found dead.
func (c *Cluster) answers(ctx context.Context) bool {
	deadline := time.Now().Add(15 * time.Second)
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(cctx, c.maintenanceURL())
		if err == nil {
			err = conn.Ping(cctx)
			conn.Close(cctx)
		}
		cancel()
		if err == nil {
			return true
		}
		if c.postmasterDead() || time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop stops the cluster if it is running.
func (c *Cluster) Stop(ctx context.Context) (bool, error) {
	unlock, err := c.lock()
	if err != nil {
		return false, err
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(c.pgdata(), "PG_VERSION")); err != nil {
		return false, nil
	}
	running, err := c.running(ctx)
	if err != nil || !running {
		return false, err
	}
	if out, err := c.run(ctx, "pg_ctl", "-D", c.pgdata(), "-m", "fast", "-w", "-t", "60", "stop"); err != nil {
		return false, fmt.Errorf("stop embedded postgres in %s: %w: %s", c.Root, err, lastLines(out, 5))
	}
	return true, nil
}

// Status reports whether the cluster exists and runs.
func (c *Cluster) Status(ctx context.Context) (Status, error) {
	st := Status{Root: c.Root, BinDir: c.BinDir, URL: c.URL()}
	if !c.complete() {
		return st, nil
	}
	st.Initialized = true
	running, err := c.running(ctx)
	st.Running = running
	return st, err
}

func (c *Cluster) ensureDirs() error {
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	if c.Root != filepath.Join(c.DataDir, "postgres") {
		note := "errata's embedded PostgreSQL cluster for this data dir lives in " + c.Root + "\n"
		_ = os.WriteFile(filepath.Join(c.DataDir, "postgres.location"), []byte(note), 0o600)
		if err := os.MkdirAll(filepath.Dir(c.Root), 0o755); err != nil {
			return fmt.Errorf("create %s: %w", filepath.Dir(c.Root), err)
		}
	}
	for _, d := range []string{c.Root, c.socketDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
		if err := c.chown(d); err != nil {
			return err
		}
	}
	return nil
}

func (c *Cluster) chown(path string) error {
	if c.runAs == nil {
		return nil
	}
	if err := os.Chown(path, int(c.runAs.uid), int(c.runAs.gid)); err != nil {
		return fmt.Errorf("hand %s to account %s: %w", path, c.runAs.name, err)
	}
	return nil
}

// initdb creates the cluster atomically: initdb runs in a temporary sibling
// of data/, errata's settings are added there, and the directory is renamed
// into place only then. A command killed at any moment leaves either no
// data/ or a complete one; the database itself is created by
// ensureDatabase on every start that finds it missing.
func (c *Cluster) initdb(ctx context.Context) error {
	if err := os.RemoveAll(c.pgdata()); err != nil {
		return fmt.Errorf("remove incomplete embedded postgres cluster %s: %w", c.pgdata(), err)
	}
	tmp, err := os.MkdirTemp(c.Root, initPrefix)
	if err != nil {
		return fmt.Errorf("initialise embedded postgres: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	if err := c.chown(tmp); err != nil {
		return err
	}
	out, err := c.run(ctx, "initdb", "-D", tmp, "-U", Role, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	if err != nil {
		return fmt.Errorf("initialise embedded postgres in %s: %w: %s", c.pgdata(), err, lastLines(out, 5))
	}
	conf := fmt.Sprintf("\n%s\nlisten_addresses = ''\nunix_socket_directories = '%s'\nunix_socket_permissions = 0700\nport = %d\nmax_connections = 200\n",
		confMarker, strings.ReplaceAll(c.socketDir(), "'", "''"), port)
	f, err := os.OpenFile(filepath.Join(tmp, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("configure embedded postgres: %w", err)
	}
	if _, err := f.WriteString(conf); err != nil {
		f.Close()
		return fmt.Errorf("configure embedded postgres: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("configure embedded postgres: %w", err)
	}
	if err := os.Rename(tmp, c.pgdata()); err != nil {
		return fmt.Errorf("initialise embedded postgres: %w", err)
	}
	return nil
}

func (c *Cluster) start(ctx context.Context) error {
	var out []byte
	var err error
	// A server that was killed (SIGKILL, a machine reset) leaves its lock
	// files behind, and its backends take a moment to notice and exit:
	// clear what a dead postmaster left and retry a few times.
	for attempt := 0; attempt < 5; attempt++ {
		if c.postmasterDead() {
			_ = os.Remove(filepath.Join(c.pgdata(), "postmaster.pid"))
		}
		_ = os.Remove(c.socketFile() + ".lock")
		out, err = c.run(ctx, "pg_ctl", "-D", c.pgdata(), "-l", c.logFile(), "-w", "-t", "120", "start")
		if err == nil {
			return nil
		}
		// A postmaster an interrupted command launched may have written
		// its pid file only after running() looked: then it, not ours,
		// holds the lock. Use it once it answers.
		if c.pidFileExists() && !c.postmasterDead() && c.answers(ctx) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	logTail, _ := os.ReadFile(c.logFile())
	return fmt.Errorf("start embedded postgres in %s: %w: %s %s", c.Root, err, lastLines(out, 3), lastLines(logTail, 5))
}

func (c *Cluster) running(ctx context.Context) (bool, error) {
	// A pid file being written by a starting postmaster is empty for a
	// moment; give it the time a start takes to fill it or go stale.
	for wait := 0; wait < 40 && c.pidFileUnreadable() && !c.postmasterDead(); wait++ {
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	if c.postmasterDead() {
		_ = os.Remove(filepath.Join(c.pgdata(), "postmaster.pid"))
		return false, nil
	}
	out, err := c.run(ctx, "pg_ctl", "-D", c.pgdata(), "status")
	if err == nil {
		// pg_ctl only checks that the postmaster's pid exists; a server
		// killed with SIGKILL can linger as a zombie until its parent reaps
		// it, which pg_ctl takes for a running server.
		return !c.postmasterDead(), nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 3 {
		return false, nil
	}
	return false, fmt.Errorf("embedded postgres status: %w: %s", err, lastLines(out, 3))
}

// pidFileExists reports whether data/ holds a postmaster.pid.
func (c *Cluster) pidFileExists() bool {
	_, err := os.Stat(filepath.Join(c.pgdata(), "postmaster.pid"))
	return err == nil
}

// pidFileUnreadable reports whether postmaster.pid exists but names no pid.
func (c *Cluster) pidFileUnreadable() bool {
	b, err := os.ReadFile(filepath.Join(c.pgdata(), "postmaster.pid"))
	if err != nil {
		return false
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	return err != nil || pid <= 0
}

// postmasterDead reports whether postmaster.pid is stale: it names a
// process that is gone, a zombie or another program, or it has stayed
// empty or garbled for a while (a postmaster killed while writing it).
func (c *Cluster) postmasterDead() bool {
	pidFile := filepath.Join(c.pgdata(), "postmaster.pid")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return false
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		// A starting postmaster writes the file just after creating it.
		fi, err := os.Stat(pidFile)
		return err == nil && time.Since(fi.ModTime()) > 3*time.Second
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		if _, perr := os.Stat("/proc/self/stat"); perr != nil {
			// No /proc (macOS, the BSDs): only whether the pid exists
			// can be known.
			return pidGone(pid)
		}
		return errors.Is(err, os.ErrNotExist)
	}
	// /proc/PID/stat: "pid (comm) S ...": the state follows the last ')'.
	// A pid that now belongs to another program (reused after a reboot or
	// in a new container) is as dead as a missing one.
	open := strings.IndexByte(string(stat), '(')
	i := strings.LastIndexByte(string(stat), ')')
	if open >= 0 && i > open && !isPostgres(string(stat[open+1:i])) {
		return true
	}
	if i >= 0 && i+2 < len(stat) {
		return stat[i+2] == 'Z'
	}
	return false
}

// pidGone reports whether no process has this pid, by signal 0: ESRCH
// means none; success or EPERM (another user's process) means one lives.
func pidGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

func isPostgres(comm string) bool { return comm == "postgres" || comm == "postmaster" }

// run runs a server binary, as the unprivileged account when errata is
// root, in its own session so that a Ctrl-C on errata does not reach the
// server it starts.
func (c *Cluster) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(c.BinDir, name), args...)
	cmd.Dir = c.Root
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if name == "initdb" {
		// initdb dies with errata, so that an interrupted initialisation
		// does not go on writing into a directory the next start removes.
		// (Linux only: elsewhere the next start's clean-up of the
		// temporary directory waits for the lock initdb's errata held.)
		dieWithParent(cmd.SysProcAttr)
	}
	env := []string{"PATH=" + c.BinDir + ":/usr/bin:/bin", "LC_ALL=C", "TZ=UTC"}
	if c.runAs != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: c.runAs.uid, Gid: c.runAs.gid}
		env = append(env, "HOME="+c.Root, "USER="+c.runAs.name)
	} else if h := os.Getenv("HOME"); h != "" {
		env = append(env, "HOME="+h)
	}
	cmd.Env = env
	// pg_ctl start leaves the server holding its output; use files, not
	// pipes, so that Wait does not block on the detached server.
	outFile, err := os.CreateTemp("", "errata-pgctl-*.out")
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", name, err)
	}
	defer os.Remove(outFile.Name())
	defer outFile.Close()
	cmd.Stdout, cmd.Stderr = outFile, outFile
	err = cmd.Run()
	out, _ := os.ReadFile(outFile.Name())
	return out, err
}

// lock takes an exclusive lock on the data dir's postgres.lock.
func (c *Cluster) lock() (func(), error) {
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(c.DataDir, "postgres.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock embedded postgres: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock embedded postgres: %w", err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// traversable reports whether acct can reach dir: every ancestor must be
// searchable by it.
func traversable(dir string, acct *account) bool {
	for p := dir; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err == nil {
			st, ok := fi.Sys().(*syscall.Stat_t)
			mode := fi.Mode().Perm()
			switch {
			case !ok:
				return false
			case st.Uid == acct.uid:
				if mode&0o100 == 0 {
					return false
				}
			case st.Gid == acct.gid:
				if mode&0o010 == 0 {
					return false
				}
			default:
				if mode&0o001 == 0 {
					return false
				}
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			return false
		} else {
			// Not created yet: it will be created 0700 by root.
			return false
		}
		if p == filepath.Dir(p) {
			return true
		}
	}
}

// findBinaries looks for a directory holding pg_ctl, initdb and postgres:
// ERRATA_PG_BIN, then PATH, then /usr/lib/postgresql/*/bin (newest first,
// but the version matching an existing cluster first).
func findBinaries(getenv func(string) string, pgdata string) (string, error) {
	has := func(dir string) bool {
		for _, b := range []string{"pg_ctl", "initdb", "postgres"} {
			fi, err := os.Stat(filepath.Join(dir, b))
			if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
				return false
			}
		}
		return true
	}
	if d := getenv("ERRATA_PG_BIN"); d != "" {
		if has(d) {
			return d, nil
		}
		return "", fmt.Errorf("ERRATA_PG_BIN=%s does not hold pg_ctl, initdb and postgres", d)
	}
	var candidates []string
	if v, err := os.ReadFile(filepath.Join(pgdata, "PG_VERSION")); err == nil {
		candidates = append(candidates, filepath.Join("/usr/lib/postgresql", strings.TrimSpace(string(v)), "bin"))
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			candidates = append(candidates, filepath.Dir(r))
		}
		candidates = append(candidates, filepath.Dir(p))
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	candidates = append(candidates, dirs...)
	for _, d := range candidates {
		if has(d) {
			return d, nil
		}
	}
	return "", ErrNoBinaries
}

func versionOf(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// WaitSocket waits until the socket file exists, for callers that start the
// server and connect at once.
func (c *Cluster) WaitSocket(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(c.socketFile()); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("embedded postgres socket %s did not appear", c.socketFile())
}
