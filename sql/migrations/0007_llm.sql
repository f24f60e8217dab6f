-- 0007: the optional language model. Answers are cached by model and
-- prompt hash, so a rerun on clusters whose evidence did not change sends
-- nothing; the prompt hash covers the evidence, the instructions and the
-- output schema, so any change to one of them is a new entry.
CREATE TABLE IF NOT EXISTS llm_cache (
    model              text NOT NULL,
    prompt_hash        text NOT NULL,      -- "sha256:<hex>" of the canonical request
    kind               text NOT NULL,      -- title | prose | classify | same_error | ...
    content            text NOT NULL,      -- the model's answer as returned (validated on every use)
    prompt_tokens      integer NOT NULL DEFAULT 0,
    completion_tokens  integer NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL DEFAULT now(),
    last_used_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (model, prompt_hash)
);
CREATE INDEX IF NOT EXISTS llm_cache_last_used_idx ON llm_cache (last_used_at);

-- What the model wrote for a cluster, and what the rules had written before,
-- so the model's title can be told apart (and undone), and so a cluster
-- whose evidence did not change is not asked about again. The model's title
-- and description are also written to clusters.title/description (where
-- every reader looks), and its topic/category only where no rule decided
-- one (clusters.topic_reason/category_reason then start with "llm:").
CREATE TABLE IF NOT EXISTS llm_cluster_text (
    cluster_id        bigint PRIMARY KEY REFERENCES clusters (id) ON DELETE CASCADE,
    evidence_hash     text NOT NULL,      -- hash of the evidence the answers are based on
    model             text NOT NULL,
    title             text NOT NULL DEFAULT '',   -- '' when the model wrote none
    description       text NOT NULL DEFAULT '',
    rule_title        text NOT NULL DEFAULT '',   -- the deterministic title it replaced
    rule_description  text NOT NULL DEFAULT '',
    topic             text NOT NULL DEFAULT '',   -- '' when the model did not decide
    category          text NOT NULL DEFAULT '',
    reason            text NOT NULL DEFAULT '',
    refined_at        timestamptz NOT NULL DEFAULT now()
);
