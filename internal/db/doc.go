// Package db is stagehand's database: SQLite (one replica) or PostgreSQL
// (several), opened from one URL, migrated, and reached through a small
// querier that takes SQL written with ? placeholders on either driver.
//
// The queue (River's tables and the coalescing rows) and the store (holds,
// history, the audit log, used links) share it, so that accepting a
// delivery or recording a promotion is one transaction on one database.
// The schema is an implementation detail: nothing outside the repository
// reads it, and the public API's JSON is defined apart from its rows.
package db
