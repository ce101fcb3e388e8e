package promote_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/manifest"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/store"
)

// Apps of a group that pin their images in one file: an umbrella chart's
// values file, with each app's tag at its own path, or one kustomization
// with an images: entry per app. Each app's pin is read from the shared
// file, and the group's commit carries every app's change to it.
func TestGroupSharesAFile(t *testing.T) {
	stages := []string{"staging", "preprod", "prod"}
	for _, c := range []struct {
		name string
		// target is web's or api's pin in stage; file is the shared file
		// of stage as the config repository starts with it.
		target func(app, stage string) manifest.Target
		file   func(stage string) string
	}{{
		name: "umbrella chart values",
		target: func(app, stage string) manifest.Target {
			t := manifest.Target{File: "charts/shop/values-" + stage + ".yaml", Tag: app + ".image.tag"}
			if app == "web" {
				t.Digest = "web.image.digest" // api's tag is written "1.0.0@sha256:…"
			}
			return t
		},
		file: func(stage string) string {
			return fmt.Sprintf(`# shop's values in %s
web:
  image:
    repository: ghcr.io/acme/web
    tag: "0.9.0"   # pinned by stagehand
    digest: ""
api:
  image:
    repository: ghcr.io/acme/api
    tag: "0.9.0"
`, stage)
		},
	}, {
		name: "one kustomization",
		target: func(_, stage string) manifest.Target {
			return manifest.Kustomization("apps/shop/overlays/" + stage + "/kustomization.yaml")
		},
		file: func(stage string) string {
			return fmt.Sprintf(`# shop in %s
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
images:
  - name: ghcr.io/acme/web
    newTag: "0.9.0"
  - name: ghcr.io/acme/api
    newTag: "0.9.0"
`, stage)
		},
	}} {
		t.Run(c.name, func(t *testing.T) {
			gw := newGroupWorld(t)
			ctx := context.Background()
			cfg, err := gw.GitHub.FileAt("main", ".stagehand.yaml")
			if err != nil {
				t.Fatal(err)
			}
			shared := string(cfg)
			files := map[string][]byte{}
			for _, app := range []string{"web", "api"} {
				for _, stage := range stages {
					tg := c.target(app, stage)
					line := fmt.Sprintf("      %s: apps/%s/overlays/%s\n", stage, app, stage)
					with := fmt.Sprintf("      %s: {file: %s, tag: %s, digest: %s}\n", stage, tg.File, tg.Tag, tg.Digest)
					if tg.IsKustomization() {
						with = fmt.Sprintf("      %s: %s\n", stage, tg.File)
					} else if tg.Digest == "" {
						with = fmt.Sprintf("      %s: {file: %s, tag: %s}\n", stage, tg.File, tg.Tag)
					}
					if !strings.Contains(shared, line) {
						t.Fatalf("the group's config has no line %q", line)
					}
					shared = strings.Replace(shared, line, with, 1)
					files[tg.File] = []byte(c.file(stage))
				}
			}
			files[".stagehand.yaml"] = []byte(shared)
			if _, err := gw.GitHub.Commit("main", "web and api share a file", files); err != nil {
				t.Fatal(err)
			}
			// pins is what the shared file of stage pins for web and api at
			// ref, and worker's own overlay.
			pins := func(ref, stage string) map[string]string {
				t.Helper()
				out := gw.pins(t, ref, stage, "worker")
				for _, app := range []string{"web", "api"} {
					tg := c.target(app, stage)
					data, err := gw.GitHub.FileAt(ref, tg.File)
					if err != nil {
						t.Fatal(err)
					}
					p, err := tg.Current(data, "ghcr.io/acme/"+app)
					if err != nil {
						t.Fatal(err)
					}
					out[app] = p.Tag + "@" + p.Digest
				}
				return out
			}

			want := map[string]string{}
			for _, app := range []string{"web", "api", "worker"} {
				d, o := gw.pushApp(t, app, "1.0.0")
				expect(t, o, promote.Gathered)
				want[app] = "1.0.0@" + d
			}
			gw.advance(3 * time.Second)
			gw.runDue(t)
			staging, preprod := gw.prsOf(promote.Branch("shop", "staging")), gw.prsOf(promote.Branch("shop", "preprod"))
			if len(staging) != 1 || len(preprod) != 1 {
				t.Fatalf("PRs: staging %v, preprod %v; want one each", staging, preprod)
			}
			pr := gw.pr(t, staging[0])
			if !pr.Merged {
				t.Fatalf("staging PR #%d is not merged", pr.Number)
			}
			if got := pins("main", "staging"); !maps.Equal(got, want) {
				t.Errorf("staging pins %v after the group's merge, want %v", got, want)
			}
			gw.checkGroupPR(t, pr, "staging", want)
			// The file keeps what people wrote: only the pins differ.
			file := c.target("web", "staging").File
			after, err := gw.GitHub.FileAt("main", file)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(after), "# shop's values in staging\n") && !strings.HasPrefix(string(after), "# shop in staging\n") {
				t.Errorf("%s lost its comment:\n%s", file, after)
			}
			if c.target("web", "staging").Digest != "" && !strings.Contains(string(after), `tag: "1.0.0"   # pinned by stagehand`) {
				t.Errorf("%s lost the comment on web's tag:\n%s", file, after)
			}

			// The chain reads each app's pin in staging's shared file.
			pre := gw.pr(t, preprod[0])
			if got := pins(pre.HeadSHA, "preprod"); !maps.Equal(got, want) {
				t.Errorf("the preprod PR pins %v, want %v", got, want)
			}
			gw.checkGroupPR(t, pre, "preprod", want)

			// merged into preprod, and promoted to prod by hand.
			if _, err := gw.GitHub.MergeAsUser(pre.Number, "octocat"); err != nil {
				t.Fatal(err)
			}
			pre = gw.pr(t, pre.Number)
			m, _, _ := promote.ParseMarker(pre.Body)
			var ms []store.Merge
			for _, a := range m.Apps {
				ms = append(ms, store.Merge{App: a.App, Stage: m.Stage, Image: a.Image, Tag: a.Tag, Digest: a.Digest, PR: pre.Number, MergeSHA: pre.MergeSHA, MergedBy: "octocat", At: gw.clock()})
			}
			if err := gw.Engine.MergedGroup(ctx, "shop", ms); err != nil {
				t.Fatal(err)
			}
			gw.runDue(t)
			o, err := gw.Engine.Run(ctx, promote.Request{Kind: promote.Promote, Source: promote.FromCLI, App: "shop", Stage: "prod"})
			if err != nil {
				t.Fatal(err)
			}
			expect(t, o, promote.Opened)
			prod := gw.pr(t, o.PR)
			if got := pins(prod.HeadSHA, "prod"); !maps.Equal(got, want) {
				t.Errorf("the prod PR pins %v, want %v", got, want)
			}

			// A later push of api alone moves api, and web's pin in the
			// shared file stays.
			d, _ := gw.pushApp(t, "api", "1.0.1")
			gw.advance(3 * time.Second)
			gw.runDue(t)
			want["api"] = "1.0.1@" + d
			if got := pins("main", "staging"); !maps.Equal(got, want) {
				t.Errorf("staging pins %v after api's push, want %v", got, want)
			}
		})
	}
}
