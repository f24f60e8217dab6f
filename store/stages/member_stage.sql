-- The stage of MemberSetMany (clusters.go), made per transaction and
-- filled by COPY in chunks. sqlc reads this file into its catalog
-- (sqlc.yaml) to check MembersMergeStage; the store runs it as it is.
CREATE TEMP TABLE member_stage (issue_id bigint, cluster_id bigint, score real, reason text) ON COMMIT DROP;
