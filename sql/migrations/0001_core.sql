-- 0001: core tables for ingest (repositories, issues, comments, sync state
-- and runs) and for classification (signatures, clusters, redirects, daily
-- counts). All times are timestamptz and written in UTC.

CREATE TABLE repositories (
    id          bigserial PRIMARY KEY,
    full_name   text NOT NULL,              -- "owner/name" as GitHub spells it
    github_id   bigint,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT repositories_full_name_key UNIQUE (full_name)
);
CREATE UNIQUE INDEX repositories_full_name_lower_idx ON repositories (lower(full_name));

CREATE TABLE issues (
    id                 bigserial PRIMARY KEY,
    repository_id      bigint NOT NULL REFERENCES repositories (id),
    number             integer NOT NULL,
    github_id          bigint,
    node_id            text,
    is_pull_request    boolean NOT NULL DEFAULT false,
    state              text NOT NULL,       -- open | closed
    state_reason       text,                -- completed | not_planned | reopened | duplicate
    title              text NOT NULL,
    body               text NOT NULL DEFAULT '',
    author             text,
    author_association text,
    labels             text[] NOT NULL DEFAULT '{}',
    reactions          jsonb,
    reactions_total    integer NOT NULL DEFAULT 0,
    comment_count      integer NOT NULL DEFAULT 0,
    html_url           text NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    closed_at          timestamptz,
    raw                jsonb NOT NULL,
    first_seen_at      timestamptz NOT NULL DEFAULT now(),
    last_synced_at     timestamptz NOT NULL DEFAULT now(),
    -- gone_at / gone_reason are set by the reconcile pass for issues that
    -- were transferred (301), deleted (410) or became unreachable (404).
    gone_at            timestamptz,
    gone_reason        text,
    CONSTRAINT issues_repository_number_key UNIQUE (repository_id, number)
);
CREATE INDEX issues_updated_at_idx ON issues (updated_at);
CREATE INDEX issues_created_at_idx ON issues (created_at);
CREATE INDEX issues_github_id_idx ON issues (github_id) WHERE github_id IS NOT NULL;

CREATE TABLE comments (
    id                 bigserial PRIMARY KEY,
    issue_id           bigint NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    -- source_key identifies the comment within its issue: the GitHub id in
    -- decimal when known, else "pos:N" (its position in an imported thread).
    source_key         text NOT NULL,
    github_id          bigint,
    author             text,
    author_association text,
    body               text NOT NULL DEFAULT '',
    reactions_total    integer NOT NULL DEFAULT 0,
    html_url           text,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    raw                jsonb NOT NULL,
    first_seen_at      timestamptz NOT NULL DEFAULT now(),
    last_synced_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT comments_issue_source_key UNIQUE (issue_id, source_key)
);
CREATE INDEX comments_updated_at_idx ON comments (updated_at);
CREATE INDEX comments_github_id_idx ON comments (github_id) WHERE github_id IS NOT NULL;

-- A sync source: one repository or one search query.
CREATE TABLE sync_sources (
    id            bigserial PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('repo', 'search')),
    key           text NOT NULL,            -- "owner/name" or the query text
    -- Per-stream cursors taken from GitHub's own updated_at, and other
    -- state (search windows, etc.), owned by the ingest package.
    state         jsonb NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sync_sources_kind_key UNIQUE (kind, key)
);

-- Conditional-request validators, one per request URL.
CREATE TABLE http_validators (
    url           text PRIMARY KEY,
    etag          text,
    last_modified text,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sync_runs (
    id               bigserial PRIMARY KEY,
    source_id        bigint REFERENCES sync_sources (id),
    started_at       timestamptz NOT NULL,
    finished_at      timestamptz,
    status           text NOT NULL DEFAULT 'running', -- running | ok | partial | failed | interrupted
    requests         integer NOT NULL DEFAULT 0,
    not_modified     integer NOT NULL DEFAULT 0,
    waited_ms        bigint NOT NULL DEFAULT 0,
    errors           integer NOT NULL DEFAULT 0,
    issues_new       integer NOT NULL DEFAULT 0,
    issues_updated   integer NOT NULL DEFAULT 0,
    comments_new     integer NOT NULL DEFAULT 0,
    comments_updated integer NOT NULL DEFAULT 0,
    message          text
);
CREATE INDEX sync_runs_source_started_idx ON sync_runs (source_id, started_at DESC);
