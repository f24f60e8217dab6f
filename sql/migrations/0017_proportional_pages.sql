-- 0017: the pages stage in proportion to the change (issue 15, item 1).
--
-- Trend rollups.
-- Until now a new member or a new comment marked its whole cluster in
-- trend_dirty, and store.TrendRefresh recomputed that cluster's rollups
-- from every member: after 1,000 new issues into a store of 16 clusters of
-- 62,000 members, every cluster, a million issues and five million
-- comments read again (34 s). Additions are now recorded as such, and
-- TrendRefresh adds their counts to the rollups (and drops the fix moments
-- a new report ends) instead of recomputing the cluster. Everything else
-- (a member removed or moved, an issue's dates, state or reactions
-- changed, a comment deleted or moved, merges) still marks the cluster in
-- trend_dirty; a comment moved to another issue now marks the old issue's
-- cluster too (it marked only the new one). A statement adding more than
-- 20,000 members or comments (a first classify, an import) also marks the
-- clusters instead: one recompute per cluster then costs less than the
-- rows recorded here.

-- Issues that became members since the last refresh. Their cluster is
-- read at the refresh: an issue that moved or left since was marked in
-- trend_dirty, with both clusters, by the update or delete trigger.
CREATE TABLE trend_added_members (
    issue_id    bigint NOT NULL
);

-- Comments added to member issues since the last refresh.
CREATE TABLE trend_added_comments (
    comment_id  bigint NOT NULL
);

CREATE OR REPLACE FUNCTION trend_mark_members() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF (SELECT count(*) FROM (SELECT 1 FROM new_rows LIMIT 20001) x) > 20000 THEN
            INSERT INTO trend_dirty SELECT DISTINCT cluster_id FROM new_rows ON CONFLICT DO NOTHING;
        ELSE
            INSERT INTO trend_added_members (issue_id) SELECT issue_id FROM new_rows;
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO trend_dirty SELECT DISTINCT cluster_id FROM old_rows ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO trend_dirty
        SELECT DISTINCT x FROM (
            SELECT n.cluster_id AS x FROM new_rows n JOIN old_rows o USING (issue_id) WHERE n.cluster_id <> o.cluster_id
            UNION ALL
            SELECT o.cluster_id FROM new_rows n JOIN old_rows o USING (issue_id) WHERE n.cluster_id <> o.cluster_id
        ) d ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION trend_mark_comments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF (SELECT count(*) FROM (SELECT 1 FROM new_rows LIMIT 20001) x) > 20000 THEN
            INSERT INTO trend_dirty SELECT DISTINCT m.cluster_id FROM new_rows c JOIN cluster_members m ON m.issue_id = c.issue_id ON CONFLICT DO NOTHING;
        ELSE
            INSERT INTO trend_added_comments (comment_id)
            SELECT c.id FROM new_rows c WHERE EXISTS (SELECT 1 FROM cluster_members m WHERE m.issue_id = c.issue_id);
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO trend_dirty SELECT DISTINCT m.cluster_id FROM old_rows c JOIN cluster_members m ON m.issue_id = c.issue_id ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO trend_dirty
        SELECT DISTINCT m.cluster_id FROM new_rows n JOIN old_rows o USING (id) JOIN cluster_members m ON m.issue_id IN (n.issue_id, o.issue_id)
        WHERE n.created_at IS DISTINCT FROM o.created_at OR n.issue_id IS DISTINCT FROM o.issue_id
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

-- Page evidence (store.PageEvidenceGet) reads these fields of every member
-- of each changed cluster: from this index (71 MB at a million issues)
-- rather than the issue rows with their bodies and raw JSON (2 GB), which
-- halves the scan of 16 clusters of 62,000 members.
CREATE INDEX issues_page_member_idx ON issues (id)
    INCLUDE (repository_id, state, state_reason, comment_count, reactions_total, created_at, closed_at);

-- The reports of each raw primary signature per cluster, of which a page
-- shows the most frequent (store.PageEvidenceGet): counting them from
-- every member took 2 to 3 s at 16 clusters of 62,000 members.
-- store.PageVariantRefresh keeps them as TrendRefresh keeps the trend
-- rollups: new members (page_variant_added) are added, clusters marked in
-- page_variant_dirty (a member removed or moved, a member's primary
-- signature written or changed; 0: all) are recounted. Rows are keyed by
-- the signature's md5: a raw signature can be longer than an index entry.
CREATE TABLE page_variant_counts (
    cluster_id  bigint NOT NULL,
    raw         text NOT NULL,
    reports     integer NOT NULL
);
CREATE UNIQUE INDEX page_variant_counts_key ON page_variant_counts (cluster_id, (md5(raw)::uuid));
-- The most frequent first, ties by the signature's bytes (its first 40
-- characters order it unless they are equal; entries that share them are
-- stored once, so the index is small).
CREATE INDEX page_variant_counts_top_idx ON page_variant_counts (cluster_id, reports DESC, (left(raw, 40) COLLATE "C"));

CREATE TABLE page_variant_dirty (
    cluster_id  bigint PRIMARY KEY
);
INSERT INTO page_variant_dirty VALUES (0);

CREATE TABLE page_variant_added (
    issue_id    bigint NOT NULL
);

CREATE FUNCTION page_variant_mark_members() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF (SELECT count(*) FROM (SELECT 1 FROM new_rows LIMIT 20001) x) > 20000 THEN
            INSERT INTO page_variant_dirty SELECT DISTINCT cluster_id FROM new_rows ON CONFLICT DO NOTHING;
        ELSE
            INSERT INTO page_variant_added (issue_id) SELECT issue_id FROM new_rows;
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO page_variant_dirty SELECT DISTINCT cluster_id FROM old_rows ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO page_variant_dirty
        SELECT DISTINCT x FROM (
            SELECT n.cluster_id AS x FROM new_rows n JOIN old_rows o USING (issue_id) WHERE n.cluster_id <> o.cluster_id
            UNION ALL
            SELECT o.cluster_id FROM new_rows n JOIN old_rows o USING (issue_id) WHERE n.cluster_id <> o.cluster_id
        ) d ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER page_variant_members_ins AFTER INSERT ON cluster_members
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION page_variant_mark_members();
CREATE TRIGGER page_variant_members_del AFTER DELETE ON cluster_members
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION page_variant_mark_members();
CREATE TRIGGER page_variant_members_upd AFTER UPDATE ON cluster_members
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION page_variant_mark_members();

CREATE FUNCTION page_variant_mark_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO page_variant_dirty VALUES (0) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER page_variant_members_truncate AFTER TRUNCATE ON cluster_members
    FOR EACH STATEMENT EXECUTE FUNCTION page_variant_mark_all();
CREATE TRIGGER page_variant_signatures_truncate AFTER TRUNCATE ON issue_signatures
    FOR EACH STATEMENT EXECUTE FUNCTION page_variant_mark_all();

-- A member's primary signature written, removed or changed.
CREATE FUNCTION page_variant_mark_signatures() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO page_variant_dirty SELECT DISTINCT m.cluster_id FROM new_rows s JOIN cluster_members m ON m.issue_id = s.issue_id
        WHERE s.rank = 0 ON CONFLICT DO NOTHING;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO page_variant_dirty SELECT DISTINCT m.cluster_id FROM old_rows s JOIN cluster_members m ON m.issue_id = s.issue_id
        WHERE s.rank = 0 ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO page_variant_dirty
        SELECT DISTINCT m.cluster_id FROM (
            (SELECT issue_id, rank, raw FROM new_rows WHERE rank = 0 EXCEPT SELECT issue_id, rank, raw FROM old_rows)
            UNION
            (SELECT issue_id, rank, raw FROM old_rows WHERE rank = 0 EXCEPT SELECT issue_id, rank, raw FROM new_rows)
        ) c JOIN cluster_members m ON m.issue_id = c.issue_id
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER page_variant_signatures_ins AFTER INSERT ON issue_signatures
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION page_variant_mark_signatures();
CREATE TRIGGER page_variant_signatures_del AFTER DELETE ON issue_signatures
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION page_variant_mark_signatures();
CREATE TRIGGER page_variant_signatures_upd AFTER UPDATE ON issue_signatures
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION page_variant_mark_signatures();
