package llm

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
	urfavecli "github.com/urfave/cli/v2"

	"github.com/errata-tool/errata/config"
	"github.com/errata-tool/errata/store"
)

// Flag names shared by the commands that can use a model (classify, pages,
// run).
const (
	FlagLLM      = "llm"
	FlagLLMModel = "llm-model"
	FlagNoLLM    = "no-llm"
)

// Flags returns --llm, --llm-model and --no-llm, for commands to append to
// their own flags. Each call returns new flag values.
func Flags() []urfavecli.Flag {
	return []urfavecli.Flag{
		&urfavecli.BoolFlag{Name: FlagLLM, Usage: "use a language model for titles, prose and hard cases (OPENAI_BASE_URL and OPENAI_API_KEY from the environment, or the config's llm: section)"},
		&urfavecli.StringFlag{Name: FlagLLMModel, Usage: "model name for --llm (env: ERRATA_LLM_MODEL, read by the CLI; overrides llm.model)"},
		&urfavecli.BoolFlag{Name: FlagNoLLM, Usage: "never use a language model, even when the config enables one"},
	}
}

// ConfigFrom resolves the LLM configuration for a command from its flags
// (see Flags), the config file and the environment:
//
//   - --no-llm turns the model off whatever else is set; --llm with --no-llm
//     is an error.
//   - The config's llm: section turns it on unless it says enabled: false;
//     --llm turns it on with or without the section.
//   - Base URL: llm.base_url, else OPENAI_BASE_URL, else DefaultBaseURL.
//   - Model: --llm-model (or ERRATA_LLM_MODEL), else llm.model, else
//     OPENAI_MODEL, else DefaultModel when the base URL is OpenAI's; any other
//     endpoint needs a model named.
//   - API key: the variable llm.api_key_env names (an error if it is unset),
//     else OPENAI_API_KEY. OpenAI's own endpoint needs a key; local servers
//     may have none.
//
// Errors are usage errors: the command should exit 2 and say what to fix.
// c may be nil (no flags), getenv may be nil (no environment).
func ConfigFrom(c *urfavecli.Context, cfg *config.Config, getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	flagBool := func(name string) bool { return c != nil && c.Bool(name) }
	flagString := func(name string) string {
		if c == nil {
			return ""
		}
		return strings.TrimSpace(c.String(name))
	}
	on, off := flagBool(FlagLLM), flagBool(FlagNoLLM)
	if on && off {
		return Config{}, fmt.Errorf("--llm and --no-llm contradict each other; give one")
	}
	if off {
		return Config{Source: "--no-llm"}, nil
	}
	var sec *config.LLM
	if cfg != nil {
		sec = cfg.LLM
	}
	out := Config{}
	switch {
	case on:
		out.Enabled, out.Source = true, "--llm"
	case sec != nil && (sec.Enabled == nil || *sec.Enabled):
		out.Enabled, out.Source = true, "config"
		if cfg.Path != "" {
			out.Source = cfg.Path
		}
	default:
		return Config{Source: "off"}, nil
	}
	if sec != nil {
		out.BaseURL = strings.TrimSpace(sec.BaseURL)
		out.Model = strings.TrimSpace(sec.Model)
		out.APIKeyEnv = strings.TrimSpace(sec.APIKeyEnv)
		out.MaxConcurrency = sec.MaxConcurrency
		out.Timeout = sec.Timeout.Duration
		out.TokenBudget = sec.TokenBudget
	}
	if out.BaseURL == "" {
		out.BaseURL = strings.TrimSpace(getenv("OPENAI_BASE_URL"))
	}
	if out.BaseURL == "" {
		out.BaseURL = DefaultBaseURL
	}
	u, err := url.Parse(out.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Config{}, fmt.Errorf("llm base URL %q: want an http(s) URL like https://api.openai.com/v1", out.BaseURL)
	}
	if m := flagString(FlagLLMModel); m != "" {
		out.Model = m
	}
	if out.Model == "" {
		out.Model = strings.TrimSpace(getenv("OPENAI_MODEL"))
	}
	if out.Model == "" {
		if !isOpenAI(out.BaseURL) {
			return Config{}, fmt.Errorf("llm: name the model for %s with --llm-model or llm.model", out.BaseURL)
		}
		out.Model = DefaultModel
	}
	if out.APIKeyEnv != "" {
		out.APIKey = getenv(out.APIKeyEnv)
		if out.APIKey == "" {
			return Config{}, fmt.Errorf("llm.api_key_env names %s, which is not set", out.APIKeyEnv)
		}
	} else {
		out.APIKeyEnv = "OPENAI_API_KEY"
		out.APIKey = getenv("OPENAI_API_KEY")
		if out.APIKey == "" && isOpenAI(out.BaseURL) {
			return Config{}, fmt.Errorf("llm: %s needs an API key in OPENAI_API_KEY (or set llm.api_key_env)", out.BaseURL)
		}
	}
	return out, nil
}

func isOpenAI(base string) bool {
	u, err := url.Parse(base)
	return err == nil && strings.EqualFold(u.Hostname(), "api.openai.com")
}

func isAzure(base string) bool {
	u, err := url.Parse(base)
	return err == nil && strings.HasSuffix(strings.ToLower(u.Hostname()), ".openai.azure.com")
}

// String describes the configuration without its key.
func (c Config) String() string {
	if !c.Enabled {
		return "llm off"
	}
	key := "no key"
	if c.APIKey != "" {
		key = "key from " + c.APIKeyEnv
	}
	return fmt.Sprintf("llm %s at %s (%s; from %s)", c.Model, c.BaseURL, key, c.Source)
}

func (c Config) withDefaults() Config {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	if c.Model == "" && isOpenAI(c.BaseURL) {
		c.Model = DefaultModel
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxConcurrency <= 0 {
		c.MaxConcurrency = DefaultMaxConcurrency
	}
	if c.TokenBudget == 0 {
		c.TokenBudget = DefaultTokenBudget
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = DefaultMaxRetries
	} else if c.MaxRetries < 0 {
		c.MaxRetries = 0
	}
	if c.BackoffBase <= 0 {
		c.BackoffBase = 500 * time.Millisecond
	}
	if c.MaxRetryWait <= 0 {
		c.MaxRetryWait = DefaultMaxRetryWait
	}
	return c
}

// New makes a Client for one run. s may be nil (answers are then cached in
// memory only, for this Client); logger may be nil. A disabled cfg gives a
// Client whose uses all return their fallbacks.
func New(cfg Config, s *store.Store, logger *slog.Logger) (*Client, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Client{store: s, logger: logger, sleep: sleepCtx, warnedOnce: map[string]bool{}, memCache: map[string]string{}}
	if !cfg.Enabled {
		c.cfg = Config{}
		return c, nil
	}
	cfg = cfg.withDefaults()
	if cfg.Model == "" {
		return nil, fmt.Errorf("llm: no model configured for %s", cfg.BaseURL)
	}
	var oc openai.ClientConfig
	if isAzure(cfg.BaseURL) {
		oc = openai.DefaultAzureConfig(cfg.APIKey, cfg.BaseURL)
	} else {
		oc = openai.DefaultConfig(cfg.APIKey)
		oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	}
	if cfg.HTTPClient != nil {
		oc.HTTPClient = cfg.HTTPClient
	} else {
		oc.HTTPClient = &http.Client{}
	}
	c.cfg = cfg
	c.oa = openai.NewClientWithConfig(oc)
	c.sem = make(chan struct{}, cfg.MaxConcurrency)
	return c, nil
}
