// Package reliability holds errata's end-to-end reliability checks (issue
// 9): bad input through import and sync, injected faults (a flaky GitHub,
// a restarted PostgreSQL, interrupted and killed syncs, a full disk) and
// security properties (no secret in any output, parameterized queries,
// contained output paths, file permissions). The checks are tests in this
// directory; they run the real errata app in-process (cli.Run) or the real
// packages against a real PostgreSQL (storetest) and httptest fakes.
//
// docs/reliability.md lists every check, the figures and how to rerun
// them. Long variants run with `go test ./reliability -long`.
package reliability
