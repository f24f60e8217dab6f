-- 0005: published pages. A page's slug is frozen the first time errata
-- writes the page, and every path a page was ever published at is kept, so
-- a URL that once worked keeps working: it shows the page, redirects to
-- where its reports went, or is a short page that says so.

-- One row per slug ever published.
CREATE TABLE page_slugs (
    slug          text PRIMARY KEY,
    -- The cluster the page shows (state live), or showed last. No foreign
    -- key: reclassification may delete clusters, and the slug outlives them.
    cluster_id    bigint,
    -- live: a page for cluster_id; redirect: an alias of target_slug's
    -- page; tombstone: a short page pointing to where the reports went.
    state         text NOT NULL DEFAULT 'live' CHECK (state IN ('live', 'redirect', 'tombstone')),
    target_slug   text,
    -- The current path, "category/slug", without extension.
    path          text NOT NULL,
    -- Issue ids the page showed when it was last live: where they went
    -- decides what a page whose cluster disappeared turns into.
    members       bigint[] NOT NULL DEFAULT '{}',
    published_at  timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- A cluster has at most one live page.
CREATE UNIQUE INDEX page_slugs_live_cluster_idx ON page_slugs (cluster_id) WHERE state = 'live';

-- Every path ever published, with the slug it belongs to. Old paths (a
-- category change) become aliases of the slug's page.
CREATE TABLE page_paths (
    path          text PRIMARY KEY,
    slug          text NOT NULL REFERENCES page_slugs (slug),
    published_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX page_paths_slug_idx ON page_paths (slug);
