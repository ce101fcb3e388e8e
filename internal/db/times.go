package db

import "time"

// Times are stored as Unix nanoseconds (BIGINT on both drivers), so they
// round-trip to the nanosecond between the years 1678 and 2262; location
// and monotonic reading are dropped (compare with time.Time.Equal). The zero
// time is stored as 0 and read back as the zero time.

// Nanos stores t.
func Nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// Time reads what Nanos stored.
func Time(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// Bool stores a bool as BIGINT 0/1: SQLite has no boolean type.
func Bool(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
