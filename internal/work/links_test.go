package work

import (
	"context"
	"strings"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/queue"
)

// approversEngine is fakeEngine with prod restricted to approvers.
type approversEngine struct{ *fakeEngine }

func (approversEngine) Config(ctx context.Context) (*config.Config, error) {
	return config.Parse(config.FileName, []byte(strings.Replace(testConfig, "mode: manual", "mode: manual\n    approvers: [\"@acme/sre\"]", 1)))
}

// The note on a merged PR whose next stage is manual carries a one-click
// link for exactly that image into that stage, unless links are off or the
// stage names approvers.
func TestManualStageNoteLinksThePromotion(t *testing.T) {
	tests := []struct {
		name      string
		links     bool
		approvers bool
		signIn    bool
		want      string // "" means no link in the note
	}{
		{"links on", true, false, false, "Or with one click: https://sh.example/promote/web/preprod/prod/" + digest + "\n"},
		{"links off", false, false, false, ""},
		{"prod names approvers", true, true, false, ""},
		{"prod names approvers, links sign in", true, true, true, "Or with one click: https://sh.example/promote/web/preprod/prod/" + digest + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fe := &fakeEngine{chain: promote.Outcome{App: "web", Stage: "prod", Result: promote.Manual, Reason: "prod is a manual stage: promote with X"}}
			var e Engine = fe
			if tt.approvers {
				e = approversEngine{fe}
			}
			gh, store := &fakeGitHub{}, &fakeRecorder{holds: map[string]queue.Hold{}}
			opts := Options{Engine: e, GitHub: gh, Tags: fakeTags{}, Store: store, LinksSignIn: tt.signIn}
			if tt.links {
				opts.Links = func(app, from, to, digest string) string {
					return "https://sh.example/promote/" + app + "/" + from + "/" + to + "/" + digest
				}
			}
			h, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			body := promote.Marker{App: "web", Stage: "preprod", Image: "ghcr.io/acme/web", Tag: "1.1.0", Digest: digest}.String()
			if err := h.PRClosed(context.Background(), queue.PRClosed{Number: 9, Merged: true, Body: body, HeadRef: "stagehand/web/preprod"}); err != nil {
				t.Fatal(err)
			}
			if len(gh.comments) != 1 || !strings.Contains(gh.comments[0], "prod is a manual stage") {
				t.Fatalf("comments %q", gh.comments)
			}
			got := gh.comments[0]
			switch {
			case tt.want == "" && strings.Contains(got, "one click"):
				t.Errorf("note has a link:\n%s", got)
			case tt.want != "" && (!strings.Contains(got, tt.want) || !strings.Contains(got, "works once")):
				t.Errorf("note lacks %q and how long it works:\n%s", tt.want, got)
			}
		})
	}
}
