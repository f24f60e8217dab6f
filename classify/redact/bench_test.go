package redact

import (
	"strings"
	"testing"
)

// benchBody is a typical issue body of about 2 KB: prose, steps, a stack
// trace and a version table, with no secret and none of the rule hints.
const benchBody = "### Describe the bug\n\n" +
	"After upgrading from 4.2.1 to 4.3.0 the build fails on every CI run. The same commit builds fine on my laptop (macOS 14.4, Node 20.11.1), so I suspect something in the new resolver. It only happens when the workspace has more than one package that depends on the shared utils module.\n\n" +
	"### To Reproduce\n\n" +
	"1. Clone the example repository linked below\n" +
	"2. Run `npm ci` followed by `npm run build --workspaces`\n" +
	"3. Wait for the second package to compile\n" +
	"4. See the error below\n\n" +
	"### Error output\n\n" +
	"```\n" +
	"Error: Cannot find module '../utils/format' from 'packages/web/src/index.ts'\n" +
	"    at Resolver.resolveModule (node_modules/jest-resolve/build/resolver.js:324:11)\n" +
	"    at Runtime._requireResolve (node_modules/jest-runtime/build/index.js:1321:35)\n" +
	"    at Object.<anonymous> (packages/web/src/index.ts:3:17)\n" +
	"    at Module._compile (node:internal/modules/cjs/loader:1376:14)\n" +
	"    at Module._extensions..js (node:internal/modules/cjs/loader:1435:10)\n" +
	"    at Module.load (node:internal/modules/cjs/loader:1207:32)\n" +
	"npm ERR! code ELIFECYCLE\n" +
	"npm ERR! errno 1\n" +
	"npm ERR! web@0.0.0 build: `tsc -p tsconfig.json && vite build`\n" +
	"npm ERR! Exit status 1\n" +
	"```\n\n" +
	"### Expected behavior\n\n" +
	"The build should succeed as it did with 4.2.1. Nothing in our configuration changed between the two runs; the lockfile diff only shows the upgraded package and two of its transitive dependencies.\n\n" +
	"### Environment\n\n" +
	"| Name | Version |\n" +
	"|------|---------|\n" +
	"| OS | Ubuntu 22.04 (GitHub Actions runner) |\n" +
	"| Node | 20.11.1 |\n" +
	"| npm | 10.2.4 |\n" +
	"| TypeScript | 5.3.3 |\n\n" +
	"### Additional context\n\n" +
	"The failure is deterministic: it reproduces on every run of the matrix, on both the 18.x and 20.x jobs, and it also shows up when the build runs inside the official node:20-bookworm container image. Running with --verbose prints nothing more useful than the lines above.\n\n" +
	"I tried clearing the cache, deleting node_modules and reinstalling, and pinning the resolver to the previous minor version. Only the pin helps. Happy to test a fix or provide more logs if that would be useful \u2014 thanks for looking into it!\n"

const benchSentence = "The build fails after upgrading to 4.3.0 on Ubuntu runners."

var benchSink string

func benchString(b *testing.B, s string) {
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		benchSink = String(s)
	}
}

// BenchmarkStringBodyNoSecret is the common case: an issue body of about
// 2 KB with no secret.
func BenchmarkStringBodyNoSecret(b *testing.B) { benchString(b, benchBody) }

// BenchmarkStringSentenceNoSecret is a short quoted sentence with no secret.
func BenchmarkStringSentenceNoSecret(b *testing.B) { benchString(b, benchSentence) }

// BenchmarkStringBodyOneToken is the same body with one GitHub token in it.
func BenchmarkStringBodyOneToken(b *testing.B) {
	s := strings.Replace(benchBody, "4. See the error below", "4. See the error below (GH_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789)", 1)
	if s == benchBody {
		b.Fatal("token not inserted")
	}
	benchString(b, s)
}
