-- The stage of PageSlugSave (pages.go), made per transaction and filled
-- by COPY. sqlc reads this file into its catalog (sqlc.yaml) to check the
-- statements that read the stage; the store runs it as it is.
CREATE TEMP TABLE page_slugs_in (ord int, slug text, cluster_id bigint, state text,
    target_slug text, path text, members bigint[]) ON COMMIT DROP;
