package classify

import (
	"fmt"
	"math/rand"
	"strings"
	"time"
)

// Synthetic issues for benchmarks: realistic shapes (prose, fenced logs
// with timestamps and levels, stack traces, JSON error bodies, config
// blocks), about 3 KB of body each, from a few hundred error families
// written for this generator, with variable parts (ports, paths, ids,
// versions, counts) so templates must be normalized to group. About a
// third of the issues report no error at all.

var genErrors = []string{
	"Error: connect ECONNREFUSED 127.0.0.1:%d",
	"Error: listen EADDRINUSE: address already in use :::%d",
	"Error: ENOENT: no such file or directory, open '/home/u%d/project/config.json'",
	"Error: EACCES: permission denied, mkdir '/usr/local/lib/node_modules/pkg%d'",
	"{\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Number of requests has exceeded your rate limit (%d per minute)\"}}",
	"{\"error\":\"invalid_grant\",\"error_description\":\"Refresh token %d expired\"}",
	"{\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"},\"request_id\":\"req_%dabcdef\"}",
	"MCP error -32001: Request timed out after %d ms",
	"MCP error -32000: Connection closed (pid %d)",
	"HTTP/1.1 503 Service Unavailable (upstream %d)",
	"panic: runtime error: index out of range [%d] with length 3",
	"TypeError: Cannot read properties of undefined (reading 'field%d')",
	"KeyError: 'user_%d'",
	"java.lang.IllegalStateException: Connection pool shut down after %d attempts",
	"This model's maximum context length is 8192 tokens. However, you requested %d tokens.",
	"fatal: unable to access 'https://git.example.com/r%d.git/': SSL certificate problem: self signed certificate in certificate chain",
}

// genFamilyTemplate makes family n's error message: one of the coded
// errors above, or a made-up component/action template.
func genFamilyTemplate(n int) string {
	if n < len(genErrors) {
		return genErrors[n]
	}
	comps := []string{"scheduler", "indexer", "sync engine", "renderer", "plugin host", "auth broker", "cache layer", "uploader", "parser", "watcher", "queue worker", "exporter", "gateway", "resolver", "builder"}
	acts := []string{"could not load", "failed to parse", "timed out waiting for", "refused to open", "lost track of", "cannot serialize", "rejected", "failed to flush", "could not lock", "failed to migrate"}
	objs := []string{"manifest", "snapshot", "session state", "workspace index", "lock file", "token cache", "shard map", "settings bundle", "journal", "asset graph", "dependency tree", "socket"}
	c := comps[n%len(comps)]
	a := acts[(n/len(comps))%len(acts)]
	o := objs[(n/(len(comps)*len(acts)))%len(objs)]
	return fmt.Sprintf("%sError: %s %s %s for job %%d", strings.ReplaceAll(strings.Title(c), " ", ""), c, a, o) //nolint:staticcheck
}

const genFamilies = 1500

var genProse = []string{
	"I have been using the tool for a few weeks and this started happening after the last update.",
	"Steps to reproduce: open the project, run the command, wait a few seconds.",
	"Expected behaviour: the command finishes and prints the result.",
	"It works on my laptop but not on the build server, which runs the same version.",
	"I tried reinstalling and clearing the cache but nothing changed.",
	"Please let me know if you need more logs or a minimal reproduction.",
	"Environment: Linux x86_64, 16 GB RAM, node and python installed from the package manager.",
	"This blocks our team from upgrading, so any workaround would be appreciated.",
}

// GenIssue returns synthetic issue i (deterministic).
func GenIssue(i int) Issue {
	r := rand.New(rand.NewSource(int64(i) * 7919))
	var b strings.Builder
	noError := r.Intn(3) == 0
	fam := r.Intn(genFamilies)
	// Zipf-like: a few big families.
	if r.Intn(2) == 0 {
		fam = r.Intn(40)
	}
	msg := fmt.Sprintf(genFamilyTemplate(fam), r.Intn(60000))
	title := ""
	switch {
	case noError:
		title = fmt.Sprintf("Feature request: support option %d in the settings panel", r.Intn(500))
	case r.Intn(2) == 0:
		title = firstLines(msg, 1)
		if len(title) > 90 {
			title = title[:90]
		}
	default:
		title = fmt.Sprintf("Command fails on project %d", r.Intn(1000))
	}
	for b.Len() < 3000 {
		switch r.Intn(6) {
		case 0, 1:
			b.WriteString(genProse[r.Intn(len(genProse))])
			b.WriteString("\n\n")
		case 2:
			b.WriteString("```\n")
			for k := 0; k < 6; k++ {
				fmt.Fprintf(&b, "2025-0%d-1%d 1%d:2%d:3%d.%03d INFO worker %d processed batch %d in %dms\n", 1+r.Intn(8), r.Intn(9), r.Intn(9), r.Intn(9), r.Intn(9), r.Intn(999), r.Intn(8), r.Intn(100000), r.Intn(900))
			}
			if !noError {
				fmt.Fprintf(&b, "2025-03-11 10:22:3%d.123 ERROR %s\n", r.Intn(9), msg)
				fmt.Fprintf(&b, "    at Object.run (/app/dist/index.js:%d:%d)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)\n", r.Intn(900), r.Intn(80))
			}
			b.WriteString("```\n\n")
		case 3:
			fmt.Fprintf(&b, "```yaml\nserver:\n  port: %d\n  host: 0.0.0.0\n  workers: %d\ncache:\n  dir: /var/tmp/cache-%d\n```\n\n", 1024+r.Intn(60000), 1+r.Intn(16), r.Intn(1000))
		case 4:
			fmt.Fprintf(&b, "Version: %d.%d.%d, OS: %s\n\n", r.Intn(5), r.Intn(30), r.Intn(20), []string{"macOS 14.4", "Ubuntu 22.04", "Windows 11"}[r.Intn(3)])
		case 5:
			if !noError && r.Intn(2) == 0 {
				fmt.Fprintf(&b, "The error is:\n\n> %s\n\n", msg)
			} else {
				b.WriteString(genProse[r.Intn(len(genProse))])
				b.WriteString("\n\n")
			}
		}
	}
	is := Issue{
		ID: int64(i + 1), Repository: fmt.Sprintf("org%d/repo%d", r.Intn(300), r.Intn(5)), Number: i + 1,
		Title: title, Body: b.String(), HTMLURL: fmt.Sprintf("https://github.com/gen/repo/issues/%d", i+1),
		CreatedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 17 * time.Minute),
	}
	for k := r.Intn(3); k > 0; k-- {
		is.Comments = append(is.Comments, Comment{Body: genProse[r.Intn(len(genProse))], CreatedAt: is.CreatedAt.Add(time.Duration(k) * time.Hour)})
	}
	return is
}
