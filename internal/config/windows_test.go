package config

import (
	"testing"
	"time"
)

// withWindows is validBase with prod's windows: lines 6 on are yaml.
func withWindows(yaml string) string {
	return edit("    mode: manual\n", "    mode: manual\n    windows:\n"+yaml)
}

func TestParseWindows(t *testing.T) {
	cfg := mustParse(t, withWindows(`      - deny: "Fri 16:00 - Mon 08:00"
        timezone: Europe/Berlin
      - deny: "2026-12-20 - 2027-01-04"
`))
	prod, _ := cfg.Stage("prod")
	if len(prod.Windows) != 2 {
		t.Fatalf("windows = %v", prod.Windows)
	}
	if got := prod.Windows[0].String(); got != "Fri 16:00 - Mon 08:00 (Europe/Berlin)" {
		t.Errorf("first window %s", got)
	}
	if got := prod.Windows[1].Loc; got != time.UTC {
		t.Errorf("a window without timezone is in %v, want UTC", got)
	}
	// Friday 2026-12-04 16:30 in Berlin is 15:30 UTC.
	if _, opens, denied := prod.Windows.Denied(time.Date(2026, 12, 4, 15, 30, 0, 0, time.UTC)); !denied || !opens.Equal(time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC)) {
		t.Errorf("Friday evening: denied %v, opens %s", denied, opens)
	}
	if staging, _ := cfg.Stage("staging"); staging.Windows != nil {
		t.Errorf("staging has windows %v", staging.Windows)
	}
}

// Lines: windows: is line 6, its first item line 7.
var badWindows = []badFile{
	{"not a list", edit("    mode: manual\n", "    mode: manual\n    windows: Fri 16:00 - Mon 08:00\n"), []string{
		`c.yaml:6:14: windows: want a list (- item lines), found the string "Fri 16:00 - Mon 08:00"`,
	}},
	{"every problem at once", withWindows(`      - deny: "Fri 16:00-Mon 08:00"
      - deny: "Fry 16:00 - Mon 08:00"
        timezone: Europe/Berln
      - deny: "2027-01-04 - 2026-12-20"
        timezone: Local
      - deny: "Fri 25:00 - Mon 08:00"
        timzone: UTC
      - timezone: UTC
      - allow: "Mon 09:00 - Fri 17:00"
      - deny: 2026-12-24
      - "Sat 00:00 - Sun 00:00"
`), []string{
		`c.yaml:7:15: deny: "Fri 16:00-Mon 08:00" is not a window; write days and times as "Fri 16:00 - Mon 08:00" or dates as "2026-12-20 - 2027-01-04" (a dash between spaces)`,
		`c.yaml:8:15: deny: "Fry" is not a day; use Mon, Tue, Wed, Thu, Fri, Sat or Sun`,
		`c.yaml:9:19: timezone: "Europe/Berln" is not a time zone; use an IANA name such as Europe/Berlin, America/New_York or UTC`,
		`c.yaml:10:15: deny: "2027-01-04 - 2026-12-20" ends before it starts; write the earlier date first`,
		`c.yaml:11:19: timezone: Local depends on the machine stagehand runs on; name a zone such as Europe/Berlin or UTC`,
		`c.yaml:12:15: deny: "25:00" is not a time of day; use 24-hour HH:MM, such as 08:00 or 16:30`,
		`c.yaml:13:9: unknown key "timzone" in window 4; did you mean timezone? allowed keys are deny, timezone`,
		`c.yaml:14:9: window 5 lacks deny:`,
		`c.yaml:15:9: window 6: allow: is not supported; name the times promotions may not happen with deny: (the times outside "Mon 09:00 - Fri 17:00" are "Fri 17:00 - Mon 09:00")`,
		`c.yaml:16:15: deny: want a string, found !!timestamp "2026-12-24"; quote it: "2026-12-24"`,
		`c.yaml:17:9: window 8: want a mapping (key: value lines), found the string "Sat 00:00 - Sun 00:00"`,
	}},
	{"forever", withWindows(`      - deny: "Mon 00:00 - Thu 00:00"
      - deny: "Wed 00:00 - Mon 00:00"
`), []string{
		`c.yaml:7:7: windows: together they deny every minute of the week, so nothing would ever move into the stage; use manual mode or a hold for that`,
	}},
}

func TestParseBadWindows(t *testing.T) {
	for _, tc := range badWindows {
		t.Run(tc.name, func(t *testing.T) {
			checkProblems(t, tc.src, tc.want)
		})
	}
}
