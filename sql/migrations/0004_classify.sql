-- 0004: classify extras. What the incremental clusterer needs to resume
-- without re-reading every issue: each cluster's grouping key (the error
-- code that decides it, or the fingerprint of its representative template)
-- and every template fingerprint already seen in a cluster.

ALTER TABLE clusters ADD COLUMN key text NOT NULL DEFAULT '';
ALTER TABLE clusters ADD COLUMN concept text NOT NULL DEFAULT '';
ALTER TABLE clusters ADD COLUMN weak_codes text[] NOT NULL DEFAULT '{}';
CREATE INDEX clusters_key_idx ON clusters (key) WHERE status = 'active';

-- Template fingerprints seen in a cluster: a new issue with one of these
-- joins the cluster at once.
CREATE TABLE cluster_fingerprints (
    fingerprint  text PRIMARY KEY,
    cluster_id   bigint NOT NULL REFERENCES clusters (id)
);
CREATE INDEX cluster_fingerprints_cluster_idx ON cluster_fingerprints (cluster_id);
CREATE INDEX issue_classification_version_idx ON issue_classification (rules_version);
-- Daily counts of a classify run are refreshed per day touched.
CREATE INDEX IF NOT EXISTS comments_created_at_idx ON comments (created_at);
-- The latest members of a cluster without scanning all of them.
CREATE INDEX IF NOT EXISTS cluster_members_cluster_issue_idx ON cluster_members (cluster_id, issue_id);
-- Finding what an incremental classify run must look at without scanning
-- every issue: what was synced after the last run (the indexes on
-- issues.last_synced_at and comments.last_synced_at come with 0008).
CREATE INDEX IF NOT EXISTS issue_classification_classified_at_idx ON issue_classification (classified_at);
