package main

// End-to-end test of what a promotion PR says ships, against a running
// `stagehand serve`: images built in the test carry the OCI source and
// revision annotations (or labels), and the GitHub stand-in answers the
// comparison of the two revisions through the App.

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	ggcrname "github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/registry"
	"github.com/stagehand-dev/stagehand/internal/testkit/e2e"
)

// shipsPush pushes a new image as a's tag, built from source at revision
// (as manifest annotations, or config labels when labels is set; nothing
// when source is ""), tells stagehand of it, and returns its digest.
func shipsPush(t *testing.T, w *e2e.World, a e2e.App, tag, source, revision string, labels bool) string {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	if source != "" {
		kv := map[string]string{registry.AnnotationSource: source, registry.AnnotationRevision: revision}
		if labels {
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			cf = cf.DeepCopy()
			cf.Config.Labels = kv
			if img, err = mutate.ConfigFile(img, cf); err != nil {
				t.Fatal(err)
			}
		} else {
			img = mutate.Annotations(img, kv).(v1.Image)
		}
	}
	ref, err := ggcrname.ParseReference(w.Registry+"/"+a.RepoPath()+":"+tag, ggcrname.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if code, answer := w.Send(t, e2e.Generic(fmt.Appendf(nil, `{"image":%q,"tag":%q,"digest":%q}`, a.Image, tag, d))); code != http.StatusAccepted {
		t.Fatalf("push %s: %d %q", tag, code, answer)
	}
	return d.String()
}

// TestServeWhatShips: the source repository is one the App is installed
// on (the stand-in's acme/config, as for a monorepo), with three commits.
// 1.1.0 is built from the first, 1.2.0 from the third: preprod's PR for
// 1.2.0 names the source and revision, links the comparison and lists the
// two commits between them. An image built from a repository the App
// cannot read gets the link alone, and one without annotations says
// nothing of its source.
func TestServeWhatShips(t *testing.T) {
	t.Parallel()
	w := e2e.Start(t, e2e.Options{Run: run})
	a := w.App("generic")
	var revs []string
	for i, msg := range []string{"feat: checkout takes coupons", "fix: rounding of #12 for @alice", "docs: say how"} {
		sha, err := w.GitHub.Commit("main", msg+"\n\nMore words.", map[string][]byte{"src/web.txt": fmt.Appendf(nil, "v%d\n", i)})
		if err != nil {
			t.Fatal(err)
		}
		revs = append(revs, sha)
	}
	const source = "https://github.com/acme/config"
	staging, preprod := promote.Branch(a.Name, "staging"), promote.Branch(a.Name, "preprod")
	mergedInto := func(branch string, n int) func() (bool, string) {
		return func() (bool, string) {
			var merged int
			for _, pr := range w.GitHub.PullRequests() {
				if pr.Head == branch && pr.Merged {
					merged++
				}
			}
			return merged == n, fmt.Sprintf("%d merged", merged)
		}
	}

	// 1.1.0 (labels) goes to staging and on to preprod, where a person
	// merges it.
	shipsPush(t, w, a, "1.1.0", source+".git", revs[0], true)
	w.Eventually(t, "1.1.0 merged into staging", mergedInto(staging, 1))
	w.Eventually(t, "preprod's PR for 1.1.0", func() (bool, string) {
		pr, ok := w.PR(preprod)
		return ok && pr.State == "open", pr.State
	})
	pr, _ := w.PR(preprod)
	if want := "- **Built from:** " + source + ".git at `" + revs[0] + "`\n"; !strings.Contains(pr.Body, want) || strings.Contains(pr.Body, "What ships") {
		t.Fatalf("preprod's first PR, from an image that nothing ran before, says:\n%s\nwant %q and no comparison", pr.Body, want)
	}
	if _, err := w.GitHub.MergeAsUser(pr.Number, "octocat"); err != nil {
		t.Fatal(err)
	}

	// 1.2.0 (annotations): preprod's PR compares the two revisions.
	d120 := shipsPush(t, w, a, "1.2.0", source, revs[2], false)
	w.Eventually(t, "preprod's PR for 1.2.0", func() (bool, string) {
		pr, ok := w.PR(preprod)
		return ok && pr.State == "open" && strings.Contains(pr.Body, d120), pr.State
	})
	pr, _ = w.PR(preprod)
	short := func(s string) string { return s[:7] }
	want := "- **Built from:** " + source + " at `" + revs[2] + "` (now `" + revs[0] + "` from " + source + ".git)\n\n" +
		"**What ships:** 2 commits of acme/config, [" + short(revs[0]) + "..." + short(revs[2]) + "](https://github.com/acme/config/compare/" + revs[0] + "..." + revs[2] + "):\n\n" +
		"- [`" + short(revs[1]) + "`](https://github.com/acme/config/commit/" + revs[1] + ") fix: rounding of #\u200b12 for @\u200balice\n" +
		"- [`" + short(revs[2]) + "`](https://github.com/acme/config/commit/" + revs[2] + ") docs: say how\n"
	if !strings.Contains(pr.Body, want) {
		t.Fatalf("preprod's PR for 1.2.0 says:\n%s\nwant it to hold:\n%s", pr.Body, want)
	}

	// Built from a repository the App is not installed on: the link alone.
	other := w.App("distribution")
	shipsPush(t, w, other, "1.1.0", "https://github.com/acme/elsewhere", "v1.1.0", false)
	w.Eventually(t, "other's 1.1.0 merged into staging", mergedInto(promote.Branch(other.Name, "staging"), 1))
	w.Eventually(t, "other's preprod PR", func() (bool, string) {
		pr, ok := w.PR(promote.Branch(other.Name, "preprod"))
		return ok && pr.State == "open", pr.State
	})
	opr, _ := w.PR(promote.Branch(other.Name, "preprod"))
	if _, err := w.GitHub.MergeAsUser(opr.Number, "octocat"); err != nil {
		t.Fatal(err)
	}
	shipsPush(t, w, other, "1.2.0", "https://github.com/acme/elsewhere", "v1.2.0", false)
	w.Eventually(t, "other's preprod PR for 1.2.0", func() (bool, string) {
		pr, ok := w.PR(promote.Branch(other.Name, "preprod"))
		return ok && pr.State == "open" && strings.Contains(pr.Body, "1.2.0"), pr.State
	})
	opr, _ = w.PR(promote.Branch(other.Name, "preprod"))
	if want := "**What ships:** the changes in acme/elsewhere [v1.1.0...v1.2.0](https://github.com/acme/elsewhere/compare/v1.1.0...v1.2.0).\n"; !strings.Contains(opr.Body, want) {
		t.Fatalf("other's preprod PR says:\n%s\nwant %q", opr.Body, want)
	}

	// Without annotations, nothing about source.
	third := w.App("quay")
	shipsPush(t, w, third, "1.1.0", "", "", false)
	w.Eventually(t, "third's 1.1.0 merged into staging", mergedInto(promote.Branch(third.Name, "staging"), 1))
	for _, pr := range w.GitHub.PullRequests() {
		if pr.Head == promote.Branch(third.Name, "staging") && (strings.Contains(pr.Body, "Built from") || strings.Contains(pr.Body, "What ships")) {
			t.Fatalf("an image without annotations got:\n%s", pr.Body)
		}
	}
	if v := w.GitHub.Violations(); len(v) > 0 {
		t.Fatalf("requests GitHub's description does not allow: %v", v)
	}
}
