-- 0013: classify v2. What the clusterer compares, kept between runs so that
-- incremental classify, --rebuild and `errata match` compare the same way:
-- each cluster's profile (its distinct member templates, bounded by the
-- clusterer) and the document frequency of template words over the
-- classified issues (the row with token '' holds the number of issues).

ALTER TABLE clusters ADD COLUMN profile text[] NOT NULL DEFAULT '{}';

CREATE TABLE classify_token_df (
    token  text PRIMARY KEY,
    df     bigint NOT NULL
);
