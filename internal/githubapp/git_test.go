package githubapp

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
)

const branchJSON = `{"name":"main","commit":{"sha":"c0ffee","commit":{"tree":{"sha":"7ree"}}}}`

func TestBranchReadsHeadAndTreeInOneCall(t *testing.T) {
	s := newStub(t)
	s.handle("GET /repos/acme/config/branches/main", reply(http.StatusOK, branchJSON))
	c := s.client(t)

	b, err := c.Branch(context.Background(), "main")
	if err != nil {
		t.Fatal(err)
	}
	if want := (Branch{Name: "main", SHA: "c0ffee", TreeSHA: "7ree"}); b != want {
		t.Errorf("Branch = %+v, want %+v", b, want)
	}
	if got := s.recorded(); !slices.Equal(got, []string{"GET /api/v3/repos/acme/config/branches/main"}) {
		t.Errorf("calls = %q, want the one branch read", got)
	}
	if c.Calls() != 1 {
		t.Errorf("Calls = %d, want 1", c.Calls())
	}
}

func TestReadFile(t *testing.T) {
	content := "apps:\n  - web\n"
	s := newStub(t)
	s.handle("GET /repos/acme/config/contents/.stagehand.yaml", func(w http.ResponseWriter, r *http.Request) {
		if ref := r.URL.Query().Get("ref"); ref != "c0ffee" {
			t.Errorf("ref = %q, want c0ffee", ref)
		}
		reply(http.StatusOK, `{"type":"file","encoding":"base64","sha":"b1","content":"`+
			base64.StdEncoding.EncodeToString([]byte(content))+`"}`)(w, r)
	})
	s.handle("GET /repos/acme/config/contents/apps", reply(http.StatusOK, `[{"type":"dir","name":"web","path":"apps/web"}]`))
	s.handle("GET /repos/acme/config/contents/missing.yaml", reply(http.StatusNotFound, `{"message":"Not Found"}`))
	s.handle("GET /repos/acme/config/contents/big.yaml", reply(http.StatusOK, `{"type":"file","encoding":"none","sha":"b1g","content":"","size":2000000}`))
	s.handle("GET /repos/acme/config/git/blobs/b1g", func(w http.ResponseWriter, r *http.Request) {
		if a := r.Header.Get("Accept"); a != "application/vnd.github.v3.raw" {
			t.Errorf("blob Accept = %q, want raw", a)
		}
		w.Write([]byte("big content"))
	})
	c := s.client(t)

	tests := []struct {
		path    string
		want    string
		wantErr error
		calls   int64
	}{
		{".stagehand.yaml", content, nil, 1},
		{"/.stagehand.yaml", content, nil, 1},
		{"apps", "", ErrNotFound, 1},
		{"missing.yaml", "", ErrNotFound, 1},
		{"big.yaml", "big content", nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			before := c.Calls()
			got, err := c.ReadFile(context.Background(), tt.path, "c0ffee")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ReadFile error = %v, want %v", err, tt.wantErr)
			}
			if string(got) != tt.want {
				t.Errorf("ReadFile = %q, want %q", got, tt.want)
			}
			if n := c.Calls() - before; n != tt.calls {
				t.Errorf("%d calls, want %d", n, tt.calls)
			}
		})
	}
}

func TestCreateCommitSendsInlineTreeThenCommit(t *testing.T) {
	s := newStub(t)
	s.handle("POST /repos/acme/config/git/trees", reply(http.StatusCreated, `{"sha":"newtree"}`))
	s.handle("POST /repos/acme/config/git/commits", reply(http.StatusCreated, `{"sha":"newcommit"}`))
	c := s.client(t)

	sha, treeSHA, err := c.CreateCommit(context.Background(), Branch{Name: "main", SHA: "c0ffee", TreeSHA: "7ree"}, "Pin web",
		map[string][]byte{
			"apps/web/overlays/staging/kustomization.yaml": []byte("images: []\n"),
			"empty.txt": {},
		})
	if err != nil {
		t.Fatal(err)
	}
	if sha != "newcommit" || treeSHA != "newtree" {
		t.Errorf("sha, tree = %q, %q; want newcommit, newtree", sha, treeSHA)
	}
	if c.Calls() != 2 {
		t.Errorf("Calls = %d, want 2 (tree, commit)", c.Calls())
	}

	tree := s.body(t, "POST /repos/acme/config/git/trees")
	if tree["base_tree"] != "7ree" {
		t.Errorf("base_tree = %v, want 7ree", tree["base_tree"])
	}
	want := []any{
		map[string]any{"path": "apps/web/overlays/staging/kustomization.yaml", "mode": "100644", "type": "blob", "content": "images: []\n"},
		map[string]any{"path": "empty.txt", "mode": "100644", "type": "blob", "content": ""},
	}
	if got := tree["tree"]; !jsonEqual(got, want) {
		t.Errorf("tree = %v, want %v", got, want)
	}
	commit := s.body(t, "POST /repos/acme/config/git/commits")
	if commit["tree"] != "newtree" || commit["message"] != "Pin web" || !jsonEqual(commit["parents"], []any{"c0ffee"}) {
		t.Errorf("commit body = %v", commit)
	}
}

func TestCreateCommitSendsNonUTF8AsBlob(t *testing.T) {
	s := newStub(t)
	s.handle("POST /repos/acme/config/git/blobs", reply(http.StatusCreated, `{"sha":"blobsha"}`))
	s.handle("POST /repos/acme/config/git/trees", reply(http.StatusCreated, `{"sha":"newtree"}`))
	s.handle("POST /repos/acme/config/git/commits", reply(http.StatusCreated, `{"sha":"newcommit"}`))
	c := s.client(t)

	raw := []byte{0xff, 0xfe, 0x00, 0x01}
	if _, _, err := c.CreateCommit(context.Background(), Branch{SHA: "c0ffee", TreeSHA: "7ree"}, "bin",
		map[string][]byte{"a.bin": raw, "b.txt": []byte("text")}); err != nil {
		t.Fatal(err)
	}
	if c.Calls() != 3 {
		t.Errorf("Calls = %d, want 3 (blob, tree, commit)", c.Calls())
	}
	blob := s.body(t, "POST /repos/acme/config/git/blobs")
	if blob["encoding"] != "base64" || blob["content"] != base64.StdEncoding.EncodeToString(raw) {
		t.Errorf("blob body = %v", blob)
	}
	want := []any{
		map[string]any{"path": "a.bin", "mode": "100644", "type": "blob", "sha": "blobsha"},
		map[string]any{"path": "b.txt", "mode": "100644", "type": "blob", "content": "text"},
	}
	if got := s.body(t, "POST /repos/acme/config/git/trees")["tree"]; !jsonEqual(got, want) {
		t.Errorf("tree = %v, want %v", got, want)
	}
}

func TestCreateCommitRejectsBadInputWithoutCalls(t *testing.T) {
	base := Branch{SHA: "c0ffee", TreeSHA: "7ree"}
	files := map[string][]byte{"a.yaml": nil}
	tests := []struct {
		name  string
		base  Branch
		msg   string
		files map[string][]byte
	}{
		{"no base tree", Branch{SHA: "c0ffee"}, "m", files},
		{"no message", base, " ", files},
		{"no files", base, "m", nil},
		{"absolute path", base, "m", map[string][]byte{"/a.yaml": nil}},
		{"dot-dot path", base, "m", map[string][]byte{"apps/../a.yaml": nil}},
		{"empty segment", base, "m", map[string][]byte{"apps//a.yaml": nil}},
		{"trailing slash", base, "m", map[string][]byte{"apps/": nil}},
		{"into .git", base, "m", map[string][]byte{".git/config": nil}},
	}
	c := newStub(t).client(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := c.CreateCommit(context.Background(), tt.base, tt.msg, tt.files); err == nil {
				t.Error("CreateCommit succeeded, want an error")
			}
		})
	}
	if c.Calls() != 0 {
		t.Errorf("Calls = %d, want 0", c.Calls())
	}
}

func TestBranchRefRequests(t *testing.T) {
	s := newStub(t)
	s.handle("POST /repos/acme/config/git/refs", reply(http.StatusCreated, `{"ref":"refs/heads/stagehand/web/staging","object":{"sha":"c0ffee"}}`))
	s.handle("PATCH /repos/acme/config/git/refs/heads/stagehand/web/staging", reply(http.StatusOK, `{"ref":"refs/heads/stagehand/web/staging","object":{"sha":"beef"}}`))
	s.handle("DELETE /repos/acme/config/git/refs/heads/stagehand/web/staging", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	c := s.client(t)
	ctx := context.Background()

	created, err := c.CreateBranch(ctx, "stagehand/web/staging", "c0ffee")
	if err != nil || !created {
		t.Fatalf("CreateBranch = %v, %v; want true, nil", created, err)
	}
	if body := s.body(t, "POST /repos/acme/config/git/refs"); body["ref"] != "refs/heads/stagehand/web/staging" || body["sha"] != "c0ffee" {
		t.Errorf("create ref body = %v", body)
	}
	if err := c.MoveBranch(ctx, "stagehand/web/staging", "beef"); err != nil {
		t.Fatal(err)
	}
	if body := s.body(t, "PATCH /repos/acme/config/git/refs/heads/stagehand/web/staging"); body["sha"] != "beef" || body["force"] != true {
		t.Errorf("update ref body = %v, want sha beef and force", body)
	}
	if err := c.DeleteBranch(ctx, "stagehand/web/staging"); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.recorded(), "\n"); strings.Count(got, "\n") != 2 {
		t.Errorf("calls:\n%s\nwant 3", got)
	}
}
