package reliability_test

import (
	"context"
	"strings"
	"testing"

	"github.com/errata-tool/errata/store"
)

// TestDatabaseURLPasswordHidden feeds store.RedactURL, and `errata db url`
// and a failing connection through the real app, every spelling of a
// database URL with a password that PostgreSQL clients accept, and some
// they reject: the password must never come out.
func TestDatabaseURLPasswordHidden(t *testing.T) {
	t.Parallel()
	const pw = "S3cr3t-Pw-Reliab"
	urls := []string{
		"postgres://errata:" + pw + "@127.0.0.1:1/db",
		"postgresql://errata:" + pw + "@127.0.0.1:1/db?sslmode=disable",
		"postgres://errata@127.0.0.1:1/db?password=" + pw,
		"postgres://errata:" + pw + "@h1:1,h2:1/db",
		"postgres://errata:" + pw + "@[::1",              // unparseable by net/url
		"postgres://errata:" + pw + "%zz@127.0.0.1:1/db", // bad escape
		"postgres://errata:" + pw + "@/db?host=/tmp",
		"host=127.0.0.1 port=1 user=errata password=" + pw,
		"host=127.0.0.1 port=1 user=errata password='" + pw + " with space'",
		"host=127.0.0.1 port=1 user=errata PASSWORD=" + pw,
		"host=127.0.0.1 port=1 user=errata password = " + pw,
	}
	for _, u := range urls {
		t.Run(redactPw(u, pw), func(t *testing.T) {
			t.Parallel()
			if got := store.RedactURL(u); strings.Contains(got, pw) || strings.Contains(got, "with space") {
				t.Errorf("BUG: store.RedactURL(%s) = %s: the password shows", redactPw(u, pw), redactPw(got, pw))
			}
			for _, args := range [][]string{{"db", "url"}, {"status"}, {"migrate"}} {
				u := u
				if !strings.Contains(u, "connect_timeout") {
					if strings.Contains(u, "://") {
						if strings.Contains(u, "?") {
							u += "&connect_timeout=2"
						} else {
							u += "?connect_timeout=2"
						}
					} else {
						u += " connect_timeout=2"
					}
				}
				res := runApp(t, context.Background(), nil, "", append([]string{"--database-url", u}, args...)...)
				if strings.Contains(res.all(), pw) {
					t.Errorf("BUG: errata %s with the URL %s prints the password: %s", args[0], redactPw(u, pw), redactPw(res.all(), pw))
				}
			}
		})
	}
	recordFigure("security.database_url_spellings", len(urls))
}

func redactPw(s, pw string) string { return strings.ReplaceAll(s, pw, "<PW>") }
