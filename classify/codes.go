package classify

import (
	"regexp"
	"sort"
	"strings"
)

// Error codes from public specifications and public API documentation.
//
// A code found in an error text is the strongest evidence of which error a
// report is about: two reports that carry the same specific code report the
// same error, whatever the surrounding wording, language or tool. The tables
// below hold only knowledge from public specifications: OAuth 2.0 error
// codes (RFC 6749, RFC 6750, RFC 7591, RFC 8628, RFC 9728), HTTP statuses
// (RFC 9110, RFC 6585 and the widely documented 529 "overloaded"), JSON-RPC
// 2.0 codes, POSIX errno names and Node.js/OpenSSL error codes, and the error
// types documented by the big LLM APIs. Their documented message forms are
// aliases of the same code (RFC 9110's reason phrase "Too Many Requests" is
// status 429, for example).
//
// A concept is "strong" when the code alone is specific enough to group
// reports; "weak" codes (400, 404, 500, -32603, invalid_request, ...) name a
// class of errors and only help to block and compare templates.

// Code is one error code found in a text.
type Code struct {
	Key    string `json:"key"`    // canonical, e.g. "oauth:invalid_scope", "http:429", "errno:ECONNREFUSED"
	Strong bool   `json:"strong"` // specific enough to group reports on its own
	Via    string `json:"via"`    // the text that matched
}

type codeInfo struct {
	key    string
	strong bool
}

// snake-case codes matched as whole tokens, case-insensitively.
var tokenCodes = map[string]codeInfo{
	// RFC 6749 section 4.1.2.1 / 5.2
	"invalid_request":           {"oauth:invalid_request", false},
	"invalid_client":            {"oauth:invalid_client", true},
	"invalid_grant":             {"oauth:invalid_grant", true},
	"unauthorized_client":       {"oauth:unauthorized_client", true},
	"unsupported_grant_type":    {"oauth:unsupported_grant_type", true},
	"invalid_scope":             {"oauth:invalid_scope", true},
	"access_denied":             {"oauth:access_denied", true},
	"unsupported_response_type": {"oauth:unsupported_response_type", true},
	"server_error":              {"oauth:server_error", false},
	"temporarily_unavailable":   {"oauth:temporarily_unavailable", true},
	// RFC 6750
	"invalid_token":      {"oauth:invalid_token", true},
	"insufficient_scope": {"oauth:insufficient_scope", true},
	// RFC 7591
	"invalid_redirect_uri":          {"oauth:invalid_redirect_uri", true},
	"invalid_client_metadata":       {"oauth:invalid_client_metadata", true},
	"invalid_software_statement":    {"oauth:invalid_software_statement", true},
	"unapproved_software_statement": {"oauth:unapproved_software_statement", true},
	// RFC 8628
	"authorization_pending": {"oauth:authorization_pending", true},
	"slow_down":             {"oauth:slow_down", true},
	"expired_token":         {"oauth:expired_token", true},
	// RFC 8707 / RFC 9728
	"invalid_target": {"oauth:invalid_target", true},
	// Anthropic API error types (docs: "Errors")
	"invalid_request_error": {"api:invalid_request_error", false},
	"authentication_error":  {"api:authentication_error", true},
	"permission_error":      {"api:permission_error", true},
	"not_found_error":       {"api:not_found_error", false},
	"request_too_large":     {"http:413", true},
	"rate_limit_error":      {"http:429", true},
	"api_error":             {"api:api_error", false},
	"overloaded_error":      {"http:529", true},
	// OpenAI API error codes (docs: "Error codes")
	"context_length_exceeded":              {"api:context_length_exceeded", true},
	"model_not_found":                      {"api:model_not_found", true},
	"insufficient_quota":                   {"api:insufficient_quota", true},
	"invalid_api_key":                      {"api:invalid_api_key", true},
	"rate_limit_exceeded":                  {"http:429", true},
	"string_above_max_length":              {"api:string_above_max_length", true},
	"unsupported_country_region_territory": {"api:unsupported_region", true},
	// Google / gRPC canonical codes as spelled in REST errors
	"resource_exhausted": {"http:429", true},
	"unavailable":        {"grpc:unavailable", false},
	"deadline_exceeded":  {"grpc:deadline_exceeded", true},
	"permission_denied":  {"grpc:permission_denied", false},
	"unauthenticated":    {"grpc:unauthenticated", false},
}

// errno and platform codes matched as whole upper-case tokens.
var errnoCodes = map[string]bool{
	"EACCES": true, "EADDRINUSE": true, "EADDRNOTAVAIL": true, "EAFNOSUPPORT": true, "EAGAIN": true,
	"EAI_AGAIN": true, "EAI_NONAME": true, "EAI_FAIL": true, "EBADF": true, "EBUSY": true,
	"ECONNABORTED": true, "ECONNREFUSED": true, "ECONNRESET": true, "EEXIST": true, "EHOSTDOWN": true,
	"EHOSTUNREACH": true, "EINVAL": true, "EIO": true, "EISDIR": true, "ELOOP": true, "EMFILE": true,
	"ENAMETOOLONG": true, "ENETDOWN": true, "ENETUNREACH": true, "ENFILE": true, "ENOBUFS": true,
	"ENOENT": true, "ENOMEM": true, "ENOSPC": true, "ENOTCONN": true, "ENOTDIR": true, "ENOTEMPTY": true,
	"ENOTFOUND": true, "ENOTSUP": true, "ENXIO": true, "EPERM": true, "EPIPE": true, "EPROTO": true,
	"EROFS": true, "ESPIPE": true, "ESRCH": true, "ETIMEDOUT": true, "ETXTBSY": true, "EXDEV": true,
	"ESOCKETTIMEDOUT": true, "EINTR": true, "ECANCELED": true, "ECHILD": true, "EDQUOT": true,
	// OpenSSL / Node TLS codes
	"UNABLE_TO_GET_ISSUER_CERT_LOCALLY": true, "UNABLE_TO_VERIFY_LEAF_SIGNATURE": true,
	"SELF_SIGNED_CERT_IN_CHAIN": true, "DEPTH_ZERO_SELF_SIGNED_CERT": true, "CERT_HAS_EXPIRED": true,
	"ERR_TLS_CERT_ALTNAME_INVALID": true, "CERT_NOT_YET_VALID": true, "UNABLE_TO_GET_ISSUER_CERT": true,
	// undici (Node fetch) codes
	"UND_ERR_CONNECT_TIMEOUT": true, "UND_ERR_HEADERS_TIMEOUT": true, "UND_ERR_SOCKET": true,
	"UND_ERR_BODY_TIMEOUT": true, "UND_ERR_ABORTED": true,
}

// errno aliases: the strerror / Node message forms of the same codes.
type phraseCode struct {
	re     *regexp.Regexp
	key    string
	strong bool
	// hints: alternatives of lower-case substrings, one alternative of
	// which must occur entirely for the regexp to be worth running (a
	// cheap prefilter; see phraseHints).
	hints [][]string
}

var phraseCodes = []phraseCode{
	// strerror(3) / Winsock / Node message forms
	{regexp.MustCompile(`(?i)\bconnection refused\b|\bconnect econnrefused\b|\bactively refused\b`), "errno:ECONNREFUSED", true, nil},
	{regexp.MustCompile(`(?i)\bconnection reset by peer\b|\bsocket hang up\b`), "errno:ECONNRESET", true, nil},
	{regexp.MustCompile(`(?i)\bno such file or directory\b`), "errno:ENOENT", true, nil},
	{regexp.MustCompile(`(?i)\baddress already in use\b`), "errno:EADDRINUSE", true, nil},
	{regexp.MustCompile(`(?i)\bno space left on device\b`), "errno:ENOSPC", true, nil},
	{regexp.MustCompile(`(?i)\btoo many open files\b`), "errno:EMFILE", true, nil},
	{regexp.MustCompile(`(?i)\bbroken pipe\b`), "errno:EPIPE", true, nil},
	{regexp.MustCompile(`(?i)\boperation not permitted\b`), "errno:EPERM", true, nil},
	{regexp.MustCompile(`(?i)\bresource busy or locked\b|\bdevice or resource busy\b`), "errno:EBUSY", true, nil},
	{regexp.MustCompile(`(?i)\bnetwork is unreachable\b`), "errno:ENETUNREACH", true, nil},
	{regexp.MustCompile(`(?i)\bno route to host\b`), "errno:EHOSTUNREACH", true, nil},
	{regexp.MustCompile(`(?i)\bself[- ]signed certificate\b`), "errno:SELF_SIGNED_CERT_IN_CHAIN", true, nil},
	{regexp.MustCompile(`(?i)\bunable to get local issuer certificate\b`), "errno:UNABLE_TO_GET_ISSUER_CERT_LOCALLY", true, nil},
	{regexp.MustCompile(`(?i)\bcertificate has expired\b`), "errno:CERT_HAS_EXPIRED", true, nil},
	// WHATWG fetch / undici: "TypeError: fetch failed", browsers: "Failed to fetch"
	{regexp.MustCompile(`(?i)\bfetch failed\b|\bfailed to fetch\b`), "net:fetch_failed", true, nil},
	// RFC 9110 / RFC 6585 reason phrases
	{regexp.MustCompile(`(?i)\btoo many requests\b|\brate[- ]?limit(?:ed|s)?\b(?:\s+\w+){0,3}?\s*(?:exceeded|reached|error|hit)\b|\b(?:exceeded|reached|hit|exceed)\s+(?:\w+\s+){0,3}?rate[- ]?limits?\b|\bratelimiterror\b`), "http:429", true, nil},
	// "overloaded" alone is also C++/Java vocabulary ("overloaded function"):
	// require the API error type or an error/status context.
	{regexp.MustCompile(`(?i)\boverloaded_?error\b|\b(?:api|server|service|model|upstream|provider|error|status|529)\W{1,3}(?:\w+\W{1,3}){0,2}overloaded\b|\boverloaded\W{1,3}(?:\w+\W{1,3}){0,2}(?:529|error|errors|retry|retrying)\b|^overloaded$`), "http:529", true, nil},
	{regexp.MustCompile(`(?i)\bservice unavailable\b`), "http:503", false, nil},
	{regexp.MustCompile(`(?i)\bbad gateway\b`), "http:502", false, nil},
	{regexp.MustCompile(`(?i)\bgateway time-?out\b`), "http:504", false, nil},
	{regexp.MustCompile(`(?i)\binternal server error\b`), "http:500", false, nil},
	{regexp.MustCompile(`(?i)\bpayload too large\b|\brequest entity too large\b`), "http:413", true, nil},
	// RFC 6749 descriptions spelled out
	{regexp.MustCompile(`(?i)\b(?:invalid|unrecognized|unknown|unregistered)[ _-]client[ _-]?id\b|\bclient[ _-]?id\b[^.\n]{0,60}?\b(?:not found|not recognized|is not registered|was not found|does not exist)\b|\bclient[ _-]?id (?:is )?(?:invalid|not found|unknown)\b|\bunknown client\b|\bclient not found\b`), "oauth:invalid_client", true, nil},
	{regexp.MustCompile(`(?i)\binvalid scopes?\b|\bscopes? (?:is |are )?(?:invalid|not (?:recognized|supported|allowed))\b|\bunsupported scopes?\b`), "oauth:invalid_scope", true, nil},
	{regexp.MustCompile(`(?i)\binvalid grant\b`), "oauth:invalid_grant", true, nil},
	{regexp.MustCompile(`(?i)\binvalid redirect[ _]uri\b|\bredirect[ _]uri mismatch\b|\bredirect_uri_mismatch\b`), "oauth:invalid_redirect_uri", true, nil},
	// RFC 9728 section 3.3: the resource in protected-resource metadata must match the URL used
	{regexp.MustCompile(`(?i)\bprotected resource\b.{0,80}?\b(?:does not|doesn't|do not|did not) match\b|\bresource\b.{0,60}?\b(?:does not|doesn't) match\b.{0,40}?\b(?:expected|server|endpoint)|\bresource (?:url|uri|indicator)? ?mismatch\b`), "oauth:protected_resource_mismatch", true, nil},
	// OpenAI / Anthropic documented messages of their codes
	{regexp.MustCompile(`(?i)\bmaximum context length\b|\bcontext[ _]length[ _]exceeded\b|\bprompt is too long\b|\bcontext window (?:is )?(?:exceeded|full)\b|\bexceeds? (?:the )?(?:model'?s? )?(?:maximum )?(?:context|token) (?:window|limit|length)\b`), "api:context_length_exceeded", true, nil},
	{regexp.MustCompile(`(?i)\bmodel[:\s]+\S{1,60}\s+(?:and\s+\S{1,60}\s+)?(?:does not|doesn't|do not) exist\b|\bmodel[ _]not[ _]found\b|\bnot[ _]found(?:_error)?\b.{0,80}?\bmodel\b|\bmodel\b.{0,40}?\bnot[ _]found\b|\bmodel (?:\S{1,60} )?(?:is )?not (?:found|available|supported)\b`), "api:model_not_found", true, nil},
	{regexp.MustCompile(`(?i)\bexceeded your current quota\b|\binsufficient[ _]quota\b|\bcredit balance is too low\b`), "api:insufficient_quota", true, nil},
	{regexp.MustCompile(`(?i)\bincorrect api key\b|\binvalid[ _]api[ _]key\b|\binvalid x-api-key\b`), "api:invalid_api_key", true, nil},
	// JSON-RPC 2.0 messages
	{regexp.MustCompile(`(?i)\bmethod not found\b`), "jsonrpc:-32601", false, nil},
	{regexp.MustCompile(`(?i)\bparse error\b`), "jsonrpc:-32700", false, nil},
}

var (
	camelExc = regexp.MustCompile(`\b([A-Z][a-z]+(?:[A-Z][a-z]+)+)(?:Error|Exception)\b`)
	rpcCode  = regexp.MustCompile(`(?:^|[^0-9\w])(-32[0-9]{3})\b`)
)

// specific statuses that identify an error on their own.
var strongStatus = map[string]bool{"429": true, "529": true, "413": true, "407": true, "401": false}

// FindCodes returns the error codes in s, strongest first, without duplicates.
func FindCodes(s string) []Code {
	s = cutBytes(s, MaxRawLen*4)
	seen := map[string]int{}
	var out []Code
	add := func(key string, strong bool, via string) {
		if i, ok := seen[key]; ok {
			if strong && !out[i].Strong {
				out[i].Strong = true
			}
			return
		}
		seen[key] = len(out)
		out = append(out, Code{Key: key, Strong: strong, Via: via})
	}
	lower := strings.ToLower(s)
	// SDKs name exception classes after the codes: InvalidScopeError is
	// invalid_scope, RateLimitError is rate_limit(_error).
	if strings.Contains(s, "Error") || strings.Contains(s, "Exception") {
		for _, m := range camelExc.FindAllStringSubmatch(s, 4) {
			snake := camelToSnake(m[1])
			for _, k := range []string{snake, snake + "_error"} {
				if ci, ok := tokenCodes[k]; ok {
					add(ci.key, ci.strong, m[0])
					break
				}
			}
		}
	}
	scanWords(s, func(w string, upper, underscore bool) bool {
		if underscore || len(w) >= 11 && (strings.EqualFold(w, "unavailable") || strings.EqualFold(w, "unauthenticated")) {
			if ci, ok := tokenCodes[strings.ToLower(w)]; ok {
				add(ci.key, ci.strong, w)
			}
		}
		if upper && isErrnoWord(w) {
			add("errno:"+w, true, w)
		}
		return true
	})
	for _, pc := range phraseCodes {
		if !hintsMatch(lower, pc.hints) {
			continue
		}
		if m := pc.re.FindString(s); m != "" {
			add(pc.key, pc.strong, m)
		}
	}
	if hasStatusDigits(s) {
		for _, st := range findStatuses(s, 8) {
			add("http:"+st[0], strongStatus[st[0]], st[1])
		}
	}
	if !strings.Contains(s, "-32") {
		sort.SliceStable(out, func(i, j int) bool { return out[i].Strong && !out[j].Strong })
		return out
	}
	for _, m := range rpcCode.FindAllStringSubmatchIndex(s, 4) {
		code := s[m[2]:m[3]]
		// JSON-RPC implementations put the specific message after the
		// code ("-32001: Request timed out"): code plus message is specific.
		if msg := rpcMessage(s[m[3]:], code); msg != "" {
			add("jsonrpc:"+code+":"+msg, true, code+": "+msg)
		}
		add("jsonrpc:"+code, false, code)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Strong && !out[j].Strong })
	return out
}

// isCodeToken reports whether a bare token is a known error code that the
// normalizer must keep even when it appears quoted or as a value.
func isCodeToken(t string) bool {
	if _, ok := tokenCodes[strings.ToLower(t)]; ok {
		return true
	}
	u := strings.ToUpper(t)
	return errnoCodes[u] || strings.HasPrefix(u, "ERR_") && len(u) > 8 && isIdent(u)
}

var rpcMsgStop = map[string]bool{"with": true, "at": true, "from": true, "for": true, "when": true, "while": true,
	"after": true, "in": true, "on": true, "to": true, "and": true, "error": false}

// rpcMessage returns up to three lower-case words of the message that
// follows a JSON-RPC code, stopping at punctuation or a joining word. A
// wrapper that repeats the code ("-32602: RPC error -32602: ...") is
// skipped, and so are names in the message (quoted, or spelled as
// identifiers: tool_x, {name}, a.b): "Tool 'x' not found" and "Tool
// get_x not found" are the same message.
func rpcMessage(s, code string) string {
	for k := 0; k < 3; k++ {
		i := strings.Index(s, code)
		if i < 0 || i > 40 {
			break
		}
		s = s[i+len(code):]
	}
	// the message follows the code directly ("-32601: Method not found"),
	// not after another field (", message: ...")
	s = strings.TrimLeft(s, " :\t")
	if s == "" || strings.IndexByte(",;)]}", s[0]) >= 0 {
		return ""
	}
	var words []string
	for _, tok := range strings.Fields(s) {
		if len(words) >= 3 {
			break
		}
		core := strings.TrimRight(tok, ":.,;!?)")
		end := core != tok
		if q := strings.TrimRight(core, "\"'`"); q != core && q != "" && rpcWord(strings.TrimLeft(q, "\"'`")) && q[0] != '\'' && q[0] != '"' && q[0] != '`' {
			core = q // a word closing a quoted message
			end = true
		}
		core = strings.TrimLeft(core, ":(")
		if in := strings.TrimLeft(core, "\"'`"); in != core && rpcWord(in) {
			core = in // a quoted message starts (a quoted single word is a name)
		}
		if core == "" || !rpcWord(core) {
			if len(words) > 0 && end {
				break
			}
			if len(words) == 0 && core != "" && !rpcName(core) {
				break
			}
			continue
		}
		w := strings.ToLower(core)
		if rpcMsgStop[w] {
			break
		}
		words = append(words, w)
		if end {
			break
		}
	}
	return strings.Join(words, " ")
}

// rpcWord: letters and inner hyphens only.
func rpcWord(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' && i > 0) {
			return false
		}
	}
	return true
}

// rpcName: a name inside a message (quoted, braced or an identifier),
// skipped when the message key is taken.
func rpcName(s string) bool {
	switch s[0] {
	case '\'', '"', '`', '{', '<', '[':
		return true
	}
	return strings.ContainsAny(s, "_./")
}

// phraseHints gives each phrase rule the literals it cannot match without:
// one of the alternatives must occur; "a&b" needs both a and b.
var phraseHints = map[string][]string{
	"errno:ECONNREFUSED":                      {"refused"},
	"errno:ECONNRESET":                        {"reset by peer", "hang up"},
	"errno:ENOENT":                            {"no such file"},
	"errno:EADDRINUSE":                        {"already in use"},
	"errno:ENOSPC":                            {"no space"},
	"errno:EMFILE":                            {"too many open"},
	"errno:EPIPE":                             {"broken pipe"},
	"errno:EPERM":                             {"not permitted"},
	"errno:EBUSY":                             {"busy"},
	"errno:ENETUNREACH":                       {"unreachable"},
	"errno:EHOSTUNREACH":                      {"no route"},
	"errno:SELF_SIGNED_CERT_IN_CHAIN":         {"signed"},
	"errno:UNABLE_TO_GET_ISSUER_CERT_LOCALLY": {"issuer"},
	"errno:CERT_HAS_EXPIRED":                  {"certificate has"},
	"net:fetch_failed":                        {"fetch"},
	"http:429":                                {"too many requests", "ratelimit", "rate limit", "rate-limit", "rate_limit"},
	"http:529":                                {"overloaded"},
	"http:503":                                {"unavailable"},
	"http:502":                                {"bad gateway"},
	"http:504":                                {"gateway"},
	"http:500":                                {"internal server"},
	"http:413":                                {"too large"},
	"oauth:invalid_client":                    {"client&invalid", "client&unrecognized", "client&unknown", "client&unregistered", "client&not found", "client&not recognized", "client&not registered", "client&does not exist"},
	"oauth:invalid_scope":                     {"scope&invalid", "scope&not", "scope&unsupported"},
	"oauth:invalid_grant":                     {"grant"},
	"oauth:invalid_redirect_uri":              {"redirect"},
	"oauth:protected_resource_mismatch":       {"resource&match"},
	"api:context_length_exceeded":             {"context", "prompt is too long", "token limit", "token window", "token length"},
	"api:model_not_found":                     {"model&exist", "model&not found", "model&not_found", "model&not available", "model&not supported"},
	"api:insufficient_quota":                  {"quota", "credit"},
	"api:invalid_api_key":                     {"api key", "api_key", "x-api-key"},
	"jsonrpc:-32601":                          {"method not found"},
	"jsonrpc:-32700":                          {"parse error"},
}

func init() {
	for i := range phraseCodes {
		for _, h := range phraseHints[phraseCodes[i].key] {
			phraseCodes[i].hints = append(phraseCodes[i].hints, strings.Split(h, "&"))
		}
		if len(phraseCodes[i].hints) == 0 {
			panic("classify: phrase rule without hints: " + phraseCodes[i].key)
		}
	}
}

// hasStatusDigits reports whether s holds a 4xx/5xx number.
func hasStatusDigits(s string) bool {
	for i := 0; i+2 < len(s); i++ {
		if (s[i] == '4' || s[i] == '5') && s[i+1] >= '0' && s[i+1] <= '9' && s[i+2] >= '0' && s[i+2] <= '9' &&
			(i == 0 || s[i-1] < '0' || s[i-1] > '9') && (i+3 == len(s) || s[i+3] < '0' || s[i+3] > '9') {
			return true
		}
	}
	return false
}

// hasUpperCode reports whether s holds an errno or platform code
// (ECONNREFUSED, ERR_MODULE_NOT_FOUND, CERT_HAS_EXPIRED, ...).
func hasUpperCode(s string) bool {
	found := false
	scanWords(s, func(w string, upper, _ bool) bool {
		if upper && isErrnoWord(w) {
			found = true
			return false
		}
		return true
	})
	return found
}

func isErrnoWord(w string) bool {
	return errnoCodes[w] || len(w) > 8 && strings.HasPrefix(w, "ERR_")
}

// scanWords calls fn with each run of [A-Za-z0-9_] in s (a word in the
// sense of \b), saying whether it is all upper-case letters, digits and
// underscores (with at least 3 bytes) and whether it holds an underscore;
// fn returns false to stop. No regular expression, no allocation.
func scanWords(s string, fn func(w string, upper, underscore bool) bool) {
	start := -1
	upper, under := true, false
	for i := 0; i <= len(s); i++ {
		var c byte = ' '
		if i < len(s) {
			c = s[i]
		}
		word := c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if word {
			if start < 0 {
				start, upper, under = i, true, false
			}
			if c >= 'a' && c <= 'z' {
				upper = false
			}
			if c == '_' {
				under = true
			}
			continue
		}
		if start >= 0 {
			if !fn(s[start:i], upper && i-start >= 3, under) {
				return
			}
			start = -1
		}
	}
}

// HTTP statuses count only in context: after a word such as "HTTP",
// "status", "status code", "code", "error", "response", "returned" or
// "got" ("status code 429", "HTTP/1.1 502", "Error: 529"), before a word
// such as "error", "Too", "Unauthorized", "Not Found", "Bad", "Internal"
// ("429 Too Many Requests", "404 - Not Found"), or alone in parentheses
// ("(529)"). A bare number is not a status. Hand-written for speed (this
// runs on every candidate line) and because RE2 has no look-around.
var (
	statusBeforeWords = map[string]bool{"http": true, "status": true, "status_code": true, "statuscode": true, "code": true,
		"error": true, "err": true, "response": true, "returned": true, "got": true}
	statusAfterWords = map[string]bool{"error": true, "err": true, "too": true, "overloaded": true, "unauthorized": true,
		"forbidden": true, "bad": true, "internal": true, "service": true, "gateway": true, "payload": true, "request": true,
		"conflict": true, "unprocessable": true, "precondition": true, "method": true}
)

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

// findStatuses returns up to max (status, context) pairs.
func findStatuses(s string, max int) [][2]string {
	var out [][2]string
	for i := 0; i+2 < len(s) && len(out) < max; i++ {
		if !(s[i] == '4' || s[i] == '5') || !isDigits(s[i:i+3]) || (i > 0 && isAlnum(s[i-1])) || (i+3 < len(s) && isAlnum(s[i+3])) {
			continue
		}
		code := s[i : i+3]
		start, end := i, i+3
		ok := false
		// "(529)"
		if i > 0 && s[i-1] == '(' && i+3 < len(s) && s[i+3] == ')' {
			ok, start, end = true, i-1, i+4
		}
		// a context word before, up to 3 separators away
		if !ok {
			j := i
			for n := 0; n < 3 && j > 0 && strings.IndexByte(" \t:=([#\"", s[j-1]) >= 0; n++ {
				j--
			}
			if j < i || (j > 0 && j == i) {
				k := j
				for k > 0 && (isAlnum(s[k-1]) || s[k-1] == '/' || s[k-1] == '.') {
					k--
				}
				w := strings.ToLower(s[k:j])
				if slash := strings.IndexByte(w, '/'); slash > 0 && w[:slash] == "http" {
					w = "http"
				}
				if j > k && statusBeforeWords[w] {
					ok, start = true, k
				}
			}
		}
		// a context word after
		if !ok {
			k := i + 3
			if k < len(s) && s[k] == ')' {
				k++
			}
			n := 0
			for n < 3 && k < len(s) && (s[k] == ' ' || s[k] == '\t' || s[k] == ':' || s[k] == '-') {
				k++
				n++
			}
			if n > 0 {
				e := k
				for e < len(s) && isAlnum(s[e]) {
					e++
				}
				w := strings.ToLower(s[k:e])
				switch {
				case statusAfterWords[w]:
					ok, end = true, e
				case w == "not":
					rest := strings.ToLower(s[e:min(len(s), e+8)])
					if strings.HasPrefix(rest, " found") || strings.HasPrefix(rest, " allowed") {
						ok, end = true, min(len(s), e+8)
					}
				}
			}
		}
		if ok {
			out = append(out, [2]string{code, s[start:end]})
		}
		i += 2
	}
	return out
}

// camelToSnake turns "InvalidScope" into "invalid_scope".
func camelToSnake(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

func hintsMatch(lower string, hints [][]string) bool {
	for _, h := range hints {
		ok := true
		for _, part := range h {
			if !strings.Contains(lower, part) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
