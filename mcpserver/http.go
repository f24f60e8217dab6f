package mcpserver

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// RunStdio serves one client over r and w (standard input and output)
// until the client closes r or ctx ends. One message (one line) is at most
// MaxRequestBytes, as over HTTP.
func (s *Server) RunStdio(ctx context.Context, r io.Reader, w io.Writer) error {
	err := s.mcp.Run(ctx, &mcp.IOTransport{Reader: io.NopCloser(r), Writer: nopWriteCloser{w}, MaxLineLength: MaxRequestBytes})
	if err != nil && ctx.Err() != nil {
		return nil
	}
	return err
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// HTTPHandler is the streamable HTTP transport at every path, with
// request bodies bounded by MaxRequestBytes. A non-empty token requires
// "Authorization: Bearer <token>" on every request (401 otherwise),
// compared in constant time.
func (s *Server) HTTPHandler(token string) http.Handler {
	h := http.Handler(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s.mcp },
		&mcp.StreamableHTTPOptions{MaxRequestBodyBytes: MaxRequestBytes, Logger: s.log, SessionTimeout: 30 * time.Minute}))
	if token != "" {
		want := []byte(token)
		verify := func(_ context.Context, got string, _ *http.Request) (*auth.TokenInfo, error) {
			if subtle.ConstantTimeCompare([]byte(got), want) != 1 {
				return nil, auth.ErrInvalidToken
			}
			return &auth.TokenInfo{UserID: "token"}, nil
		}
		h = auth.RequireBearerToken(verify, &auth.RequireBearerTokenOptions{AllowMissingExpiration: true})(h)
	}
	return h
}

// IsLoopback reports whether addr (host:port) binds only to a loopback
// interface: "localhost", 127.0.0.0/8 or ::1. An empty host (all
// interfaces) is not loopback.
func IsLoopback(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("address %q: want host:port: %w", addr, err)
	}
	if host == "localhost" {
		return true, nil
	}
	// An empty host is every interface; a name other than localhost may
	// resolve anywhere.
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback(), nil
}

// ServeHTTP listens on addr and serves until ctx ends, then shuts down
// (waiting up to 5 s for requests in flight). ready, when not nil, is
// called with the bound address once the server accepts connections.
func (s *Server) ServeHTTP(ctx context.Context, addr, token string, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s.HTTPHandler(token), ReadHeaderTimeout: 10 * time.Second}
	if ready != nil {
		ready(ln.Addr())
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
