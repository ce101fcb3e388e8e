package githubapp

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"testing"

	"github.com/stagehand-dev/stagehand/internal/githubfake"
)

// TestInstallationRepositories: without a repository the client finds the
// App's one installation, lists its repositories, and ForRepo reads each
// with the same token.
func TestInstallationRepositories(t *testing.T) {
	ctx := context.Background()
	key, err := testKey()
	if err != nil {
		t.Fatal(err)
	}
	s := githubfake.NewTest(t, githubfake.Options{Seed: seedDir, AppKey: &key.PublicKey, AppID: testAppID})
	if _, err := s.AddRepo(githubfake.RepoOptions{Name: "team-b", Installed: true, SeedFiles: map[string][]byte{"x.txt": []byte("b\n")}}); err != nil {
		t.Fatal(err)
	}
	c, err := New(ctx, Options{APIURL: s.URL(), AppID: testAppID,
		PrivateKey: pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})})
	if err != nil {
		t.Fatal(err)
	}
	if c.InstallationID() != s.InstallationID() {
		t.Fatalf("installation %d, want %d", c.InstallationID(), s.InstallationID())
	}
	repos, err := c.InstallationRepos(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range repos {
		names = append(names, r.FullName+"@"+r.DefaultBranch)
	}
	if want := []string{"acme/config@main", "acme/team-b@main"}; !slices.Equal(names, want) {
		t.Fatalf("repositories = %v, want %v", names, want)
	}
	b, err := c.ForRepo("acme/team-b")
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.ReadFile(ctx, "x.txt", "main")
	if err != nil || string(got) != "b\n" {
		t.Fatalf("team-b x.txt = %q, %v", got, err)
	}
	if _, err := c.ForRepo("acme/config"); err != nil {
		t.Fatal(err)
	}
	if b.Calls() != c.Calls() {
		t.Errorf("the repositories' clients count apart: %d, %d", b.Calls(), c.Calls())
	}
}
