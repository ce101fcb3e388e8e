package queue

import (
	"context"
	"time"
)

// query runs a statement written with ? placeholders outside a transaction
// and calls each for every row, in order; an error from each stops the loop
// and is returned. each must not use the Store: SQLite has one connection,
// and the rows hold it until query returns.
func (s *Store) query(ctx context.Context, each func(row scanner) error, query string, args ...any) error {
	if s.pool != nil {
		rows, err := s.pool.Query(ctx, rebind(query), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := each(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	rows, err := s.sqlDB.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return rows.Close()
}

// listLimit bounds a listing: limit <= 0 means defaultListLimit, and no
// caller gets more than maxListLimit rows at once.
func listLimit(limit int) int64 {
	const defaultListLimit, maxListLimit = 20, 1000
	if limit <= 0 {
		return defaultListLimit
	}
	return int64(min(limit, maxListLimit))
}

// Times are stored as Unix nanoseconds (BIGINT on both drivers), so they
// round-trip to the nanosecond between the years 1678 and 2262; location
// and monotonic reading are dropped (compare with time.Time.Equal). The zero
// time is stored as 0 and read back as the zero time.
func unixNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// boolInt stores a bool as BIGINT 0/1: SQLite has no boolean type.
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
