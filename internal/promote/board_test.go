package promote

import (
	"testing"
	"time"
)

// The dashboard's buttons are decided by decideBoard on the board's
// snapshot; each must say what the same request from a comment is decided
// to, by Decide.
func TestDecideBoard(t *testing.T) {
	type want struct {
		promote, hold, release, rollback Verdict
		code                             Code // the promotion's refusal
	}
	for _, c := range []struct {
		name  string
		stage string
		login string
		world func(w *world) *world
		want  want
	}{
		{"writer, preprod runs what staging runs", "preprod", "ann", nil,
			want{promote: Nothing, hold: PlaceHold, release: Refuse, rollback: Propose}},
		{"writer, prod behind preprod but not soaked", "prod", "ann", nil,
			want{promote: Refuse, code: CodeNotAllowed, hold: Refuse, release: Refuse, rollback: Refuse}},
		{"approver, prod soaked", "prod", "octocat", func(w *world) *world { return w.merged("preprod", d1, time.Hour) },
			want{promote: Propose, hold: PlaceHold, release: Refuse, rollback: Refuse}},
		{"approver, prod not soaked", "prod", "octocat", func(w *world) *world { return w.merged("preprod", d1, 10*time.Minute) },
			want{promote: Refuse, code: CodeSoaking, hold: PlaceHold, release: Refuse, rollback: Refuse}},
		{"approver, prod held", "prod", "rel", func(w *world) *world { return w.merged("preprod", d1, time.Hour).held("prod", false) },
			want{promote: Refuse, code: CodeHeld, hold: PlaceHold, release: LiftHold, rollback: Refuse}},
		{"reader", "preprod", "bob", func(w *world) *world { return w.pin("web", "staging", "1.1.0", d2) },
			want{promote: Refuse, code: CodeNotAllowed, hold: Refuse, release: Refuse, rollback: Refuse}},
		{"writer, staging moved on", "preprod", "ann", func(w *world) *world { return w.pin("web", "staging", "1.1.0", d2) },
			want{promote: Propose, hold: PlaceHold, release: Refuse, rollback: Propose}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t).person(c.login)
			if c.world != nil {
				w = c.world(w)
			}
			s := w.snap
			cfg := s.Config
			stage, _ := cfg.Stage(c.stage)
			a := app(t, "web")
			preview := s
			preview.Preview = true
			p, hold, release, rollback := decideBoard(a, stage, Actor{Login: c.login}, preview, cfg)
			got := want{promote: p.Verdict, hold: hold.Verdict, release: release.Verdict, rollback: rollback.Verdict}
			if p.Verdict == Refuse {
				got.code = p.Code
			}
			if got != c.want {
				t.Errorf("got %+v, want %+v (promote: %s; rollback: %s)", got, c.want, p.Reason, rollback.Reason)
			}
			// The comment's request, decided for real, agrees.
			full := Decide(viaComment(c.login, c.stage), s)
			if full.Verdict != p.Verdict || full.Code != p.Code || full.Reason != p.Reason {
				t.Errorf("the comment is decided %s (%s: %s), the button %s (%s: %s)", full.Verdict, full.Code, full.Reason, p.Verdict, p.Code, p.Reason)
			}
			if p.Verdict == Propose && (p.After != nil || full.After == nil) {
				t.Errorf("the board rewrote the file (%d bytes) or the comment did not (%d bytes)", len(p.After), len(full.After))
			}
		})
	}
	// The first stage has nothing to promote from: no promotion at all.
	w := newWorld(t).person("ann")
	first, _ := w.snap.Config.Stage("staging")
	if p, _, _, _ := decideBoard(app(t, "web"), first, Actor{Login: "ann"}, w.snap, w.snap.Config); p.Verdict != "" {
		t.Errorf("promotion into the first stage decided %s, want none", p.Verdict)
	}
}
