package pages

import (
	"regexp"
	"slices"
	"sort"
	"strings"
)

// The glossary explains standard error codes that appear in signatures:
// HTTP statuses (RFC 9110 and common vendor ones), POSIX/Node errno names,
// OAuth 2.0 error codes (RFC 6749, RFC 6750, RFC 8628), JSON-RPC 2.0 codes
// and TLS/DNS failures. These are protocol facts, true for every tool that
// reports them, so a page can say what its error means even before anyone
// in the threads explains it.

type term struct {
	code    string   // as shown, e.g. "HTTP 429"
	words   []string // lower-case; one must occur before re is tried (nil: always try)
	re      *regexp.Regexp
	meaning string
	check   string // one troubleshooting step specific to the code
}

func t(code, pattern, meaning, check string) term {
	return term{code: code, re: regexp.MustCompile(pattern), meaning: meaning, check: check}
}

var glossary = []term{
	t("HTTP 400", `(?i)\b(?:http|status|code|error)\W{0,3}400\b|\b400 error\b|\b400 bad request\b`, "HTTP 400 Bad Request means the server rejected the request as malformed or invalid.", "Compare the failing request's parameters with what the server's API documentation accepts."),
	t("HTTP 401", `(?i)\b(?:http|status|code|error)\W{0,3}401\b|\b401 error\b|\bunauthori[sz]ed\b`, "HTTP 401 Unauthorized means the request carried no valid credentials.", "Check that the credential the tool sends is present, unexpired and meant for this server."),
	t("HTTP 403", `(?i)\b(?:http|status|code|error)\W{0,3}403\b|\b403 error\b|\bforbidden\b`, "HTTP 403 Forbidden means the credentials were accepted but do not allow this action.", "Check the permissions or plan attached to the account or key in use."),
	t("HTTP 404", `(?i)\b(?:http|status|code|error)\W{0,3}404\b|\b404 error\b|\b404 not found\b`, "HTTP 404 Not Found means the server has nothing at the requested path or id.", "Check the URL, endpoint path and resource name the tool is configured with."),
	t("HTTP 408", `(?i)\b(?:http|status|code|error)\W{0,3}408\b|\b408 error\b`, "HTTP 408 Request Timeout means the server gave up waiting for the request.", "Measure how long the request takes and whether a proxy sits between the tool and the server."),
	t("HTTP 409", `(?i)\b(?:http|status|code|error)\W{0,3}409\b|\b409 error\b`, "HTTP 409 Conflict means the request clashes with the current state of the resource.", "Retry after reloading the resource's current state."),
	t("HTTP 413", `(?i)\b(?:http|status|code|error)\W{0,3}413\b|\b413 error\b|\bpayload too large\b`, "HTTP 413 Content Too Large means the request body exceeds what the server accepts.", "Reduce the size of what is sent in one request."),
	t("HTTP 422", `(?i)\b(?:http|status|code|error)\W{0,3}422\b|\b422 error\b|\bunprocessable entity\b`, "HTTP 422 Unprocessable Content means the request was well-formed but its content failed validation.", "Read the validation message in the response body for the field that was rejected."),
	t("HTTP 429", `(?i)\b(?:http|status|code|error)\W{0,3}429\b|\b429 error\b|\btoo many requests\b|\brate[ _-]?limit`, "HTTP 429 Too Many Requests means the client sent more requests than its rate limit allows.", "Look for a Retry-After or rate-limit header in the response and how many requests run in parallel."),
	t("HTTP 500", `(?i)\b(?:http|status|code|error)\W{0,3}500\b|\b500 error\b|\binternal server error\b`, "HTTP 500 Internal Server Error means the server failed while handling the request.", "Check the server's status page or logs, since the fault is on the server side."),
	t("HTTP 502", `(?i)\b(?:http|status|code|error)\W{0,3}502\b|\b502 error\b|\bbad gateway\b`, "HTTP 502 Bad Gateway means a proxy or gateway got an invalid answer from the server behind it.", "Check whether a proxy, VPN or gateway sits in the path and whether the upstream server is up."),
	t("HTTP 503", `(?i)\b(?:http|status|code|error)\W{0,3}503\b|\b503 error\b|\bservice unavailable\b`, "HTTP 503 Service Unavailable means the server is temporarily unable to handle requests.", "Retry with backoff and check the provider's status page."),
	t("HTTP 504", `(?i)\b(?:http|status|code|error)\W{0,3}504\b|\b504 error\b|\bgateway time-?out\b`, "HTTP 504 Gateway Timeout means a proxy or gateway gave up waiting for the server behind it.", "Check for long-running requests and proxy timeouts between the tool and the server."),
	t("HTTP 529", `(?i)\b(?:http|status|code|error)\W{0,3}529\b|\b529 error\b|\boverloaded\b`, "HTTP 529 (overloaded) is a vendor status meaning the provider is over capacity and shed the request.", "Retry later with backoff, since capacity errors come from the provider rather than from the request."),
	t("ECONNREFUSED", `\bECONNREFUSED\b|(?i)\bconnection refused\b`, "ECONNREFUSED means nothing accepted the TCP connection at that address and port.", "Confirm that the server process is running and listening on the exact host and port the tool uses."),
	t("ECONNRESET", `\bECONNRESET\b|(?i)\bconnection reset\b`, "ECONNRESET means the other side closed the TCP connection abruptly.", "Check for proxies, firewalls or server restarts that cut connections."),
	t("ETIMEDOUT", `\bETIMEDOUT\b|(?i)\b(?:connect|connection|read) timed? ?out\b`, "ETIMEDOUT means a network operation got no answer in time.", "Test whether the host is reachable from the same machine and network."),
	t("ENOTFOUND", `\bENOTFOUND\b|\bEAI_AGAIN\b|(?i)\bgetaddrinfo\b|\bno such host\b`, "ENOTFOUND means the host name could not be resolved through DNS.", "Resolve the host name from the same machine to rule out DNS and typos."),
	t("EADDRINUSE", `\bEADDRINUSE\b|(?i)\baddress already in use\b`, "EADDRINUSE means another process already listens on the port.", "Find the process that holds the port and stop it or choose another port."),
	t("ENOENT", `\bENOENT\b|(?i)\bno such file or directory\b`, "ENOENT means a file or directory that the program expected does not exist.", "Check the path in the message, and whether it is relative to an unexpected working directory."),
	// OpenSSH's "Permission denied (publickey,...)" lists the
	// authentication methods it tried: it is no file access error.
	t("SSH authentication", `(?i)\bpermission denied \((?:publickey|password|keyboard-interactive|gssapi)`, "An SSH \"Permission denied\" followed by a list of methods means the server accepted none of the keys or methods the client offered.", "Run `ssh -vT` against the same host to see which keys the client offers, and check that one of them is added to the account on the server."),
	t("EACCES", `\bEACCES\b|\bEPERM\b|(?i)\bpermission denied(?:$|[^ (]| [^(])`, "EACCES or EPERM means the operating system denied access to a file, port or resource.", "Check the ownership and permissions of the path or port in the message."),
	t("EPIPE", `\bEPIPE\b|(?i)\bbroken pipe\b`, "EPIPE means the program wrote to a pipe or socket whose reader had already gone away.", "Find out why the other process exited first, since the write error is only a consequence."),
	t("invalid_scope", `\binvalid_scope\b`, "The OAuth error invalid_scope means the authorization server refused one or more of the requested scopes.", "Compare the scopes the client requests with those the authorization server and the account allow."),
	t("invalid_client", `\binvalid_client\b`, "The OAuth error invalid_client means client authentication failed: the client id is unknown or its credentials are wrong.", "Check that the client id is registered with this authorization server and matches the configured one."),
	t("invalid_grant", `\binvalid_grant\b`, "The OAuth error invalid_grant means the authorization code or refresh token is invalid, expired, revoked or was issued to another client.", "Sign in again to get a fresh grant, and check the clock of the machine."),
	t("invalid_request", `\binvalid_request\b`, "The OAuth error invalid_request means a required parameter is missing or malformed.", "Check the parameters of the authorization request, such as the redirect URI."),
	t("unauthorized_client", `\bunauthorized_client\b`, "The OAuth error unauthorized_client means this client may not use the requested grant type.", "Check which grant types the client registration allows."),
	t("access_denied", `\baccess_denied\b`, "The OAuth error access_denied means the user or the server declined the authorization.", "Check whether the account is allowed to authorize this application."),
	t("invalid_token", `\binvalid_token\b`, "The bearer token error invalid_token means the access token is expired, revoked or malformed.", "Get a new access token and check that it is sent unchanged."),
	t("redirect_uri", `(?i)\bredirect_uri\b|\bredirect uri\b`, "A redirect URI error means the callback address in the request does not match one registered for the client.", "Compare the redirect URI in the request with the registered ones, character by character."),
	t("JSON-RPC -32700", `-32700\b`, "JSON-RPC error -32700 (parse error) means the receiver got text that is not valid JSON.", "Check that nothing else writes to the same channel, such as log lines on standard output."),
	t("JSON-RPC -32600", `-32600\b`, "JSON-RPC error -32600 (invalid request) means the JSON is not a valid request object.", "Check the request shape against the protocol version both sides speak."),
	t("JSON-RPC -32601", `-32601\b|(?i)\bmethod not found\b`, "JSON-RPC error -32601 (method not found) means the server does not implement the called method.", "Check that client and server support the same protocol version and capabilities."),
	t("JSON-RPC -32602", `-32602\b|(?i)\binvalid params\b`, "JSON-RPC error -32602 (invalid params) means the method exists but rejected its parameters.", "Compare the parameters sent with the method's schema."),
	t("JSON-RPC -32603", `-32603\b`, "JSON-RPC error -32603 (internal error) means the server failed while handling a valid call.", "Read the server's own log for the failure behind the generic code."),
	t("JSON-RPC -32000", `-32000\b|-32001\b`, "JSON-RPC errors -32000 to -32099 are implementation-defined server errors, often used for closed connections and timeouts.", "Read the message text next to the code, which carries the real reason."),
	t("certificate", `(?i)\b(?:x509|certificate|self[- ]signed|unable to verify|CERT_[A-Z_]+|UNABLE_TO_[A-Z_]+)\b`, "A certificate error means the TLS connection was refused because the server's certificate could not be verified.", "Check for a proxy that intercepts TLS and whether its CA certificate is trusted by the tool's runtime."),
	t("context length", `(?i)\bcontext[_ ]length|\bmaximum context\b|\btoo many tokens\b|\bprompt is too long\b|\btoken limit\b`, "A context length error means the request holds more tokens than the model accepts in one call.", "Count what goes into the request, including tool output and history, against the model's limit."),
	t("model not found", `(?i)\bmodel[_ ]not[_ ]found\b|\bmodel\b[^.]{0,40}\b(?:does not exist|not found|not supported|unknown)\b`, "A model-not-found error means the provider does not serve the requested model name to this account or endpoint.", "Check the exact model name and whether the endpoint and account offer it."),
	t("out of memory", `(?i)\bout of memory\b|\bOOM\b|\bheap out of memory\b|\bENOMEM\b`, "An out-of-memory error means the process asked for more memory than it could get.", "Check the process's memory limit and the size of the input it was working on."),
	t("timeout", `(?i)\btimed? ?out\b|\btimeout\b|\bdeadline exceeded\b`, "A timeout means an operation did not finish within the time allowed.", "Find which step is slow and which setting bounds its time."),
}

// termWords are the literals each glossary pattern needs, by code.
var termWords = map[string][]string{
	"HTTP 400": {"400"}, "HTTP 401": {"401", "unauthori"}, "HTTP 403": {"403", "forbidden"}, "HTTP 404": {"404"},
	"HTTP 408": {"408"}, "HTTP 409": {"409"}, "HTTP 413": {"413", "payload"}, "HTTP 422": {"422", "unprocessable"},
	"HTTP 429": {"429", "too many", "rate"}, "HTTP 500": {"500", "internal server"}, "HTTP 502": {"502", "bad gateway"},
	"HTTP 503": {"503", "unavailable"}, "HTTP 504": {"504", "gateway time"}, "HTTP 529": {"529", "overloaded"},
	"ECONNREFUSED": {"econnrefused", "refused"}, "ECONNRESET": {"econnreset", "reset"}, "ETIMEDOUT": {"etimedout", "timed out", "timeout", "time out"},
	"ENOTFOUND": {"enotfound", "eai_again", "getaddrinfo", "no such host"}, "EADDRINUSE": {"eaddrinuse", "already in use"},
	"ENOENT": {"enoent", "no such file"}, "SSH authentication": {"permission denied ("}, "EACCES": {"eacces", "eperm", "permission denied"}, "EPIPE": {"epipe", "broken pipe"},
	"invalid_scope": {"invalid_scope"}, "invalid_client": {"invalid_client"}, "invalid_grant": {"invalid_grant"},
	"invalid_request": {"invalid_request"}, "unauthorized_client": {"unauthorized_client"}, "access_denied": {"access_denied"},
	"invalid_token": {"invalid_token"}, "redirect_uri": {"redirect"}, "JSON-RPC -32700": {"-32700"}, "JSON-RPC -32600": {"-32600"},
	"JSON-RPC -32601": {"-32601", "method not found"}, "JSON-RPC -32602": {"-32602", "invalid params"}, "JSON-RPC -32603": {"-32603"},
	"JSON-RPC -32000": {"-3200"}, "certificate": {"x509", "certificate", "signed", "verify", "cert_", "unable_to_"},
	"context length": {"context", "too many tokens", "too long", "token limit"}, "model not found": {"model"},
	"out of memory": {"memory", "oom", "enomem"}, "timeout": {"time"},
}

func init() {
	for i := range glossary {
		glossary[i].words = termWords[glossary[i].code]
	}
}

// terms returns the glossary entries that match any of the texts, in
// glossary order, at most max.
func terms(texts []string, max int) []term {
	var out []term
	all := strings.Join(texts, "\n")
	lower := strings.ToLower(all)
	for _, g := range glossary {
		if g.words != nil && !hasAny(lower, g.words...) {
			continue
		}
		if g.code == "timeout" && slices.ContainsFunc(out, func(o term) bool {
			return o.code == "ETIMEDOUT" || o.code == "HTTP 408" || o.code == "HTTP 504"
		}) {
			// A connect or gateway timeout is explained and checked by its
			// own code; "find which step is slow" would be another class's
			// advice on a page about an unreachable host.
			continue
		}
		if g.re.MatchString(all) {
			out = append(out, g)
			if len(out) == max {
				break
			}
		}
	}
	return out
}

// reVersionAt is a version named at the start of its input ("v1.2.3",
// "version: 2.0.0-rc.1"); versionsIn runs it only where a word starts
// with "v".
var reVersionAt = regexp.MustCompile(`(?i)^(?:version|ver\.?|v)\s*:?\s*(\d+\.\d+(?:\.\d+)?(?:-[0-9a-z.]+)?)\b`)

// hosts counts the servers named in URLs of the texts, one count per text.
func hosts(texts []string) []countItem {
	counts := map[string]int{}
	for _, tx := range texts {
		hasURL := strings.Contains(tx, "://")
		hasLocal := strings.Contains(tx, "localhost") || strings.Contains(tx, "127.0.0.1") || strings.Contains(tx, "0.0.0.0") || strings.Contains(tx, "::1")
		if !hasURL && !hasLocal {
			continue
		}
		l := strings.ToLower(clean(tx))
		seen := map[string]bool{}
		for _, h := range urlHosts(l) {
			if strings.HasSuffix(h, "github.com") || strings.HasSuffix(h, "githubusercontent.com") || strings.Contains(h, "example.") {
				continue
			}
			seen[h] = true
		}
		if hasLocal {
			for _, port := range localPorts(l) {
				seen["localhost:"+port] = true
			}
		}
		for h := range seen {
			counts[h]++
		}
	}
	return sortedCounts(counts)
}

type countItem struct {
	name  string
	count int
}

func sortedCounts(m map[string]int) []countItem {
	out := make([]countItem, 0, len(m))
	for k, v := range m {
		out = append(out, countItem{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].count != out[j].count {
			return out[i].count > out[j].count
		}
		return out[i].name < out[j].name
	})
	return out
}
