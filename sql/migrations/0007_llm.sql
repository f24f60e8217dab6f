-- 0007: the optional language model. Answers are cached by model and
-- prompt hash, so a rerun on clusters whose evidence did not change sends
-- nothing; the prompt hash covers the evidence, the instructions and the
-- output schema, so any change to one of them is a new entry.
CREATE TABLE llm_cache (
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
CREATE INDEX llm_cache_last_used_idx ON llm_cache (last_used_at);
