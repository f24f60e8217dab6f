// Package llmfake is an httptest server that speaks the OpenAI
// chat-completions API the way OpenAI documents it: POST
// {base}/chat/completions with a bearer key, "chat.completion" answers with
// usage, and errors as {"error": {message, type, param, code}} with the
// status codes and headers (Retry-After, retry-after-ms, x-ratelimit-*) the
// real service sends. Tests script answers per request (Enqueue) or let the
// default responder (Auto) answer every errata request with valid,
// schema-conforming JSON built from the request's evidence.
//
// Other packages' tests use it to run errata with a model:
//
//	fake := llmfake.New(t)
//	cfg := llm.Config{Enabled: true, BaseURL: fake.BaseURL(), Model: llmfake.Model, APIKey: llmfake.Key}
package llmfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Defaults the fake accepts.
const (
	Model = "fake-gpt"
	Key   = "sk-fake-test-key-000000000000000000"
)

// Request is one chat-completions request the fake received.
type Request struct {
	Model          string          `json:"model"`
	Messages       []Message       `json:"messages"`
	MaxTokens      int             `json:"max_tokens"`
	MaxCompletion  int             `json:"max_completion_tokens"`
	Temperature    *float64        `json:"temperature"`
	ResponseFormat *ResponseFormat `json:"response_format"`
	Stream         bool            `json:"stream"`

	Raw    []byte      `json:"-"`
	Header http.Header `json:"-"`
}

// Message is a chat message.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ResponseFormat is the request's response_format.
type ResponseFormat struct {
	Type       string `json:"type"`
	JSONSchema *struct {
		Name   string          `json:"name"`
		Schema json.RawMessage `json:"schema"`
		Strict bool            `json:"strict"`
	} `json:"json_schema"`
}

// System returns the system message ("" when none).
func (r Request) System() string { return r.role("system") }

// User returns the (last) user message.
func (r Request) User() string { return r.role("user") }

func (r Request) role(role string) string {
	out := ""
	for _, m := range r.Messages {
		if m.Role == role {
			out = m.Content
		}
	}
	return out
}

// Evidence returns the JSON between "<<<EVIDENCE" and "EVIDENCE>>>" in the
// user message, or nil.
func (r Request) Evidence() json.RawMessage {
	u := r.User()
	i := strings.Index(u, "<<<EVIDENCE\n")
	j := strings.LastIndex(u, "\nEVIDENCE>>>")
	if i < 0 || j < i {
		return nil
	}
	return json.RawMessage(u[i+len("<<<EVIDENCE\n") : j])
}

// Kind is the errata request kind: the json_schema name when sent, else
// guessed from the schema in the instructions.
func (r Request) Kind() string {
	if r.ResponseFormat != nil && r.ResponseFormat.JSONSchema != nil {
		return r.ResponseFormat.JSONSchema.Name
	}
	s := r.System()
	switch {
	case strings.Contains(s, `"meaning"`):
		return "page_prose"
	case strings.Contains(s, `"same"`):
		return "same_error"
	case strings.Contains(s, `"topic"`):
		return "classification"
	case strings.Contains(s, `"title"`):
		return "cluster_title"
	case strings.Contains(s, `"ok"`):
		return "check"
	}
	return ""
}

// Reply is one scripted answer.
type Reply struct {
	// Status is the HTTP status (0 = 200).
	Status int
	// Content is the assistant message content of a 200 answer.
	Content string
	// Body, when set, is sent verbatim instead of a built body.
	Body string
	// Header holds extra response headers, e.g. Retry-After.
	Header map[string]string
	// Delay holds the answer back (the fake stops early if the client
	// goes away).
	Delay time.Duration
	// FinishReason defaults to "stop".
	FinishReason string
	// PromptTokens and CompletionTokens default to rough counts.
	PromptTokens, CompletionTokens int
}

// Responder answers a request.
type Responder func(Request) Reply

// Server is the fake endpoint.
type Server struct {
	*httptest.Server
	// APIKey the fake requires as "Authorization: Bearer ..."; "" accepts
	// any (and none).
	APIKey string
	// Models the fake serves; empty serves any model name.
	Models []string
	// RejectJSONSchema makes the fake answer 400 to response_format
	// json_schema, like servers without structured outputs.
	RejectJSONSchema bool
	// Default answers when the queue is empty (Auto when nil).
	Default Responder

	mu       sync.Mutex
	queue    []Reply
	requests []Request
	served   int
}

// New starts a fake that requires Key and serves Model; it is closed when
// the test ends.
func New(tb testing.TB) *Server {
	s := Start()
	tb.Cleanup(s.Close)
	return s
}

// Start starts a fake outside a test (for local trials); Close stops it.
func Start() *Server {
	s := &Server{APIKey: Key, Models: []string{Model}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	return s
}

// BaseURL is the API base to configure, like https://api.openai.com/v1.
func (s *Server) BaseURL() string { return s.URL + "/v1" }

// Enqueue scripts the next answers, in order; after them Default answers.
func (s *Server) Enqueue(r ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, r...)
}

// Requests returns every chat-completions request received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Calls is the number of chat-completions requests received.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("openai-version", "2020-10-01")
	authorized := s.APIKey == "" || r.Header.Get("Authorization") == "Bearer "+s.APIKey
	switch {
	case !authorized && r.URL.Path != "/v1/chat/completions":
		writeUnauthorized(w)
		return
	case r.Method == http.MethodGet && r.URL.Path == "/v1/models":
		var data []map[string]any
		for _, m := range s.Models {
			data = append(data, map[string]any{"id": m, "object": "model", "created": 1700000000, "owned_by": "errata-fake"})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data})
		return
	case r.URL.Path != "/v1/chat/completions":
		writeError(w, http.StatusNotFound, fmt.Sprintf("Invalid URL (%s %s)", r.Method, r.URL.Path), "invalid_request_error", "", "")
		return
	case r.Method != http.MethodPost:
		writeError(w, http.StatusMethodNotAllowed, "Method not allowed", "invalid_request_error", "", "")
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "could not read body", "invalid_request_error", "", "")
		return
	}
	var req Request
	if err := json.Unmarshal(raw, &req); err != nil {
		writeError(w, http.StatusBadRequest, "We could not parse the JSON body of your request.", "invalid_request_error", "", "")
		return
	}
	req.Raw, req.Header = raw, r.Header.Clone()
	s.mu.Lock()
	s.requests = append(s.requests, req)
	var reply Reply
	scripted := len(s.queue) > 0
	if scripted {
		reply, s.queue = s.queue[0], s.queue[1:]
	}
	def := s.Default
	s.mu.Unlock()

	if !authorized {
		writeUnauthorized(w)
		return
	}
	if req.Model == "" || len(req.Messages) == 0 {
		writeError(w, http.StatusBadRequest, "you must provide a model parameter and messages", "invalid_request_error", "model", "")
		return
	}
	if len(s.Models) > 0 && !contains(s.Models, req.Model) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("The model `%s` does not exist or you do not have access to it.", req.Model), "invalid_request_error", "", "model_not_found")
		return
	}
	if s.RejectJSONSchema && req.ResponseFormat != nil && req.ResponseFormat.Type == "json_schema" {
		writeError(w, http.StatusBadRequest, "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.", "invalid_request_error", "response_format", "")
		return
	}
	if !scripted {
		if def == nil {
			def = Auto
		}
		reply = def(req)
	}
	if reply.Delay > 0 {
		select {
		case <-time.After(reply.Delay):
		case <-r.Context().Done():
			return
		}
	}
	for k, v := range reply.Header {
		w.Header().Set(k, v)
	}
	status := reply.Status
	if status == 0 {
		status = http.StatusOK
	}
	if reply.Body != "" {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, reply.Body)
		return
	}
	if status != http.StatusOK {
		writeError(w, status, http.StatusText(status), "server_error", "", "")
		return
	}
	pt, ct := reply.PromptTokens, reply.CompletionTokens
	if pt == 0 {
		pt = (len(req.System()) + len(req.User())) / 4
	}
	if ct == 0 {
		ct = len(reply.Content)/4 + 1
	}
	fr := reply.FinishReason
	if fr == "" {
		fr = "stop"
	}
	s.mu.Lock()
	s.served++
	id := s.served
	s.mu.Unlock()
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id":      fmt.Sprintf("chatcmpl-fake%06d", id),
		"object":  "chat.completion",
		"created": time.Now().Unix(),
		"model":   req.Model,
		"choices": []map[string]any{{
			"index":         0,
			"message":       map[string]any{"role": "assistant", "content": reply.Content, "refusal": nil},
			"logprobs":      nil,
			"finish_reason": fr,
		}},
		"usage":              map[string]any{"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct},
		"system_fingerprint": "fp_errata_fake",
	})
}

func writeUnauthorized(w http.ResponseWriter) {
	writeError(w, http.StatusUnauthorized, "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_request_error", "", "invalid_api_key")
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func writeError(w http.ResponseWriter, status int, msg, typ, param, code string) {
	w.WriteHeader(status)
	_, _ = io.WriteString(w, ErrorBody(msg, typ, param, code))
}

// ErrorBody is an OpenAI error document; empty param and code are null.
func ErrorBody(msg, typ, param, code string) string {
	e := map[string]any{"message": msg, "type": typ, "param": nil, "code": nil}
	if param != "" {
		e["param"] = param
	}
	if code != "" {
		e["code"] = code
	}
	b, _ := json.Marshal(map[string]any{"error": e})
	return string(b)
}

// RateLimited is OpenAI's 429 for a rate limit, asking to wait retryAfter
// seconds (Retry-After) as the real service does.
func RateLimited(retryAfter string) Reply {
	h := map[string]string{
		"x-ratelimit-limit-requests":     "500",
		"x-ratelimit-remaining-requests": "0",
		"x-ratelimit-reset-requests":     retryAfter + "s",
	}
	if retryAfter != "" {
		h["Retry-After"] = retryAfter
	}
	return Reply{Status: http.StatusTooManyRequests, Header: h, Body: ErrorBody(
		"Rate limit reached for requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in "+retryAfter+"s.",
		"requests", "", "rate_limit_exceeded")}
}

// QuotaExceeded is OpenAI's 429 when the account has no credit: waiting
// does not help.
func QuotaExceeded() Reply {
	return Reply{Status: http.StatusTooManyRequests, Body: ErrorBody(
		"You exceeded your current quota, please check your plan and billing details.",
		"insufficient_quota", "", "insufficient_quota")}
}

// ServerError is OpenAI's 500.
func ServerError() Reply {
	return Reply{Status: http.StatusInternalServerError, Body: ErrorBody(
		"The server had an error while processing your request. Sorry about that!", "server_error", "", "")}
}

// BadGateway is a proxy's 502 with an HTML body, as load balancers send.
func BadGateway() Reply {
	return Reply{Status: http.StatusBadGateway, Header: map[string]string{"Content-Type": "text/html"},
		Body: "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>"}
}

// JSON is a 200 answer whose content is v encoded as JSON.
func JSON(v any) Reply {
	b, _ := json.Marshal(v)
	return Reply{Content: string(b)}
}
