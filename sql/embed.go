// Package sql holds errata's SQL: numbered migrations in migrations/,
// embedded in the binary so that errata can bring any database up to date
// without files on disk.
package sql

import "embed"

// Migrations holds migrations/NNNN_name.sql, applied in numeric order.
//
//go:embed migrations/*.sql
var Migrations embed.FS
