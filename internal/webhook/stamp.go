package webhook

import (
	"encoding/json"
	"math"
	"strconv"
	"time"
)

// stamp is when a vendor says something happened, read leniently: an RFC
// 3339 string (with or without fractions), Nexus's "2016-11-10T23:57:49.664+0000",
// or unix seconds as a JSON number (Docker Hub, Harbor). Anything else,
// null included, is the zero time and never an error: the time only orders
// pushes, so a strange timestamp must not cost the push itself.
type stamp struct{ time.Time }

// UnmarshalJSON implements json.Unmarshaler; it never fails.
func (s *stamp) UnmarshalJSON(b []byte) error {
	s.Time = parseStamp(b)
	return nil
}

// stampLayouts are tried in order on a JSON string.
var stampLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700", // Nexus: no colon in the offset
}

// maxUnixSeconds keeps absurd numbers (and float overflow) out: year 5138.
const maxUnixSeconds = 1e11

func parseStamp(b []byte) time.Time {
	if len(b) == 0 {
		return time.Time{}
	}
	if b[0] == '"' {
		var s string
		if json.Unmarshal(b, &s) != nil {
			return time.Time{}
		}
		return parseTime(s)
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || !(f > 0 && f < maxUnixSeconds) { // also refuses NaN
		return time.Time{}
	}
	sec := math.Floor(f)
	return time.Unix(int64(sec), int64(math.Round((f-sec)*1e9))).UTC()
}

// parseTime reads s in one of stampLayouts, in UTC; zero when none fits.
func parseTime(s string) time.Time {
	for _, layout := range stampLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
