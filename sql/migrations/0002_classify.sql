-- 0002: classification. Signatures extracted from issues, clusters of the
-- same error, the record of merges and splits, and daily counts per cluster
-- that trends read instead of scanning issues.

-- Error signatures found in one issue, ranked (rank 0 is the primary one).
CREATE TABLE issue_signatures (
    issue_id     bigint NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    rank         integer NOT NULL,
    raw          text NOT NULL,     -- the error text as found (redacted of secrets)
    normalized   text NOT NULL,     -- the masked template
    fingerprint  text NOT NULL,     -- versioned, e.g. "v1:..."
    source       text NOT NULL,     -- title | body | code | json | url | stack | status | comment
    score        real NOT NULL,
    PRIMARY KEY (issue_id, rank)
);
CREATE INDEX issue_signatures_fingerprint_idx ON issue_signatures (fingerprint);

-- Issues whose classification is current: the hash of the text that was
-- classified, so an unchanged issue is skipped by an incremental run.
CREATE TABLE issue_classification (
    issue_id       bigint PRIMARY KEY REFERENCES issues (id) ON DELETE CASCADE,
    content_hash   text NOT NULL,
    rules_version  text NOT NULL,
    classified_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE clusters (
    id               bigserial PRIMARY KEY,
    -- slug is frozen once set; pages keep URLs stable through it.
    slug             text NOT NULL,
    title            text NOT NULL,
    description      text NOT NULL DEFAULT '',
    signature        text NOT NULL,     -- canonical normalized template
    fingerprint      text NOT NULL,
    topic            text,
    category         text,
    tools            text[] NOT NULL DEFAULT '{}',
    -- why: which rule or evidence decided topic, category and tools.
    topic_reason     text NOT NULL DEFAULT '',
    category_reason  text NOT NULL DEFAULT '',
    tools_reason     text NOT NULL DEFAULT '',
    status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'merged', 'dissolved')),
    merged_into      bigint REFERENCES clusters (id),
    size             integer NOT NULL DEFAULT 0,
    first_seen       timestamptz,
    last_seen        timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT clusters_slug_key UNIQUE (slug)
);
CREATE INDEX clusters_topic_idx ON clusters (topic) WHERE status = 'active';
CREATE INDEX clusters_fingerprint_idx ON clusters (fingerprint);

CREATE TABLE cluster_members (
    issue_id    bigint PRIMARY KEY REFERENCES issues (id) ON DELETE CASCADE,
    cluster_id  bigint NOT NULL REFERENCES clusters (id),
    score       real NOT NULL,
    reason      text NOT NULL,       -- "exact fingerprint", "similar: 0.83 jaccard", ...
    added_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cluster_members_cluster_idx ON cluster_members (cluster_id);

-- Merges and splits: old cluster -> new cluster, so pages can redirect.
CREATE TABLE cluster_redirects (
    old_id      bigint NOT NULL REFERENCES clusters (id),
    new_id      bigint NOT NULL REFERENCES clusters (id),
    kind        text NOT NULL CHECK (kind IN ('merge', 'split')),
    at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (old_id, new_id)
);

-- Reports (issues created) and comments per cluster per UTC day, kept by
-- classify so that trend queries never scan issues.
CREATE TABLE cluster_daily_counts (
    cluster_id  bigint NOT NULL REFERENCES clusters (id),
    day         date NOT NULL,
    reports     integer NOT NULL DEFAULT 0,
    comments    integer NOT NULL DEFAULT 0,
    reactions   integer NOT NULL DEFAULT 0,
    PRIMARY KEY (cluster_id, day)
);
