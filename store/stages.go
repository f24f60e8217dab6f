package store

import _ "embed" // the stages' DDL

// Temporary staging tables, filled by COPY and merged by generated
// statements. Their DDL lives in stages/*.sql, which sqlc reads into its
// catalog after the migrations (sqlc.yaml), so the statements that read a
// stage are checked against the columns the store makes here. Each file
// is one CREATE TEMP TABLE ... ON COMMIT DROP, run as it is inside the
// transaction that uses the stage.
var (
	// pageSlugsIn stages PageSlugSave's slugs.
	//
	//go:embed stages/page_slugs_in.sql
	pageSlugsIn string

	// memberStage stages MemberSetMany's memberships.
	//
	//go:embed stages/member_stage.sql
	memberStage string
)
