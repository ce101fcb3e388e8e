package window

import (
	"strings"
	"testing"
	"time"
)

func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestDenied(t *testing.T) {
	be := berlin(t)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	at := func(loc *time.Location, y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, loc)
	}
	weekend := "Fri 16:00 - Mon 08:00"
	tests := []struct {
		name   string
		specs  []string
		loc    *time.Location
		t      time.Time
		denied bool
		opens  time.Time // for a denied t
	}{
		// 2026-12-04 is a Friday.
		{"before the weekend", []string{weekend}, be, at(be, 2026, 12, 4, 15, 59), false, time.Time{}},
		{"its first minute", []string{weekend}, be, at(be, 2026, 12, 4, 16, 0), true, at(be, 2026, 12, 7, 8, 0)},
		{"across the week's wrap", []string{weekend}, be, at(be, 2026, 12, 6, 23, 30), true, at(be, 2026, 12, 7, 8, 0)},
		{"its last minute", []string{weekend}, be, at(be, 2026, 12, 7, 7, 59), true, at(be, 2026, 12, 7, 8, 0)},
		{"open at its end", []string{weekend}, be, at(be, 2026, 12, 7, 8, 0), false, time.Time{}},
		{"midweek", []string{weekend}, be, at(be, 2026, 12, 9, 12, 0), false, time.Time{}},
		{"another zone's clock", []string{weekend}, be, at(ny, 2026, 12, 4, 10, 0), true, at(be, 2026, 12, 7, 8, 0)},
		{"asked in UTC", []string{weekend}, be, time.Date(2026, 12, 4, 14, 59, 0, 0, time.UTC), false, time.Time{}},
		// Clocks go forward in Berlin on Sunday 2026-03-29 (02:00 → 03:00):
		// the weekend is one hour shorter, and still ends at 08:00 local.
		{"weekend over spring DST", []string{weekend}, be, at(be, 2026, 3, 27, 18, 0), true, at(be, 2026, 3, 30, 8, 0)},
		{"opens 08:00 CEST", []string{weekend}, be, time.Date(2026, 3, 30, 5, 59, 0, 0, time.UTC), true, time.Date(2026, 3, 30, 6, 0, 0, 0, time.UTC)},
		{"open at 08:00 CEST", []string{weekend}, be, time.Date(2026, 3, 30, 6, 0, 0, 0, time.UTC), false, time.Time{}},
		// Clocks go back on Sunday 2026-10-25 (03:00 → 02:00).
		{"weekend over autumn DST", []string{weekend}, be, at(be, 2026, 10, 23, 16, 0), true, time.Date(2026, 10, 26, 7, 0, 0, 0, time.UTC)},
		{"ends at a skipped time", []string{"Sat 12:00 - Sun 02:30"}, be, at(be, 2026, 3, 28, 23, 0), true, time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)},
		{"starts in the skipped hour", []string{"Sun 02:30 - Sun 05:00"}, be, time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), true, at(be, 2026, 3, 29, 5, 0)},
		{"a day's range", []string{"Wed 22:00 - Thu 06:00"}, time.UTC, time.Date(2026, 12, 10, 5, 0, 0, 0, time.UTC), true, time.Date(2026, 12, 10, 6, 0, 0, 0, time.UTC)},
		{"wraps almost a whole week", []string{"Fri 08:00 - Fri 07:00"}, time.UTC, time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC), true, time.Date(2026, 12, 11, 7, 0, 0, 0, time.UTC)},
		{"open in its one hour", []string{"Fri 08:00 - Fri 07:00"}, time.UTC, time.Date(2026, 12, 4, 7, 30, 0, 0, time.UTC), false, time.Time{}},

		// Dates: whole days, the last one included, in the zone.
		{"holidays' first day", []string{"2026-12-20 - 2027-01-04"}, be, at(be, 2026, 12, 20, 0, 0), true, at(be, 2027, 1, 5, 0, 0)},
		{"the day before", []string{"2026-12-20 - 2027-01-04"}, be, at(be, 2026, 12, 19, 23, 59), false, time.Time{}},
		{"the last day is in", []string{"2026-12-20 - 2027-01-04"}, be, at(be, 2027, 1, 4, 23, 59), true, at(be, 2027, 1, 5, 0, 0)},
		{"the day after", []string{"2026-12-20 - 2027-01-04"}, be, at(be, 2027, 1, 5, 0, 0), false, time.Time{}},
		{"one day", []string{"2026-12-24 - 2026-12-24"}, time.UTC, time.Date(2026, 12, 24, 12, 0, 0, 0, time.UTC), true, time.Date(2026, 12, 25, 0, 0, 0, 0, time.UTC)},
		{"a day over autumn DST", []string{"2026-10-25 - 2026-10-25"}, be, at(be, 2026, 10, 25, 12, 0), true, time.Date(2026, 10, 25, 23, 0, 0, 0, time.UTC)},

		// Windows that meet: the set opens when the last of them ends.
		{"dates, then a weekend", []string{"2026-12-01 - 2026-12-04", weekend}, be, at(be, 2026, 12, 3, 9, 0), true, at(be, 2026, 12, 7, 8, 0)},
		{"a weekend, then dates", []string{weekend, "2026-12-07 - 2026-12-08"}, be, at(be, 2026, 12, 5, 9, 0), true, at(be, 2026, 12, 9, 0, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s Set
			for _, spec := range tc.specs {
				w, err := Parse(spec, tc.loc)
				if err != nil {
					t.Fatal(err)
				}
				s = append(s, w)
			}
			_, opens, denied := s.Denied(tc.t)
			if denied != tc.denied {
				t.Fatalf("Denied(%s) = %v, want %v", tc.t, denied, tc.denied)
			}
			if denied && !opens.Equal(tc.opens) {
				t.Fatalf("opens %s, want %s", opens, tc.opens)
			}
			if !denied && !opens.Equal(tc.t) {
				t.Fatalf("open, but opens %s", opens)
			}
			if denied {
				if _, _, still := s.Denied(opens); still {
					t.Fatalf("still denied at %s", opens)
				}
				if _, _, before := s.Denied(opens.Add(-time.Minute)); !before {
					t.Fatalf("not denied a minute before it opens, at %s", opens.Add(-time.Minute))
				}
			}
		})
	}
}

func TestForever(t *testing.T) {
	mk := func(specs ...string) Set {
		var s Set
		for _, spec := range specs {
			w, err := Parse(spec, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			s = append(s, w)
		}
		return s
	}
	if s := mk("Mon 00:00 - Thu 00:00", "Wed 00:00 - Mon 00:00"); !s.Forever() {
		t.Error("two weekly windows covering the week: not forever")
	}
	if s := mk("Mon 00:00 - Thu 00:00", "Wed 00:00 - Sun 23:59"); s.Forever() {
		t.Error("a week with one open minute: forever")
	}
	if _, opens, denied := mk("Mon 00:00 - Thu 00:00", "Wed 00:00 - Mon 00:00").Denied(time.Now()); !denied || !opens.IsZero() {
		t.Errorf("Denied = %v, %v; want denied, never opening", denied, opens)
	}
	if s := mk("2026-01-01 - 2030-01-01"); s.Forever() {
		t.Error("dates end: not forever")
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ spec, want string }{
		{"", "is not a window"},
		{"Fri 16:00-Mon 08:00", "is not a window"},
		{"Fri 16:00 to Mon 08:00", "is not a window"},
		{"Fri 16:00 - Mon", "is not a window"},
		{"Fry 16:00 - Mon 08:00", `"Fry" is not a day`},
		{"Friday 16:00 - Mon 08:00", `"Friday" is not a day`},
		{"Fri 4pm - Mon 08:00", `"4pm" is not a time of day`},
		{"Fri 24:00 - Mon 08:00", `"24:00" is not a time of day`},
		{"Fri 16:00 - Mon 8:00", `"8:00" is not a time of day`},
		{"Fri 16:60 - Mon 08:00", "is not a time of day"},
		{"Mon 08:00 - Mon 08:00", "starts where it ends"},
		{"2026-12-20 - 2026-13-01", `"2026-13-01" is not a date`},
		{"2026-02-30 - 2026-03-01", `"2026-02-30" is not a date`},
		{"20-12-2026 - 2027-01-04", "is not a date"},
		{"2027-01-04 - 2026-12-20", "ends before it starts"},
		{"2026-12-20", "is not a window"},
	} {
		_, err := Parse(tc.spec, time.UTC)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want an error with %q", tc.spec, err, tc.want)
		}
	}
	for _, ok := range []string{"fri 16:00 - MON 08:00", "  Fri   16:00  -  Mon 08:00 ", "Sun 23:59 - Mon 00:00", "2026-12-20 - 2026-12-20"} {
		if _, err := Parse(ok, time.UTC); err != nil {
			t.Errorf("Parse(%q) = %v", ok, err)
		}
	}
}

// FuzzParse: Parse never panics, and a window it accepts answers
// consistently: a denied time opens later, at a time not denied.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"Fri 16:00 - Mon 08:00", "2026-12-20 - 2027-01-04", "Sun 02:30 - Sun 03:00", "Mon 00:00 - Mon 00:01", ""} {
		f.Add(s, int64(1796400000))
	}
	be, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, spec string, unix int64) {
		w, err := Parse(spec, be)
		if err != nil {
			if w.Loc != nil {
				t.Fatalf("error %v with a window", err)
			}
			return
		}
		at := time.Unix(unix%(1<<33), 0)
		_, opens, denied := Set{w}.Denied(at)
		if !denied {
			if !opens.Equal(at) {
				t.Fatalf("open at %s, but opens %s", at, opens)
			}
			return
		}
		if !opens.After(at) {
			t.Fatalf("%q denies %s and opens at %s, not after it", spec, at, opens)
		}
		if w.Contains(opens) {
			t.Fatalf("%q denies %s and opens at %s, which it denies too", spec, at, opens)
		}
	})
}
