package main

// End-to-end tests of `stagehand serve`: the real server, run in process
// through run() as the binary would, in the world internal/testkit/e2e
// starts: a real OCI registry, the GitHub stand-in (every request and
// response checked against GitHub's REST description) and signed
// deliveries built from each sender's documented payloads.

import (
	"bytes"
	"context"
	"crypto/sha1" //nolint:gosec // Nexus signs with HMAC-SHA1.
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/db"
	"github.com/stagehand-dev/stagehand/internal/demo"
	"github.com/stagehand-dev/stagehand/internal/githubfake"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/store"
	"github.com/stagehand-dev/stagehand/internal/testkit/e2e"
)

// TestServeEveryVendorEndsAsMergedPR sends each sender's push notification
// to a running stagehand and checks that each ends as a merged staging PR
// pinning the registry's digest, whatever digest the payload claimed; the
// same GitHub delivery sent twice is worked once.
func TestServeEveryVendorEndsAsMergedPR(t *testing.T) {
	t.Parallel()
	e2e.OnEachDatabase(t, everyVendor)
}

func everyVendor(t *testing.T, database string) {
	w := e2e.Start(t, e2e.Options{Run: run, Database: database})
	ds := w.Deliveries(t)
	for _, a := range w.Apps {
		code, answer := w.Send(t, ds[a.Name])
		if code != http.StatusAccepted || answer != "accepted" {
			t.Errorf("%s: %d %q, want 202 accepted", a.Name, code, answer)
		}
	}
	// GitHub redelivers with the same id: acknowledged, not worked again.
	if code, answer := w.Send(t, ds["ghcr"]); code != http.StatusAccepted || !strings.Contains(answer, "duplicate") {
		t.Errorf("ghcr delivered again: %d %q, want 202 saying duplicate", code, answer)
	}

	// GitHub tells stagehand of each merge; stagehand removes the branch and
	// moves the image on: preprod is a pull-request stage, so its PR opens.
	w.Eventually(t, "every app's staging PR merged, its branch gone, and its preprod PR open", func() (bool, string) {
		var waiting []string
		for _, a := range w.Apps {
			pr, ok := w.PR(promote.Branch(a.Name, "staging"))
			_, branchErr := w.GitHub.Head(promote.Branch(a.Name, "staging"))
			pre, preOK := w.PR(promote.Branch(a.Name, "preprod"))
			if !ok || !pr.Merged || branchErr == nil || !preOK || pre.State != "open" {
				waiting = append(waiting, a.Name)
			}
		}
		return len(waiting) == 0, "not yet: " + strings.Join(waiting, ", ")
	})
	for _, a := range w.Apps {
		w.CheckPinned(t, a, "staging")
	}
	if n := len(w.GitHub.PullRequests()); n != 2*len(w.Apps) {
		t.Errorf("%d pull requests, want two per app (%d): staging, merged, and preprod, open", n, 2*len(w.Apps))
	}

	// What Argo CD would deploy from main.
	dir := t.TempDir()
	if err := w.GitHub.Checkout("main", dir); err != nil {
		t.Fatal(err)
	}
	for _, a := range w.Apps {
		got, err := demo.RenderImage(dir, path.Join("apps", a.Name, "overlays", "staging"), a.Name)
		if err != nil {
			t.Fatal(err)
		}
		if want := a.Image + ":" + e2e.Tag + "@" + w.Digests[a.Name]; got != want {
			t.Errorf("%s: staging renders %s, want %s", a.Name, got, want)
		}
	}

	// The registry won over the payloads that claimed another digest, and
	// the log says so.
	for _, name := range []string{"harbor-ce", "generic"} {
		if !w.Logged(map[string]string{"msg": "the payload's digest differs from the registry's; the registry wins",
			"image": w.App(name).Image, "payload_digest": e2e.WrongDigest, "digest": w.Digests[name]}) {
			t.Errorf("%s: no warning that the payload's digest %s lost to the registry's", name, e2e.WrongDigest)
		}
	}

	pushJobs := e2e.Series("stagehand_jobs_total", "kind", "push", "outcome", "ok")
	w.Eventually(t, "one push job per app, and nothing left to do", func() (bool, string) {
		m := w.Metrics(t)
		return m[pushJobs] == float64(len(w.Apps)) && m["stagehand_queue_depth"] == 0, fmt.Sprintf("%s %v, depth %v", pushJobs, m[pushJobs], m["stagehand_queue_depth"])
	})
	m := w.Metrics(t)
	got := e2e.DeliveryCounts(m)
	want := map[string]int{"github duplicate": 1}
	for _, a := range w.Apps {
		want[a.Source+" accepted"]++
	}
	// GitHub's own deliveries (merges, pushes, stagehand's comments) come
	// on top of the test's one GHCR push: accepted or ignored, never refused.
	for k, v := range got {
		if strings.HasPrefix(k, "github ") && k != "github duplicate" {
			if k != "github accepted" && k != "github ignored" {
				t.Errorf("GitHub's own deliveries: %s %d", k, v)
			}
			delete(got, k)
		}
	}
	delete(want, "github accepted")
	if !maps.Equal(got, want) {
		t.Errorf("stagehand_deliveries_total: %v, want %v", got, want)
	}
	if v := m[e2e.Series("stagehand_promotions_total", "repo", "acme/config", "stage", "staging", "result", "merged")]; v != float64(len(w.Apps)) {
		t.Errorf("staging merges counted: %v, want %d", v, len(w.Apps))
	}
	for series, v := range m {
		if strings.HasPrefix(series, "stagehand_jobs_total{") && !strings.Contains(series, `outcome="ok"`) {
			t.Errorf("a job did not go well: %s %v", series, v)
		}
	}
	w.Eventually(t, "the queue drained", func() (bool, string) {
		v := w.Metrics(t)["stagehand_queue_depth"]
		return v == 0, fmt.Sprintf("stagehand_queue_depth %v", v)
	})
}

// TestServeRefusalsWriteNothing sends what stagehand must refuse, each with
// its documented answer, then vendor examples whose digests are
// placeholders; nothing reaches the config repository.
func TestServeRefusalsWriteNothing(t *testing.T) {
	t.Parallel()
	w := e2e.Start(t, e2e.Options{Run: run})
	head, err := w.GitHub.Head("main")
	if err != nil {
		t.Fatal(err)
	}
	ds := w.Deliveries(t)
	without := func(vendor, header string) e2e.Delivery {
		d := ds[vendor].Clone()
		d.Header.Del(header)
		return d
	}
	withHeader := func(d e2e.Delivery, k, v string) e2e.Delivery {
		d = d.Clone()
		d.Header.Set(k, v)
		return d
	}
	// formEncoded is what a hook set to application/x-www-form-urlencoded
	// sends: payload=<the JSON>, signed as such.
	formEncoded := func(d e2e.Delivery) e2e.Delivery {
		body := []byte("payload=" + url.QueryEscape(string(d.Body)))
		f := e2e.GitHub(d.Header.Get("X-GitHub-Event"), e2e.GUID(), body)
		f.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return f
	}
	tampered := ds["ghcr"].Clone()
	tampered.Body = bytes.Replace(tampered.Body, []byte(`"name":"1.0.0"`), []byte(`"name":"9.9.9"`), 1)
	if bytes.Equal(tampered.Body, ds["ghcr"].Body) {
		t.Fatal("the ghcr delivery has no tag to tamper with")
	}
	dockerhubNoToken := ds["dockerhub"].Clone()
	dockerhubNoToken.Path = "/webhooks/registry/dockerhub"
	dockerhubWrongToken := ds["dockerhub"].Clone()
	dockerhubWrongToken.Path = "/webhooks/registry/dockerhub/guessed-token"
	quayNoToken := ds["quay"].Clone()
	quayNoToken.Path = "/webhooks/registry/quay"
	garHeader := "Bearer " + w.GoogleToken(t, "https://elsewhere.example/push", time.Now())
	garExpired := "Bearer " + w.GoogleToken(t, e2e.GARAudience, time.Now().Add(-3*time.Hour))
	huge := e2e.Generic(fmt.Appendf(nil, `{"image":%q,"tag":"1.0.0","digest":"","pad":%q}`, w.App("generic").Image, strings.Repeat("x", 1<<20)))
	unknown := ds["generic"].Clone()
	unknown.Path = "/webhooks/registry/gitea"
	redacted := "sha256:xxxxd5c8786bb9e621a45ece0dbxxxx1cdc624ad20da9fe62e9d25490f33xxxx" // ACR's documentation
	harborRedacted := ds["harbor"].Clone()
	harborRedacted.Body = bytes.Replace(harborRedacted.Body, []byte(w.Digests["harbor"]), []byte(redacted), 1)

	refusals := []struct {
		name     string
		d        e2e.Delivery
		code     int
		counted  string // "source outcome" in stagehand_deliveries_total
		response string // part of the answer
	}{
		{"github: signature of another body", tampered, 401, "github unauthorized", "X-Hub-Signature-256 does not match"},
		{"github: no signature", without("ghcr", "X-Hub-Signature-256"), 401, "github unauthorized", "missing X-Hub-Signature-256"},
		{"github: not JSON", e2e.GitHub("registry_package", e2e.GUID(), []byte("payload=%7B%7D")), 400, "github malformed", "not a JSON object"},
		{"github: form encoded", formEncoded(ds["ghcr"]), 400, "github malformed", `Content-Type "application/x-www-form-urlencoded" is not application/json`},
		{"dockerhub: no token", dockerhubNoToken, 401, "dockerhub unauthorized", "missing token"},
		{"dockerhub: wrong token", dockerhubWrongToken, 401, "dockerhub unauthorized", "does not match"},
		{"quay: no token", quayNoToken, 401, "quay unauthorized", "missing token"},
		{"distribution: no Authorization", without("distribution", "Authorization"), 401, "distribution unauthorized", "missing Authorization"},
		{"harbor: no Authorization", without("harbor", "Authorization"), 401, "harbor unauthorized", "missing Authorization"},
		{"harbor: wrong Authorization", withHeader(ds["harbor"], "Authorization", "Basic Z3Vlc3M6Z3Vlc3M="), 401, "harbor unauthorized", "does not match"},
		{"gar: no token", without("gar", "Authorization"), 401, "gar unauthorized", "missing Authorization"},
		{"gar: wrong audience", withHeader(ds["gar"], "Authorization", garHeader), 401, "gar unauthorized", "aud"},
		{"gar: expired token", withHeader(ds["gar"], "Authorization", garExpired), 401, "gar unauthorized", "exp"},
		{"ecr: no API key", without("ecr", "X-Stagehand-Key"), 401, "ecr unauthorized", "missing X-Stagehand-Key"},
		{"acr: no custom header", without("acr", e2e.ACRHeader), 401, "acr unauthorized", "missing " + e2e.ACRHeader},
		{"artifactory: no token", without("artifactory", "X-JFrog-Event-Auth"), 401, "artifactory unauthorized", "missing X-JFrog-Event-Auth"},
		{"nexus: no signature", without("nexus", "X-Nexus-Webhook-Signature"), 401, "nexus unauthorized", "missing X-Nexus-Webhook-Signature"},
		{"nexus: signature of another body", withHeader(ds["nexus"], "X-Nexus-Webhook-Signature", e2e.HMAC(sha1.New, e2e.NexusSecret, []byte("{}"))), 401, "nexus unauthorized", "HMAC-SHA1"},
		{"generic: no signature", without("generic", "X-Stagehand-Signature-256"), 401, "generic unauthorized", "missing X-Stagehand-Signature-256"},
		{"generic: over the size limit", huge, 413, "generic too_large", "too large"},
		{"generic: not JSON", e2e.Generic([]byte(`{"image": "ci.acme.test/acme/generic-app", "tag": `)), 400, "generic malformed", "not {"},
		{"generic: text/plain, not JSON", withHeader(e2e.Generic([]byte("image=ci.acme.test/acme/generic-app tag=1.0.0")), "Content-Type", "text/plain"), 400, "generic malformed", `Content-Type "text/plain" is not application/json`},
		{"unknown vendor", unknown, 404, "unknown unknown_vendor", "no registry route"},
		// Authentic, but unusable: acknowledged, so that Harbor does not
		// retry it for ever, and ignored, with the reason.
		{"harbor: placeholder digest", harborRedacted, 202, "harbor ignored", "is not sha256:<64 lowercase hex>"},
	}
	want := map[string]int{}
	for _, r := range refusals {
		code, answer := w.Send(t, r.d)
		if code != r.code || !strings.Contains(answer, r.response) {
			t.Errorf("%s: %d %q, want %d with %q", r.name, code, answer, r.code, r.response)
		}
		for _, s := range e2e.Secrets {
			if strings.Contains(answer, s) {
				t.Errorf("%s: the answer repeats the secret %q", r.name, s)
			}
		}
		want[r.counted]++
	}

	unchanged := func(when string) {
		t.Helper()
		now, err := w.GitHub.Head("main")
		if err != nil || now != head {
			t.Fatalf("%s: main moved from %s to %s (%v)", when, head, now, err)
		}
		if prs := w.GitHub.PullRequests(); len(prs) != 0 {
			t.Fatalf("%s: %d pull request(s) opened: %+v", when, len(prs), prs)
		}
	}
	m := w.Metrics(t)
	if got := e2e.DeliveryCounts(m); !maps.Equal(got, want) {
		t.Errorf("stagehand_deliveries_total after the refusals:\n got %v\nwant %v", got, want)
	}
	for series, v := range m {
		if strings.HasPrefix(series, "stagehand_jobs_total{") && !strings.Contains(series, `kind="prune"`) {
			t.Errorf("a job ran after refusals only: %s %v", series, v)
		}
	}
	for range 20 { // settle: anything queued would have moved main by now
		unchanged("after the refusals")
		time.Sleep(25 * time.Millisecond)
	}

	// Vendor documentation examples, unchanged, whose digests are
	// placeholders. These vendors' own examples carry them, so they are
	// not refused (the vendor test pins the registry's digest from ECR's
	// and ACR's placeholders); their images are no app's, so they are
	// acknowledged and ignored at the door, become no work, and nothing
	// changes.
	h := func(k, v string) http.Header {
		h := e2e.JSONHeader()
		h.Set(k, v)
		return h
	}
	examples := []struct {
		name, vendor, image string
		d                   e2e.Delivery
	}{
		{"ECR's 60-hex digest", "ecr", "123456789012.dkr.ecr.us-west-2.amazonaws.com/my-repo",
			e2e.Delivery{Path: "/webhooks/registry/ecr", Header: h("X-Stagehand-Key", e2e.ECRKey), Body: e2e.Edit(t, "registry/aws-ecr/image_action.push.docs.json", nil)}},
		{"ACR's redacted xxxx digest", "acr", "myregistry.azurecr.io/hello-world",
			e2e.Delivery{Path: "/webhooks/registry/acr", Header: h(e2e.ACRHeader, e2e.ACRValue), Body: e2e.Edit(t, "registry/azure-acr/push.docs-current-redacted.json", nil)}},
		{"GAR's truncated digest", "gar", "us-west1-docker.pkg.dev/my-project/my-repo/hello-world",
			e2e.Delivery{Path: "/webhooks/registry/gar", Header: h("Authorization", "Bearer "+w.GoogleToken(t, e2e.GARAudience, time.Now())),
				Body: e2e.Edit(t, "registry/google-artifact-registry/DERIVED.pubsub-push-envelope.ar-insert-with-tag.json", nil)}},
	}
	jobsBefore := w.Metrics(t)[e2e.Series("stagehand_jobs_total", "kind", "push", "outcome", "ok")]
	for _, ex := range examples {
		if code, answer := w.Send(t, ex.d); code != http.StatusAccepted || answer != "ignored: no app in .stagehand.yaml uses "+ex.image {
			t.Errorf("%s: %d %q, want 202 ignored, as no app uses %s", ex.name, code, answer, ex.image)
		}
		want[ex.vendor+" ignored"]++
	}
	m = w.Metrics(t)
	if got := e2e.DeliveryCounts(m); !maps.Equal(got, want) {
		t.Errorf("stagehand_deliveries_total after the examples:\n got %v\nwant %v", got, want)
	}
	if n := m[e2e.Series("stagehand_jobs_total", "kind", "push", "outcome", "ok")]; n != jobsBefore {
		t.Errorf("pushes of no app's image became %v push jobs; want none", n-jobsBefore)
	}
	unchanged("after the examples")
}

// TestServeChecksRetryAutoMergeAndMergesAreRecorded: with a required check
// on main, a push opens a staging PR that waits; the status event after CI
// passes gets it merged. A merged stagehand PR's pull_request event records
// the stage and removes the branch.
func TestServeChecksRetryAutoMergeAndMergesAreRecorded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := e2e.Start(t, e2e.Options{Run: run, RequiredChecks: []string{"ci"}})
	a := w.App("generic")
	staging, preprod := promote.Branch(a.Name, "staging"), promote.Branch(a.Name, "preprod")
	if code, answer := w.Send(t, w.Deliveries(t)[a.Name]); code != http.StatusAccepted || answer != "accepted" {
		t.Fatalf("push: %d %q", code, answer)
	}
	w.Eventually(t, "the push worked", w.JobsDone(t, "push", 1))
	pr, ok := w.PR(staging)
	if !ok || pr.State != "open" || pr.Merged {
		t.Fatalf("want the staging PR open and waiting for ci; got %+v (found %v)", pr, ok)
	}

	// CI passes on the PR's head; GitHub sends the status event, which names
	// the PR's branch.
	w.GitHub.SetStatus(pr.HeadSHA, "ci", "success")
	if code, answer := w.Send(t, w.StatusEvent(t, pr.HeadSHA, staging)); code != http.StatusAccepted || answer != "accepted" {
		t.Fatalf("status: %d %q", code, answer)
	}
	w.Eventually(t, "the staging PR merged once ci passed", func() (bool, string) {
		pr, _ := w.PR(staging)
		return pr.Merged, pr.State
	})
	pr = w.CheckPinned(t, a, "staging")

	// The merge moved the image on to preprod; a release manager's CLI
	// promotion goes through the same queue and finds it proposed. A person
	// merges once CI passes.
	w.Eventually(t, "the preprod PR the merge opened", func() (bool, string) {
		pre, ok := w.PR(preprod)
		return ok && pre.State == "open", pre.State
	})
	var out, errOut e2e.Buffer
	if code := run(ctx, append([]string{"promote", "--app", a.Name, "--to", "preprod", "--database-url", w.Database}, w.GitHubFlags()...), &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), "preprod: unchanged") {
		t.Fatalf("promote: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	pre, ok := w.PR(preprod)
	if !ok {
		t.Fatalf("no preprod PR after promote:\n%s", out.String())
	}
	w.GitHub.SetStatus(pre.HeadSHA, "ci", "success")
	if _, err := w.GitHub.MergeAsUser(pre.Number, "octocat"); err != nil {
		t.Fatal(err)
	}
	pre, _ = w.PR(preprod)
	// GitHub tells stagehand of the merge; stagehand removes the branch.
	w.Eventually(t, "the preprod merge worked", func() (bool, string) {
		_, err := w.GitHub.Head(preprod)
		return err != nil, "branch " + preprod + " still there"
	})
	// GitHub's news of a merge sent again is taken in stride.
	for _, p := range []githubfake.PullRequest{pr, pre} {
		if code, answer := w.Send(t, w.PRClosed(t, p)); code != http.StatusAccepted || answer != "accepted" {
			t.Fatalf("pull_request closed #%d again: %d %q", p.Number, code, answer)
		}
	}

	// The record of what each stage runs outlives the process.
	w.Stop(t)
	d, err := db.Open(ctx, w.Database, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	records := store.New(d)
	for _, p := range []struct {
		stage string
		pr    githubfake.PullRequest
	}{{"staging", pr}, {"preprod", pre}} {
		m, ok, err := records.LastMerge(ctx, a.Name, p.stage)
		switch {
		case err != nil || !ok:
			t.Errorf("%s: no record (%v)", p.stage, err)
		case m.PR != p.pr.Number || m.Tag != e2e.Tag || m.Digest != w.Digests[a.Name] || m.Image != a.Image ||
			m.MergeSHA != p.pr.MergeSHA || m.MergedBy != p.pr.MergedBy:
			t.Errorf("%s: recorded %+v; want PR #%d %s:%s@%s merged as %s by %s", p.stage, m, p.pr.Number, a.Image, e2e.Tag, w.Digests[a.Name], p.pr.MergeSHA, p.pr.MergedBy)
		}
	}
	if pre.MergedBy != "octocat" {
		t.Errorf("preprod PR merged by %q, want octocat", pre.MergedBy)
	}
}

// TestServeRefusesToStart: serve names every problem with its settings at
// once, exits without listening, and repeats no secret.
func TestServeRefusesToStart(t *testing.T) {
	t.Parallel()
	appKey, err := e2e.AppKey()
	if err != nil {
		t.Fatal(err)
	}
	gh := githubfake.NewTest(t, githubfake.Options{SeedFiles: map[string][]byte{"README.md": []byte("config\n")}, AppKey: &appKey.PublicKey})
	dir := t.TempDir()
	goodKey := filepath.Join(dir, "app.pem")
	badKey := filepath.Join(dir, "bad.pem")
	for file, data := range map[string][]byte{
		goodKey: pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(appKey)}),
		badKey:  []byte("-----BEGIN RSA PRIVATE KEY-----\nkey-SECRET-e2e\n-----END RSA PRIVATE KEY-----\n"),
	} {
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	missingDir := filepath.Join(dir, "no", "such", "dir")
	const dbPassword = "db-password-SECRET-e2e"

	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{{
		name: "four problems",
		args: []string{
			"--github-webhook-secret=", "--github-app-id=", "--github-private-key-file", badKey,
			"--config-repo", "acme/config", "--database-url", filepath.Join(missingDir, "stagehand.db"),
		},
		code: exitUsage,
		stderr: []string{
			"the GitHub webhook secret is empty",
			"the GitHub App ID is not set",
			"the App's private key is not an RSA private key in PEM",
			"cannot open the database: sqlite " + filepath.Join(missingDir, "stagehand.db"),
		},
	}, {
		name: "a database that refuses connections",
		args: []string{
			"--github-webhook-secret", e2e.GitHubSecret, "--github-api-url", gh.URL(), "--github-app-id", "1",
			"--github-private-key-file", goodKey, "--config-repo", "acme/config",
			"--database-url", "postgres://stagehand:" + dbPassword + "@127.0.0.1:1/stagehand?sslmode=disable&connect_timeout=10",
		},
		code:   exitFailed,
		stderr: []string{"cannot start: cannot open the database: postgres 127.0.0.1:1/stagehand"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr e2e.Buffer
			args := append([]string{"serve", "--addr", "127.0.0.1:0", "--reconcile-interval", "0", "--generic-secret", e2e.GenericSecret}, tt.args...)
			code := run(context.Background(), args, &stdout, &stderr)
			if code != tt.code || stdout.String() != "" {
				t.Errorf("exit %d, stdout %q; want exit %d and nothing on stdout\nstderr: %s", code, stdout.String(), tt.code, stderr.String())
			}
			for _, want := range tt.stderr {
				if strings.Count(stderr.String(), want) != 1 {
					t.Errorf("stderr does not name %q once:\n%s", want, stderr.String())
				}
			}
			for _, secret := range append(e2e.Secrets, "key-SECRET-e2e", dbPassword) {
				if strings.Contains(stderr.String(), secret) {
					t.Errorf("stderr repeats the secret %q:\n%s", secret, stderr.String())
				}
			}
		})
	}
	if _, err := os.Stat(missingDir); err == nil {
		t.Errorf("a refused start created %s", missingDir)
	}
}

// TestServeTagPushedAgain: a registry retry of a notification that names
// its digest is acknowledged as a duplicate, but Quay's notification for a
// tag pushed again is the same body as the first and must be worked again:
// the new digest is pinned.
func TestServeTagPushedAgain(t *testing.T) {
	t.Parallel()
	w := e2e.Start(t, e2e.Options{Run: run})
	ds := w.Deliveries(t)
	// merged waits for a staging PR of app newer than #after to be merged.
	merged := func(app string, after int) func() (bool, string) {
		return func() (bool, string) {
			pr, _ := w.PR(promote.Branch(app, "staging"))
			return pr.Merged && pr.Number > after, fmt.Sprintf("#%d merged=%v", pr.Number, pr.Merged)
		}
	}
	for _, app := range []string{"quay", "harbor"} {
		if code, answer := w.Send(t, ds[app]); code != http.StatusAccepted || answer != "accepted" {
			t.Fatalf("%s: %d %q", app, code, answer)
		}
		w.Eventually(t, app+"'s first push merged", merged(app, 0))
	}
	firstQuay, _ := w.PR(promote.Branch("quay", "staging"))
	if code, answer := w.Send(t, ds["harbor"]); code != http.StatusAccepted || !strings.Contains(answer, "duplicate") {
		t.Errorf("harbor's notification again: %d %q, want 202 saying duplicate", code, answer)
	}

	quay := w.App("quay")
	first := w.Digests[quay.Name]
	w.Digests[quay.Name] = w.Push(t, quay, e2e.Tag)
	if code, answer := w.Send(t, ds["quay"]); code != http.StatusAccepted || answer != "accepted" {
		t.Fatalf("quay after %s was pushed again: %d %q, want 202 accepted", e2e.Tag, code, answer)
	}
	w.Eventually(t, "the tag pushed again merged", merged(quay.Name, firstQuay.Number))
	w.CheckPinned(t, quay, "staging") // the new digest, not the first
	if first == w.Digests[quay.Name] {
		t.Fatal("the image pushed again has the first one's digest")
	}
	staging := 0
	for _, pr := range w.GitHub.PullRequests() {
		if strings.HasSuffix(pr.Head, "/staging") {
			staging++
		}
	}
	if staging != 3 {
		t.Errorf("%d staging pull requests, want 3: one per push worked", staging)
	}
}

// TestServeStopLetsRunningWorkFinish stops serve as SIGTERM does while a
// job is merging a PR: the job finishes its work (the merge is reported and
// the branch removed) before serve exits cleanly.
func TestServeStopLetsRunningWorkFinish(t *testing.T) {
	t.Parallel()
	merging, release := make(chan struct{}), make(chan struct{})
	var mergingOnce, releaseOnce sync.Once
	w := e2e.Start(t, e2e.Options{Run: run, GitHubVia: func(gh http.Handler) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/merge") {
				mergingOnce.Do(func() { close(merging) })
				<-release
			}
			// GitHub completes a request whose caller has hung up.
			gh.ServeHTTP(rw, r.WithContext(context.WithoutCancel(r.Context())))
		})
	}})
	t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) })

	a := w.App("generic")
	if code, answer := w.Send(t, w.Deliveries(t)[a.Name]); code != http.StatusAccepted {
		t.Fatalf("push: %d %q", code, answer)
	}
	select {
	case <-merging:
	case <-time.After(e2e.Deadline):
		t.Fatalf("stagehand never merged:\n%s", w.Stderr)
	}
	w.Terminate() // SIGTERM, while the merge is in flight
	releaseOnce.Do(func() { close(release) })
	w.Stop(t)

	branch := promote.Branch(a.Name, "staging")
	if !w.Logged(map[string]string{"msg": "merged", "app": a.Name}) {
		t.Errorf("the log does not report the merge the job was making:\n%s", w.Stderr)
	}
	if _, err := w.GitHub.Head(branch); err == nil {
		t.Errorf("branch %s is left behind: the job was cut short", branch)
	}
	w.CheckPinned(t, a, "staging")
}

// TestServeMergeChainsToTheNextStage: GitHub tells stagehand a staging PR
// was merged, and preprod's PR opens with the same digest; once preprod is
// merged, prod is manual, so stagehand says on the PR how to promote it.
func TestServeMergeChainsToTheNextStage(t *testing.T) {
	t.Parallel()
	w := e2e.Start(t, e2e.Options{Run: run})
	a := w.App("generic")
	staging, preprod := promote.Branch(a.Name, "staging"), promote.Branch(a.Name, "preprod")
	if code, answer := w.Send(t, w.Deliveries(t)[a.Name]); code != http.StatusAccepted {
		t.Fatalf("push: %d %q", code, answer)
	}
	w.Eventually(t, "the staging PR merged", func() (bool, string) {
		pr, _ := w.PR(staging)
		return pr.Merged, pr.State
	})
	pr := w.CheckPinned(t, a, "staging")
	if code, answer := w.Send(t, w.PRClosed(t, pr)); code != http.StatusAccepted {
		t.Fatalf("pull_request closed: %d %q", code, answer)
	}
	w.Eventually(t, "preprod's PR opened", func() (bool, string) {
		pre, ok := w.PR(preprod)
		return ok && pre.State == "open", fmt.Sprint(ok)
	})
	pre, _ := w.PR(preprod)
	m, ok, err := promote.ParseMarker(pre.Body)
	if err != nil || !ok || m.Digest != w.Digests[a.Name] || m.From != "staging" {
		t.Fatalf("preprod PR proposes %+v (%v), want %s from staging", m, err, w.Digests[a.Name])
	}
	if _, err := w.GitHub.MergeAsUser(pre.Number, "octocat"); err != nil {
		t.Fatal(err)
	}
	pre, _ = w.PR(preprod)
	if code, answer := w.Send(t, w.PRClosed(t, pre)); code != http.StatusAccepted {
		t.Fatalf("pull_request closed: %d %q", code, answer)
	}
	w.Eventually(t, "word on the merged preprod PR of how to promote to prod", func() (bool, string) {
		note := w.LastComment(pre.Number)
		return strings.Contains(note, "prod is a manual stage"), note
	})
	if _, ok := w.PR(promote.Branch(a.Name, "prod")); ok {
		t.Fatal("a PR was opened for the manual prod stage")
	}
}

// TestServeCommentCommands: on a merged staging PR, a reader's /promote is
// refused and says why; a writer's opens preprod's PR; /hold stops it and
// /release lets promotions move again. Each comment gets a reaction at once.
func TestServeCommentCommands(t *testing.T) {
	t.Parallel()
	w := e2e.Start(t, e2e.Options{Run: run})
	a := w.App("generic")
	w.GitHub.SetPermission("reader", "read")
	w.GitHub.SetPermission("writer", "write")
	staging, preprod := promote.Branch(a.Name, "staging"), promote.Branch(a.Name, "preprod")
	if code, answer := w.Send(t, w.Deliveries(t)[a.Name]); code != http.StatusAccepted {
		t.Fatalf("push: %d %q", code, answer)
	}
	w.Eventually(t, "the staging PR merged", func() (bool, string) {
		pr, _ := w.PR(staging)
		return pr.Merged, pr.State
	})
	pr, _ := w.PR(staging)
	// The merge moved the image on: preprod is a pull-request stage.
	w.Eventually(t, "the preprod PR the merge opened", func() (bool, string) {
		pre, ok := w.PR(preprod)
		return ok && pre.State == "open", pre.State
	})
	chained, _ := w.PR(preprod)
	say := func(login, body, want string) {
		t.Helper()
		code, got := w.Comment(t, pr.Number, login, body)
		if code != http.StatusAccepted || !strings.Contains(got, want) {
			t.Fatalf("%s by %s: %d, reply %q, want %q", body, login, code, got, want)
		}
	}

	say("reader", "/promote", "@reader may not promote into preprod")
	say("writer", "/hold "+a.Name+" preprod waiting for QA", "is held in preprod")
	say("writer", "/promote", "is held in preprod by @writer: waiting for QA")
	say("writer", "/release "+a.Name+" preprod", "is released in preprod")
	say("writer", "/promote", "→ preprod: unchanged")
	pre, ok := w.PR(preprod)
	if !ok || pre.State != "open" || pre.Number != chained.Number {
		t.Fatalf("preprod PR %+v after the writer's /promote; want the one the merge opened, #%d, still open", pre, chained.Number)
	}
	for _, c := range w.GitHub.CommentsOn(pr.Number) {
		if c.User == "writer" || c.User == "reader" {
			if r := w.GitHub.Reactions(c.ID); len(r) == 0 {
				t.Errorf("comment %q got no reaction", c.Body)
			}
		}
	}
}
