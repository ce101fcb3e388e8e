package demo

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"sort"

	"github.com/stagehand-dev/stagehand/internal/promote"
)

func (wd *World) story(ctx context.Context, w io.Writer, seed string) (Result, error) {
	fmt.Fprintln(w, "stagehand demo: an OCI registry, a GitHub stand-in on a real git repository and the")
	fmt.Fprintln(w, "promotion engine, all in this process. Nothing here touches the network.")
	fmt.Fprintf(w, "\n  registry  %s  (a mirror of ghcr.io, where %s lives)\n", wd.Registry.URL, Image)
	fmt.Fprintf(w, "  github    %s  (%s/%s, seeded from %s)\n", wd.GitHub.URL(), wd.GitHub.Owner(), wd.GitHub.Repo(), seed)

	var last string
	for i, step := range []struct {
		tag   string
		index bool
	}{{"1.0.0", false}, {"1.1.0", true}} {
		d, err := wd.Push(ctx, step.tag, step.index)
		if err != nil {
			return Result{}, fmt.Errorf("push %s:%s: %w", Image, step.tag, err)
		}
		kind := "image"
		if step.index {
			kind = "multi-arch index"
		}
		fmt.Fprintf(w, "\n%d. CI pushes %s:%s (%s %s) and the registry notifies stagehand.\n", i+1, Image, step.tag, kind, d)
		outs, err := wd.Engine.Pushes(ctx, Image, []promote.Pushed{{Image: Image, Tag: step.tag}}, promote.FromRegistry)
		for _, o := range outs {
			promote.Describe(indent(w), o)
		}
		if err != nil {
			return Result{}, err
		}
		last = d.String()
	}

	fmt.Fprintf(w, "\n3. CI pushes %s:1.1.0 again: staging already runs it, so nothing changes.\n", Image)
	outs, err := wd.Engine.Pushes(ctx, Image, []promote.Pushed{{Image: Image, Tag: "1.1.0"}}, promote.FromRegistry)
	for _, o := range outs {
		promote.Describe(indent(w), o)
	}
	if err != nil {
		return Result{}, err
	}

	for i, stage := range []string{"preprod", "prod"} {
		fmt.Fprintf(w, "\n%d. A release manager runs: stagehand promote --app web --to %s\n", i+4, stage)
		o, err := wd.Engine.Run(ctx, promote.Request{Kind: promote.Promote, Source: promote.FromCLI, App: "web", Stage: stage})
		promote.Describe(indent(w), o)
		if err != nil {
			return Result{}, err
		}
		if o.PR == 0 {
			return Result{}, fmt.Errorf("promotion to %s opened no PR: %s", stage, o.Reason)
		}
		sha, err := wd.GitHub.MergeAsUser(o.PR, "octocat")
		if err != nil {
			return Result{}, fmt.Errorf("merge PR #%d: %w", o.PR, err)
		}
		fmt.Fprintf(indent(w), "octocat reviews PR #%d and merges it (%s).\n", o.PR, sha[:12])
	}

	rendered, err := wd.Render("main")
	if err != nil {
		return Result{}, err
	}
	fmt.Fprintln(w, "\nWhat Argo CD or Flux would deploy now (kustomize build of each overlay on main):")
	stages := make([]string, 0, len(rendered))
	for s := range rendered {
		stages = append(stages, s)
	}
	sort.Slice(stages, func(i, j int) bool { return stageOrder(stages[i]) < stageOrder(stages[j]) })
	same := true
	for _, s := range stages {
		fmt.Fprintf(w, "  %-8s %s\n", s, rendered[s])
		if !hasDigest(rendered[s], last) {
			same = false
		}
	}
	if !same {
		return Result{Digest: last, Rendered: rendered}, fmt.Errorf("the stages do not all render %s", last)
	}
	fmt.Fprintf(w, "\nAll three stages run the same image, %s, the digest the registry gave for 1.1.0.\n", last)
	return Result{Digest: last, Rendered: rendered}, nil
}

func stageOrder(s string) int {
	switch s {
	case "staging":
		return 0
	case "preprod":
		return 1
	}
	return 2
}

func pemKey(k *rsa.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}
