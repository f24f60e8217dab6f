package mcpserver

// The tools' inputs and outputs. The SDK derives each tool's input and
// output JSON schema from these types (json tags name the fields; fields
// without omitempty are required; jsonschema tags describe them), checks
// every input against its schema and every output against its schema.

// MatchInput is match_error's input.
type MatchInput struct {
	Text  string `json:"text" jsonschema:"the error message as you saw it, with a few lines around it (at most 64 KiB)"`
	Limit int    `json:"limit,omitempty" jsonschema:"at most this many clusters, 1 to 10 (default 3)"`
}

// MatchOutput is match_error's structured result.
type MatchOutput struct {
	// Signature is the pasted text's normalized error template, "" when
	// no error message was found in it.
	Signature string         `json:"signature" jsonschema:"the pasted error normalized as errata compares it (variable parts masked); empty when no error message was found"`
	Code      string         `json:"code,omitempty" jsonschema:"the specific error code found in the text, if any"`
	Matches   []ClusterMatch `json:"matches" jsonschema:"the known errors the text matches, best first"`
}

// ClusterMatch is one matched cluster.
type ClusterMatch struct {
	Score   float64        `json:"score" jsonschema:"how well the text matches, 0 to 1 (1: same error code or identical template)"`
	Why     string         `json:"why" jsonschema:"why it matched"`
	Cluster ClusterSummary `json:"cluster"`
	Fixes   []Finding      `json:"fixes" jsonschema:"fixes and workarounds found in the reports' threads, best first, each with its source"`
	Causes  []Finding      `json:"causes" jsonschema:"causes stated in the threads, each with its source"`
}

// ClusterSummary is what every answer says about a cluster.
type ClusterSummary struct {
	ID              int64    `json:"id"`
	Slug            string   `json:"slug"`
	Title           string   `json:"title"`
	Signature       string   `json:"signature" jsonschema:"the error's canonical template"`
	Topic           string   `json:"topic,omitempty"`
	Category        string   `json:"category,omitempty"`
	Tools           []string `json:"tools"`
	Reports         int      `json:"reports" jsonschema:"GitHub issues that report this error"`
	Repositories    int      `json:"repositories" jsonschema:"repositories with reports"`
	TopRepositories []string `json:"top_repositories" jsonschema:"repositories with the most reports (at most 5), as owner/name"`
	FirstSeen       string   `json:"first_seen,omitempty" jsonschema:"first report (RFC 3339, UTC)"`
	LastSeen        string   `json:"last_seen,omitempty" jsonschema:"newest report (RFC 3339, UTC)"`
	Open            int      `json:"open_reports"`
	Trend           *Trend   `json:"trend,omitempty" jsonschema:"the cluster's trend over the last 28 days, as errata trends computes it"`
	PagePath        string   `json:"page_path" jsonschema:"the guide's page path in the site errata pages writes (category/slug)"`
	PagePublished   bool     `json:"page_published" jsonschema:"whether errata pages has published this page yet"`
	PageURL         string   `json:"page_url,omitempty" jsonschema:"the page's URL, when the server was given --site-url"`
	Resource        string   `json:"resource" jsonschema:"the guide as an MCP resource URI"`
}

// Trend is a cluster's trend state.
type Trend struct {
	State         string  `json:"state" jsonschema:"New, Regressed, Escalating, Rising, Stable or Declining"`
	Reason        string  `json:"reason"`
	WindowDays    int     `json:"window_days"`
	Count         int     `json:"count" jsonschema:"reports in the current window"`
	BaselineCount int     `json:"baseline_count" jsonschema:"reports in the baseline windows before it"`
	Ratio         float64 `json:"ratio" jsonschema:"smoothed rate ratio, current over baseline"`
}

// Finding is a fix or cause quoted from a thread, with its source.
type Finding struct {
	Kind    string `json:"kind" jsonschema:"what it is and how its thread confirmed it, as the page's bullet says: e.g. Fix, confirmed by the reporter; Workaround, not confirmed; Fix, fixed in a release; Cause"`
	Text    string `json:"text" jsonschema:"the sentence, as written (secrets redacted)"`
	Version string `json:"version,omitempty" jsonschema:"the release named, for fixes and upgrades"`
	Source  string `json:"source" jsonschema:"owner/repo#number"`
	URL     string `json:"url" jsonschema:"link to the comment or issue"`
	Author  string `json:"author,omitempty"`
	Role    string `json:"role,omitempty" jsonschema:"maintainer or reporter, when known"`
	Date    string `json:"date" jsonschema:"YYYY-MM-DD"`
}

// GuideInput is get_error_guide's input.
type GuideInput struct {
	ID   int64  `json:"id,omitempty" jsonschema:"the cluster id (give id or slug)"`
	Slug string `json:"slug,omitempty" jsonschema:"the cluster or page slug (give id or slug)"`
}

// GuideOutput is get_error_guide's structured result.
type GuideOutput struct {
	Cluster ClusterSummary `json:"cluster"`
	// MergedFrom is the id asked for when it was merged into Cluster.
	MergedFrom int64     `json:"merged_from,omitempty" jsonschema:"the cluster asked for, when it has been merged into this one"`
	Summary    string    `json:"summary"`
	Fixes      []Finding `json:"fixes"`
	Causes     []Finding `json:"causes"`
	Markdown   string    `json:"markdown" jsonschema:"the full guide as Markdown (the page errata pages writes)"`
}

// TrendingInput is trending_errors' input.
type TrendingInput struct {
	Window string `json:"window,omitempty" jsonschema:"length of the current window and of each baseline window: Nd or Nw (default 28d)"`
	By     string `json:"by,omitempty" jsonschema:"cluster, topic, category, tool or repo (default cluster)"`
	Top    int    `json:"top,omitempty" jsonschema:"at most this many rows, 1 to 100 (default 10)"`
	Repo   string `json:"repo,omitempty" jsonschema:"only reports from this repository (owner/name)"`
	AsOf   string `json:"as_of,omitempty" jsonschema:"last day of the current window, YYYY-MM-DD (UTC; default today)"`
}

// TrendingOutput is trending_errors' structured result.
type TrendingOutput struct {
	By            string     `json:"by"`
	WindowDays    int        `json:"window_days"`
	AsOf          string     `json:"as_of"`
	Current       string     `json:"current" jsonschema:"the current window, YYYY-MM-DD..YYYY-MM-DD"`
	Baseline      string     `json:"baseline" jsonschema:"the baseline windows, YYYY-MM-DD..YYYY-MM-DD"`
	Groups        int        `json:"groups" jsonschema:"groups considered before top cut the list"`
	Rows          []TrendRow `json:"rows"`
	Explanation   string     `json:"explanation"`
	RepoFilter    string     `json:"repo,omitempty"`
	MinimumCounts int        `json:"min_count"`
}

// TrendRow is one group of trending_errors.
type TrendRow struct {
	Key               string   `json:"key" jsonschema:"cluster slug, topic, category, tool or repository"`
	Label             string   `json:"label"`
	ClusterID         int64    `json:"cluster_id,omitempty"`
	State             string   `json:"state"`
	Reason            string   `json:"reason"`
	Count             int      `json:"count" jsonschema:"reports in the current window"`
	BaselineCount     int      `json:"baseline_count"`
	BaselinePerWindow float64  `json:"baseline_per_window"`
	Ratio             float64  `json:"ratio"`
	Change            *float64 `json:"change,omitempty" jsonschema:"raw rate change, (current/baseline rate) - 1; absent when the baseline is zero"`
	LastWeek          int      `json:"last_week"`
	QUp               float64  `json:"q_up" jsonschema:"adjusted p-value of the rise"`
	QDown             float64  `json:"q_down" jsonschema:"adjusted p-value of the fall"`
	PageURL           string   `json:"page_url,omitempty"`
}

// SearchInput is search_errors' input.
type SearchInput struct {
	Query    string `json:"query" jsonschema:"words to look for in error titles, signatures and codes (every word must match; prefixes match)"`
	Topic    string `json:"topic,omitempty" jsonschema:"only clusters with this topic"`
	Category string `json:"category,omitempty" jsonschema:"only clusters with this category"`
	Tool     string `json:"tool,omitempty" jsonschema:"only clusters about this tool"`
	Limit    int    `json:"limit,omitempty" jsonschema:"at most this many, 1 to 50 (default 10)"`
}

// SearchOutput is search_errors' structured result.
type SearchOutput struct {
	Results []SearchHit `json:"results"`
}

// SearchHit is one found cluster.
type SearchHit struct {
	Rank    float64        `json:"rank"`
	Cluster ClusterSummary `json:"cluster"`
}
