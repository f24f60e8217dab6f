-- 0006: trends. An index that lets a trend query read one range of days of
-- cluster_daily_counts without touching the table, and two rollups that
-- trends maintains itself (store.TrendRefresh, run at the start of every
-- trends.Compute: `errata trends` and the pages' trends page), incrementally: the
-- triggers below only record which clusters changed, and TrendRefresh
-- recomputes the rollups of those clusters.

-- Trend queries read all clusters over a range of days.
CREATE INDEX cluster_daily_counts_day_idx ON cluster_daily_counts (day)
    INCLUDE (cluster_id, reports, comments, reactions);

-- Reports, comments and reactions per cluster, repository and UTC day, for
-- --by repo and --repo. Same definitions as cluster_daily_counts: reports by
-- issue created_at; comments by comment created_at; reactions are the
-- issue's reactions_total, counted on the issue's created day (GitHub gives
-- no date per reaction). cluster_id is the cluster the issue is a member of (not
-- resolved through merges; the query resolves them).
CREATE TABLE trend_repo_daily_counts (
    cluster_id     bigint NOT NULL,
    repository_id  bigint NOT NULL,
    day            date NOT NULL,
    reports        integer NOT NULL DEFAULT 0,
    comments       integer NOT NULL DEFAULT 0,
    reactions      integer NOT NULL DEFAULT 0,
    PRIMARY KEY (cluster_id, repository_id, day)
);
CREATE INDEX trend_repo_daily_counts_day_idx ON trend_repo_daily_counts (day)
    INCLUDE (cluster_id, repository_id, reports, comments, reactions);
CREATE INDEX trend_repo_daily_counts_repo_idx ON trend_repo_daily_counts (repository_id, day);

-- Moments at which every issue of a cluster (resolved through merges) was
-- closed and the closing issue was closed as fixed: the points after which
-- a new report is a regression. fixed_issue_id is the issue whose closing
-- completed the fix.
CREATE TABLE trend_cluster_fixes (
    cluster_id      bigint NOT NULL,
    fixed_at        timestamptz NOT NULL,
    fixed_issue_id  bigint NOT NULL,
    PRIMARY KEY (cluster_id, fixed_at, fixed_issue_id)
);

-- Clusters whose rollups are stale; cluster_id 0 means "rebuild all".
CREATE TABLE trend_dirty (
    cluster_id  bigint PRIMARY KEY
);
-- Whatever is already in the database when this migration runs.
INSERT INTO trend_dirty VALUES (0);

CREATE FUNCTION trend_mark_members() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO trend_dirty SELECT DISTINCT cluster_id FROM new_rows ON CONFLICT DO NOTHING;
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
CREATE TRIGGER trend_members_ins AFTER INSERT ON cluster_members
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION trend_mark_members();
CREATE TRIGGER trend_members_del AFTER DELETE ON cluster_members
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION trend_mark_members();
CREATE TRIGGER trend_members_upd AFTER UPDATE ON cluster_members
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION trend_mark_members();

CREATE FUNCTION trend_mark_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO trend_dirty VALUES (0) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER trend_members_truncate AFTER TRUNCATE ON cluster_members
    FOR EACH STATEMENT EXECUTE FUNCTION trend_mark_all();

-- Issue changes that move counts or fixes: closing, reopening, reactions.
CREATE FUNCTION trend_mark_issues() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO trend_dirty
    SELECT DISTINCT m.cluster_id
    FROM new_rows n JOIN old_rows o USING (id) JOIN cluster_members m ON m.issue_id = n.id
    WHERE n.closed_at IS DISTINCT FROM o.closed_at
       OR n.state IS DISTINCT FROM o.state
       OR n.state_reason IS DISTINCT FROM o.state_reason
       OR n.reactions_total IS DISTINCT FROM o.reactions_total
       OR n.created_at IS DISTINCT FROM o.created_at
       OR n.repository_id IS DISTINCT FROM o.repository_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER trend_issues_upd AFTER UPDATE ON issues
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION trend_mark_issues();

CREATE FUNCTION trend_mark_comments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO trend_dirty SELECT DISTINCT m.cluster_id FROM new_rows c JOIN cluster_members m ON m.issue_id = c.issue_id ON CONFLICT DO NOTHING;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO trend_dirty SELECT DISTINCT m.cluster_id FROM old_rows c JOIN cluster_members m ON m.issue_id = c.issue_id ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO trend_dirty
        SELECT DISTINCT m.cluster_id FROM new_rows n JOIN old_rows o USING (id) JOIN cluster_members m ON m.issue_id = n.issue_id
        WHERE n.created_at IS DISTINCT FROM o.created_at OR n.issue_id IS DISTINCT FROM o.issue_id
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER trend_comments_ins AFTER INSERT ON comments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION trend_mark_comments();
CREATE TRIGGER trend_comments_del AFTER DELETE ON comments
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION trend_mark_comments();
CREATE TRIGGER trend_comments_upd AFTER UPDATE ON comments
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION trend_mark_comments();

-- Merges change which issues a surviving cluster's fixes are judged on.
CREATE FUNCTION trend_mark_clusters() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO trend_dirty
    SELECT DISTINCT x FROM (
        SELECT n.id AS x FROM new_rows n JOIN old_rows o USING (id)
        WHERE n.status IS DISTINCT FROM o.status OR n.merged_into IS DISTINCT FROM o.merged_into
        UNION ALL
        SELECT n.merged_into FROM new_rows n JOIN old_rows o USING (id)
        WHERE n.merged_into IS NOT NULL AND (n.status IS DISTINCT FROM o.status OR n.merged_into IS DISTINCT FROM o.merged_into)
    ) d ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER trend_clusters_upd AFTER UPDATE ON clusters
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION trend_mark_clusters();

CREATE FUNCTION trend_mark_redirects() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO trend_dirty
    SELECT DISTINCT x FROM (SELECT old_id AS x FROM new_rows UNION ALL SELECT new_id FROM new_rows) d
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER trend_redirects_ins AFTER INSERT ON cluster_redirects
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION trend_mark_redirects();
