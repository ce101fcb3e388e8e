// Package window decides freeze windows: is a time inside a stage's
// denied windows, and when do they open? It is pure: times come in, and
// the answer depends on nothing else (the time zone database is the
// standard library's, embedded in the binary by time/tzdata).
//
// Two shapes are understood, each in a time zone:
//
//	Fri 16:00 - Mon 08:00     weekly, wall-clock times; it may wrap the week
//	2026-12-20 - 2027-01-04   dates, each whole day included
//
// A weekly range is half open: it starts at its first minute and ends
// just before its last, so "Fri 16:00 - Mon 08:00" opens at 08:00 on
// Monday. Wall-clock times follow daylight saving: 16:00 in Berlin is
// 16:00 local in summer and in winter. A wall time that a change skips
// (02:30 on the night clocks go forward) is read as the time after the
// skip, as time.Date does.
package window

import (
	"fmt"
	"strings"
	"time"
)

// Window is one denied range in a time zone.
type Window struct {
	Spec string         // as written
	Loc  *time.Location // never nil once parsed

	weekly bool
	// weekly: minutes since Sunday 00:00 of the week's wall clock.
	from, to int
	// dates: the first and last day denied, whole days in Loc.
	first, last civil
}

// civil is a calendar date.
type civil struct {
	y int
	m time.Month
	d int
}

func (c civil) at(loc *time.Location) time.Time { return time.Date(c.y, c.m, c.d, 0, 0, 0, 0, loc) }

func (c civil) before(o civil) bool {
	if c.y != o.y {
		return c.y < o.y
	}
	if c.m != o.m {
		return c.m < o.m
	}
	return c.d < o.d
}

const week = 7 * 24 * 60

var days = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// Parse reads spec ("Fri 16:00 - Mon 08:00" or "2026-12-20 - 2027-01-04")
// in loc; the error says what is wrong in words for a config file.
func Parse(spec string, loc *time.Location) (Window, error) {
	if loc == nil {
		loc = time.UTC
	}
	w := Window{Spec: spec, Loc: loc}
	f := strings.Fields(spec)
	switch {
	case len(f) == 5 && f[2] == "-":
		from, err := weekMinute(f[0], f[1])
		if err != nil {
			return Window{}, err
		}
		to, err := weekMinute(f[3], f[4])
		if err != nil {
			return Window{}, err
		}
		if from == to {
			return Window{}, fmt.Errorf("%q starts where it ends; a weekly window must not be empty or the whole week", spec)
		}
		w.weekly, w.from, w.to = true, from, to
		return w, nil
	case len(f) == 3 && f[1] == "-":
		first, err := date(f[0])
		if err != nil {
			return Window{}, err
		}
		last, err := date(f[2])
		if err != nil {
			return Window{}, err
		}
		if last.before(first) {
			return Window{}, fmt.Errorf("%q ends before it starts; write the earlier date first", spec)
		}
		w.first, w.last = first, last
		return w, nil
	}
	return Window{}, fmt.Errorf("%q is not a window; write days and times as \"Fri 16:00 - Mon 08:00\" or dates as \"2026-12-20 - 2027-01-04\" (a dash between spaces)", spec)
}

func weekMinute(day, clock string) (int, error) {
	wd, ok := days[strings.ToLower(day)]
	if !ok {
		return 0, fmt.Errorf("%q is not a day; use Mon, Tue, Wed, Thu, Fri, Sat or Sun", day)
	}
	t, err := time.Parse("15:04", clock)
	if err != nil || len(clock) != 5 {
		return 0, fmt.Errorf("%q is not a time of day; use 24-hour HH:MM, such as 08:00 or 16:30", clock)
	}
	return int(wd)*24*60 + t.Hour()*60 + t.Minute(), nil
}

func date(s string) (civil, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return civil{}, fmt.Errorf("%q is not a date; use YYYY-MM-DD, such as 2026-12-20", s)
	}
	return civil{t.Year(), t.Month(), t.Day()}, nil
}

// Contains reports whether t falls inside w.
func (w Window) Contains(t time.Time) bool {
	t = t.In(w.Loc)
	if !w.weekly {
		return !t.Before(w.first.at(w.Loc)) && t.Before(w.end())
	}
	m := int(t.Weekday())*24*60 + t.Hour()*60 + t.Minute()
	if w.from < w.to {
		return w.from <= m && m < w.to
	}
	return m >= w.from || m < w.to // wraps the week
}

// end is when a dates window opens: midnight after its last day.
func (w Window) end() time.Time {
	return time.Date(w.last.y, w.last.m, w.last.d+1, 0, 0, 0, 0, w.Loc)
}

// Opens is when w opens again for a t inside it: the end of the
// occurrence that holds t. For a t outside w it is t.
func (w Window) Opens(t time.Time) time.Time {
	if !w.Contains(t) {
		return t
	}
	if !w.weekly {
		return w.end()
	}
	local := t.In(w.Loc)
	day, hour, min := time.Weekday(w.to/(24*60)), (w.to%(24*60))/60, w.to%60
	for k := 0; k <= 7; k++ {
		c := time.Date(local.Year(), local.Month(), local.Day()+k, hour, min, 0, 0, w.Loc)
		if c.Weekday() != day {
			continue
		}
		if c.Hour() != hour || c.Minute() != min {
			// The wall time does not exist that day (clocks jump past
			// it): the window opens when they jump.
			if start, _ := c.ZoneBounds(); start.After(t) {
				c = start
			}
		}
		if c.After(t) {
			return c
		}
	}
	return t // unreachable: every weekday comes within a week
}

// String is the window as written, with its zone.
func (w Window) String() string { return fmt.Sprintf("%s (%s)", w.Spec, w.Loc) }

// Set is a stage's windows.
type Set []Window

// maxHops bounds the walk from one window's end to the next: windows that
// overlap end to end for longer than this never open in practice.
const maxHops = 64

// Denied says whether t falls in a window of s, which one, and when s
// opens: the first time from t on that no window holds. ok is false when
// no window holds t. A set whose windows cover all of time (two weekly
// windows that together span the week) never opens: opens is then zero.
func (s Set) Denied(t time.Time) (w Window, opens time.Time, ok bool) {
	for _, x := range s {
		if x.Contains(t) {
			w, ok = x, true
			break
		}
	}
	if !ok {
		return Window{}, t, false
	}
	at := t
	for range maxHops {
		moved := false
		for _, x := range s {
			if x.Contains(at) {
				at, moved = x.Opens(at), true
			}
		}
		if !moved {
			return w, at, true
		}
	}
	return w, time.Time{}, true
}

// Forever reports whether the weekly windows of s together deny every
// minute of the week, so that the stage would never open.
func (s Set) Forever() bool {
	var weekly Set
	for _, w := range s {
		if w.weekly {
			weekly = append(weekly, w)
		}
	}
	if len(weekly) == 0 {
		return false
	}
	// Any instant will do: a week of weekly windows repeats everywhere.
	_, opens, denied := weekly.Denied(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	if !denied {
		return false
	}
	return opens.IsZero()
}
