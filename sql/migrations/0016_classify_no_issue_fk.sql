-- 0016: classify's own tables stop checking their issue foreign key row by
-- row. issue_signatures, issue_classification and cluster_members are
-- written only by classify, for issue ids it has just read from issues; the
-- foreign key made PostgreSQL run a lookup and a FOR KEY SHARE row lock on
-- the issue for every row inserted (about four per issue on a first
-- classify: two signatures, the classification, the membership), which
-- was most of the time of classify's writes, and the lock dirtied every
-- issue page (docs/benchmarks.md, "first classify of a large store").
--
-- What the foreign keys also did, deleting these rows with their issue
-- (ON DELETE CASCADE), a statement trigger on issues now does. errata never
-- deletes issues itself (an issue gone from GitHub keeps its row, gone_at
-- set); the trigger is for deletes made by hand or by tests.

ALTER TABLE issue_signatures DROP CONSTRAINT IF EXISTS issue_signatures_issue_id_fkey;
ALTER TABLE issue_classification DROP CONSTRAINT IF EXISTS issue_classification_issue_id_fkey;
ALTER TABLE cluster_members DROP CONSTRAINT IF EXISTS cluster_members_issue_id_fkey;

CREATE FUNCTION issues_delete_classified() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM cluster_members m USING old_rows o WHERE m.issue_id = o.id;
    DELETE FROM issue_signatures s USING old_rows o WHERE s.issue_id = o.id;
    DELETE FROM issue_classification c USING old_rows o WHERE c.issue_id = o.id;
    RETURN NULL;
END $$;

CREATE TRIGGER issues_delete_classified AFTER DELETE ON issues
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION issues_delete_classified();

CREATE FUNCTION issues_truncate_classified() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE cluster_members, issue_signatures, issue_classification;
    RETURN NULL;
END $$;

CREATE TRIGGER issues_truncate_classified AFTER TRUNCATE ON issues
    FOR EACH STATEMENT EXECUTE FUNCTION issues_truncate_classified();
