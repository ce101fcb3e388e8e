package webhook

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestParseGitHubPush: a push to a branch says where the branch points now
// and which files its commits touched, and whether that list is whole.
func TestParseGitHubPush(t *testing.T) {
	const after = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
	commit := func(added, modified, removed string) string {
		list := func(s string) string {
			if s == "" {
				return "[]"
			}
			return `["` + strings.ReplaceAll(s, ",", `","`) + `"]`
		}
		return fmt.Sprintf(`{"id":%q,"added":%s,"modified":%s,"removed":%s}`, after, list(added), list(modified), list(removed))
	}
	push := func(ref string, forced bool, commits ...string) string {
		return fmt.Sprintf(`{"ref":%q,"before":"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c","after":%q,"forced":%v,"deleted":false,"commits":[%s],
			"repository":{"full_name":"acme/config"},"installation":{"id":42}}`, ref, after, forced, strings.Join(commits, ","))
	}
	many := make([]string, pushListedCommits)
	for i := range many {
		many[i] = commit("", "README.md", "")
	}
	tests := []struct {
		name, body string
		want       *BranchPush
		touches    bool // .stagehand.yaml
		ignored    string
	}{
		{"config changed", push("refs/heads/main", false, commit("", "README.md", ""), commit("apps/web/staging/kustomization.yaml", ".stagehand.yaml", "")),
			&BranchPush{Branch: "main", SHA: after, Files: []string{"README.md", "apps/web/staging/kustomization.yaml", ".stagehand.yaml"}, Complete: true}, true, ""},
		{"config removed", push("refs/heads/main", false, commit("", "", ".stagehand.yaml")),
			&BranchPush{Branch: "main", SHA: after, Files: []string{".stagehand.yaml"}, Complete: true}, true, ""},
		{"other files", push("refs/heads/main", false, commit("docs/a.md", "README.md", "")),
			&BranchPush{Branch: "main", SHA: after, Files: []string{"docs/a.md", "README.md"}, Complete: true}, false, ""},
		{"forced: files may have changed that no commit lists", push("refs/heads/main", true),
			&BranchPush{Branch: "main", SHA: after}, true, ""},
		{"no commits listed", push("refs/heads/main", false),
			&BranchPush{Branch: "main", SHA: after}, true, ""},
		{"a list that may be cut short", push("refs/heads/main", false, many...),
			&BranchPush{Branch: "main", SHA: after, Files: []string{"README.md"}}, true, ""},
		{"a tag", push("refs/tags/v1", false, commit("", ".stagehand.yaml", "")), nil, false, `push of "refs/tags/v1", not of a branch`},
		{"a branch deleted", `{"ref":"refs/heads/stagehand/web/staging","before":"` + after + `","after":"0000000000000000000000000000000000000000","deleted":true,"commits":[]}`,
			nil, false, `branch "stagehand/web/staging" deleted`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseGitHub("push", []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.BranchPush, tt.want) || got.Ignored != tt.ignored {
				t.Fatalf("got %+v, ignored %q; want %+v, ignored %q", got.BranchPush, got.Ignored, tt.want, tt.ignored)
			}
			if got.BranchPush != nil && got.BranchPush.Touches(".stagehand.yaml") != tt.touches {
				t.Errorf("Touches(.stagehand.yaml) = %v, want %v", !tt.touches, tt.touches)
			}
		})
	}
	if _, err := ParseGitHub("push", []byte(`{"ref":["main"]}`)); err == nil {
		t.Error("a push whose ref is not a string parsed")
	}
}
