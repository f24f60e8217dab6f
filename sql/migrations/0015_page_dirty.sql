-- 0015: pages in proportion to the change. Triggers record which clusters'
-- page evidence may have changed (members, their issues' shown fields and
-- states, comments, signature variants, merges and redirects) in
-- page_dirty, with the id of the writing transaction; page_renders keeps,
-- per output directory, what its last render was made from, so the next
-- `errata pages` renders only the pages whose inputs changed (see
-- reports/pages/incremental.go). cluster_id 0 in page_dirty means "every
-- page" (a repository renamed, and whatever is in the database when this
-- migration runs).
--
-- A render first takes a snapshot; the next render of the same directory
-- renders the clusters marked by a transaction that snapshot did not see
-- (pg_visible_in_snapshot). A row keeps the id of the last transaction to
-- mark it: row locks order the markers, so a later marker commits later.

CREATE TABLE page_dirty (
    cluster_id  bigint PRIMARY KEY,
    -- pg_current_xact_id() of the last transaction that marked it
    xid         bigint NOT NULL
);
INSERT INTO page_dirty VALUES (0, pg_current_xact_id()::text::bigint);

CREATE TABLE page_renders (
    out_dir   text PRIMARY KEY,      -- absolute, symbolic links resolved
    settings  text NOT NULL,         -- fingerprint of the render settings
    as_of     timestamptz,           -- store.PageAsOf of the render
    seen_snapshot text NOT NULL,         -- pg_current_snapshot() before the render read anything
    pages     bytea NOT NULL,        -- JSON: per live page, its input hash, last evidence, chart
    rendered_at timestamptz NOT NULL DEFAULT now()
);

-- page_mark records cluster ids as dirty for the current transaction.
CREATE FUNCTION page_mark(ids bigint[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO page_dirty (cluster_id, xid)
    SELECT DISTINCT x, pg_current_xact_id()::text::bigint FROM unnest(ids) x WHERE x IS NOT NULL
    ON CONFLICT (cluster_id) DO UPDATE SET xid = excluded.xid;
$$;

CREATE FUNCTION page_mark_members() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM page_mark(ARRAY(SELECT DISTINCT cluster_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM page_mark(ARRAY(SELECT DISTINCT cluster_id FROM old_rows));
    ELSE
        PERFORM page_mark(ARRAY(
            SELECT n.cluster_id FROM new_rows n JOIN old_rows o USING (issue_id) WHERE n.cluster_id <> o.cluster_id
            UNION
            SELECT o.cluster_id FROM new_rows n JOIN old_rows o USING (issue_id) WHERE n.cluster_id <> o.cluster_id));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER page_members_ins AFTER INSERT ON cluster_members
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION page_mark_members();
CREATE TRIGGER page_members_del AFTER DELETE ON cluster_members
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION page_mark_members();
CREATE TRIGGER page_members_upd AFTER UPDATE ON cluster_members
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION page_mark_members();

CREATE FUNCTION page_mark_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM page_mark(ARRAY[0::bigint]);
    RETURN NULL;
END $$;
CREATE TRIGGER page_members_truncate AFTER TRUNCATE ON cluster_members
    FOR EACH STATEMENT EXECUTE FUNCTION page_mark_all();

-- An issue's fields a page shows or counts.
CREATE FUNCTION page_mark_issues() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM page_mark(ARRAY(
        SELECT DISTINCT m.cluster_id
        FROM new_rows n JOIN old_rows o USING (id) JOIN cluster_members m ON m.issue_id = n.id
        WHERE (n.repository_id, n.number, n.state, n.state_reason, n.title, n.body, n.author, n.author_association,
               n.labels, n.reactions_total, n.comment_count, n.html_url, n.created_at, n.closed_at)
          IS DISTINCT FROM
              (o.repository_id, o.number, o.state, o.state_reason, o.title, o.body, o.author, o.author_association,
               o.labels, o.reactions_total, o.comment_count, o.html_url, o.created_at, o.closed_at)));
    RETURN NULL;
END $$;
CREATE TRIGGER page_issues_upd AFTER UPDATE ON issues
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION page_mark_issues();

-- Comments: their count, dates and text (the threads a page quotes).
CREATE FUNCTION page_mark_comments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM page_mark(ARRAY(SELECT DISTINCT m.cluster_id FROM new_rows c JOIN cluster_members m ON m.issue_id = c.issue_id));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM page_mark(ARRAY(SELECT DISTINCT m.cluster_id FROM old_rows c JOIN cluster_members m ON m.issue_id = c.issue_id));
    ELSE
        PERFORM page_mark(ARRAY(
            SELECT m.cluster_id FROM new_rows n JOIN old_rows o USING (id) JOIN cluster_members m ON m.issue_id IN (n.issue_id, o.issue_id)
            WHERE (n.issue_id, n.author, n.author_association, n.body, n.reactions_total, n.html_url, n.created_at)
              IS DISTINCT FROM (o.issue_id, o.author, o.author_association, o.body, o.reactions_total, o.html_url, o.created_at)));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER page_comments_ins AFTER INSERT ON comments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION page_mark_comments();
CREATE TRIGGER page_comments_del AFTER DELETE ON comments
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION page_mark_comments();
CREATE TRIGGER page_comments_upd AFTER UPDATE ON comments
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION page_mark_comments();

-- Signatures: a page shows its members' raw primary signatures.
CREATE FUNCTION page_mark_signatures() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM page_mark(ARRAY(SELECT DISTINCT m.cluster_id FROM new_rows s JOIN cluster_members m ON m.issue_id = s.issue_id WHERE s.rank = 0));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM page_mark(ARRAY(SELECT DISTINCT m.cluster_id FROM old_rows s JOIN cluster_members m ON m.issue_id = s.issue_id WHERE s.rank = 0));
    ELSE
        PERFORM page_mark(ARRAY(
            SELECT m.cluster_id FROM new_rows n JOIN old_rows o ON o.issue_id = n.issue_id AND o.rank = n.rank
                JOIN cluster_members m ON m.issue_id = n.issue_id
            WHERE n.rank = 0 AND n.raw IS DISTINCT FROM o.raw));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER page_signatures_ins AFTER INSERT ON issue_signatures
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION page_mark_signatures();
CREATE TRIGGER page_signatures_del AFTER DELETE ON issue_signatures
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION page_mark_signatures();
CREATE TRIGGER page_signatures_upd AFTER UPDATE ON issue_signatures
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION page_mark_signatures();

-- Clusters: status and merges (the cluster's own fields reach its page
-- through the cluster list, which every render reads and hashes).
CREATE FUNCTION page_mark_clusters() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM page_mark(ARRAY(
        SELECT n.id FROM new_rows n JOIN old_rows o USING (id)
        WHERE (n.status, n.merged_into) IS DISTINCT FROM (o.status, o.merged_into)
        UNION
        SELECT n.merged_into FROM new_rows n JOIN old_rows o USING (id)
        WHERE n.merged_into IS NOT NULL AND (n.status, n.merged_into) IS DISTINCT FROM (o.status, o.merged_into)));
    RETURN NULL;
END $$;
CREATE TRIGGER page_clusters_upd AFTER UPDATE ON clusters
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION page_mark_clusters();

CREATE FUNCTION page_mark_redirects() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM page_mark(ARRAY(SELECT old_id FROM new_rows UNION SELECT new_id FROM new_rows));
    RETURN NULL;
END $$;
CREATE TRIGGER page_redirects_ins AFTER INSERT ON cluster_redirects
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION page_mark_redirects();

-- A renamed repository changes every page that names it.
CREATE FUNCTION page_mark_repositories() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows n JOIN old_rows o USING (id) WHERE n.full_name IS DISTINCT FROM o.full_name) THEN
        PERFORM page_mark(ARRAY[0::bigint]);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER page_repositories_upd AFTER UPDATE ON repositories
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION page_mark_repositories();
