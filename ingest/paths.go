package ingest

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/errata-tool/errata/config"
)

// repoPath is the API path repos/{owner}/{name}/{rest} of repository repo.
// The name is checked with config.ValidRepo, the one check for repository
// names, and each segment is escaped, so that no name (from a flag, the
// config, a search hit or a stored row) can reach another API path: a
// ".." segment or a "?" would otherwise leave /repos/. rest is built by
// errata from constants and numbers.
func repoPath(repo, rest string) (string, error) {
	if !config.ValidRepo(repo) {
		return "", fmt.Errorf("repository %q: want owner/name (letters, digits, '-', '_', '.')", repo)
	}
	owner, name, _ := strings.Cut(repo, "/")
	return "repos/" + url.PathEscape(owner) + "/" + url.PathEscape(name) + "/" + rest, nil
}
