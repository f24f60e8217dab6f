package runner

import (
	"sync"
	"time"

	"github.com/errata-tool/errata/config"
)

// Token is one GitHub token. Name is the environment variable it came
// from: it is what logs and metrics show, never the value.
type Token struct {
	Name  string
	Value string
}

// TokensFromConfig reads the tokens named by github.token_envs (in order),
// else github.token_env, else GITHUB_TOKEN, else GH_TOKEN. Variables that
// are unset or empty are left out; no tokens means unauthenticated.
func TokensFromConfig(gh config.GitHub, getenv func(string) string) []Token {
	names := gh.TokenEnvs
	if len(names) == 0 && gh.TokenEnv != "" {
		names = []string{gh.TokenEnv}
	}
	if len(names) == 0 {
		for _, n := range []string{"GITHUB_TOKEN", "GH_TOKEN"} {
			if getenv(n) != "" {
				names = []string{n}
				break
			}
		}
	}
	var out []Token
	seen := map[string]bool{}
	for _, n := range names {
		v := getenv(n)
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		out = append(out, Token{Name: n, Value: v})
	}
	return out
}

// TokenPool hands out tokens in turn (round robin), skipping a token whose
// rate limit is known to be spent until its reset. It is per process: a
// worker on another machine learns a token's state from its own answers
// (GitHub's limit is per token, so the first request there says so).
type TokenPool struct {
	mu     sync.Mutex
	tokens []Token
	until  []time.Time
	next   int
	anon   bool // no tokens: tokens holds the one empty Token (no auth)
}

// NewTokenPool makes a pool. An empty pool means unauthenticated: Next
// hands out the empty Token, whose limit is tracked like a token's (GitHub
// limits unauthenticated requests per address).
func NewTokenPool(tokens []Token) *TokenPool {
	anon := len(tokens) == 0
	if anon {
		tokens = []Token{{}}
	}
	return &TokenPool{tokens: tokens, until: make([]time.Time, len(tokens)), anon: anon}
}

// Len is the number of tokens (0 when unauthenticated).
func (p *TokenPool) Len() int {
	if p.anon {
		return 0
	}
	return len(p.tokens)
}

// Next returns the next token not known to be limited at now. When all are
// limited it returns ok=false and the earliest reset.
func (p *TokenPool) Next(now time.Time) (tok Token, earliest time.Time, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := 0; i < len(p.tokens); i++ {
		j := (p.next + i) % len(p.tokens)
		if !p.until[j].After(now) {
			p.next = (j + 1) % len(p.tokens)
			return p.tokens[j], time.Time{}, true
		}
		if earliest.IsZero() || p.until[j].Before(earliest) {
			earliest = p.until[j]
		}
	}
	return Token{}, earliest, false
}

// Limited records that tok is rate limited until reset.
func (p *TokenPool) Limited(tok Token, reset time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, t := range p.tokens {
		if t.Value == tok.Value {
			if reset.After(p.until[i]) {
				p.until[i] = reset
			}
			return
		}
	}
}

// AvailableAt is when the next token can be used: now when one is not
// known to be limited (or the pool is empty), else the earliest reset.
func (p *TokenPool) AvailableAt(now time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	var earliest time.Time
	for _, u := range p.until {
		if !u.After(now) {
			return now
		}
		if earliest.IsZero() || u.Before(earliest) {
			earliest = u
		}
	}
	if earliest.IsZero() {
		return now
	}
	return earliest
}
