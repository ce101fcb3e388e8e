package config

import (
	"testing"

	"github.com/stagehand-dev/stagehand/internal/manifest"
)

// targetStages replaces validBase's stage paths (lines 12 and 13).
func targetStages(s string) string {
	return edit("      staging: apps/web/staging\n      prod: apps/web/prod\n", s)
}

// checkTarget holds a parsed target to its promises: a kustomization, or
// a file with a tag path (and maybe a digest path) or an image path, each
// one that parses.
func checkTarget(t *testing.T, tg manifest.Target) {
	t.Helper()
	if tg.IsKustomization() {
		if tg.Digest != "" {
			t.Fatalf("target %+v: a digest path without a tag path", tg)
		}
		return
	}
	if (tg.Tag == "") == (tg.Image == "") || (tg.Image != "" && tg.Digest != "") || (tg.Digest != "" && tg.Digest == tg.Tag) {
		t.Fatalf("target %+v", tg)
	}
	for _, p := range []string{tg.Tag, tg.Digest, tg.Image} {
		if _, err := manifest.ParsePath(p); p != "" && err != nil {
			t.Fatalf("target %+v: %v", tg, err)
		}
	}
}

func TestParseTargets(t *testing.T) {
	src := targetStages(`      staging:
        file: charts/web/values-staging.yaml
        tag: image.tag
        digest: image.digest
      prod:
        file: deploy/prod/deployment.yml
        image: spec.template.spec.containers[name=web].image
`)
	cfg, err := Parse("c.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	app := cfg.Apps[0]
	for stage, want := range map[string]manifest.Target{
		"staging": {File: "charts/web/values-staging.yaml", Tag: "image.tag", Digest: "image.digest"},
		"prod":    {File: "deploy/prod/deployment.yml", Image: "spec.template.spec.containers[name=web].image"},
	} {
		if got := app.Target(stage); got != want {
			t.Errorf("Target(%s) = %+v, want %+v", stage, got, want)
		}
		if app.Path(stage) != want.File {
			t.Errorf("Path(%s) = %q, want %q", stage, app.Path(stage), want.File)
		}
	}
	if err := schemaValidate(t, src); err != nil {
		t.Errorf("the schema refuses a config the parser accepts: %v", err)
	}
}

// badTargets has one file per rule of a stage's target (FuzzParse seeds).
var badTargets = []badFile{
	{"no file", targetStages("      staging:\n        tag: image.tag\n      prod: apps/web/prod\n"), []string{
		"c.yaml:13:9: staging lacks file:",
	}},
	{"tag and image", targetStages("      staging:\n        file: v.yaml\n        tag: image.tag\n        image: a.image\n      prod: apps/web/prod\n"), []string{
		"c.yaml:13:9: staging: give tag: (a Helm values path) or image: (a path to a full image reference), not both",
	}},
	{"neither tag nor image", targetStages("      staging:\n        file: v.yaml\n      prod: apps/web/prod\n"), []string{
		"c.yaml:13:9: staging: give tag: (a Helm values path such as image.tag) or image: (a path to a full image reference such as spec.template.spec.containers[name=web].image)",
	}},
	{"digest with image", targetStages("      staging:\n        file: d.yaml\n        image: a.image\n        digest: a.digest\n      prod: apps/web/prod\n"), []string{
		"c.yaml:15:17: digest: goes with tag:; an image: reference holds its digest",
	}},
	{"digest same as tag", targetStages("      staging:\n        file: v.yaml\n        tag: image.tag\n        digest: image.tag\n      prod: apps/web/prod\n"), []string{
		"c.yaml:15:17: digest: is the same path as tag:",
	}},
	{"bad path", targetStages("      staging:\n        file: v.yaml\n        tag: image..tag\n      prod: apps/web/prod\n"), []string{
		`c.yaml:14:14: tag: "image..tag": at character 7: an empty key; write a path such as image.tag or spec.template.spec.containers[name=web].image`,
	}},
	{"bad selector", targetStages("      staging:\n        file: d.yaml\n        image: spec.containers[name].image\n      prod: apps/web/prod\n"), []string{
		`c.yaml:14:16: image: "spec.containers[name].image": at character 16: "[name]" is neither an index such as [0] nor a selector such as [name=web]; write a path such as image.tag or spec.template.spec.containers[name=web].image`,
	}},
	{"file is a folder", targetStages("      staging:\n        file: charts/web\n        tag: image.tag\n      prod: apps/web/prod\n"), []string{
		`c.yaml:13:15: file: "charts/web": name the YAML file, ending in .yaml or .yml`,
	}},
	{"file leaves the repo", targetStages("      staging:\n        file: ../v.yaml\n        tag: image.tag\n      prod: apps/web/prod\n"), []string{
		`c.yaml:13:15: file: "../v.yaml" leaves the repository; paths are relative to the repo root`,
	}},
	{"unknown key", targetStages("      staging:\n        file: v.yaml\n        tags: image.tag\n      prod: apps/web/prod\n"), []string{
		`c.yaml:13:9: staging: give tag: (a Helm values path such as image.tag) or image: (a path to a full image reference such as spec.template.spec.containers[name=web].image)`,
		`c.yaml:14:9: unknown key "tags" in staging; did you mean tag? allowed keys are file, tag, digest, image`,
	}},
	{"a list", targetStages("      staging: [v.yaml]\n      prod: apps/web/prod\n"), []string{
		`c.yaml:12:16: staging: want a kustomization folder or file, or a mapping with file: and tag: or image:, found a list`,
	}},
	{"two stages share a values file", targetStages("      staging: {file: v.yaml, tag: a.tag}\n      prod: {file: v.yaml, tag: b.tag}\n"), []string{
		`c.yaml:13:13: prod: v.yaml is also the file of stage staging; each stage needs its own`,
	}},
	{"path not a string", targetStages("      staging: {file: v.yaml, tag: 1}\n      prod: apps/web/prod\n"), []string{
		`c.yaml:12:36: tag: want a string, found the number 1; quote it: "1"`,
	}},
}

func TestParseBadTargets(t *testing.T) {
	for _, tc := range badTargets {
		t.Run(tc.name, func(t *testing.T) {
			checkProblems(t, tc.src, tc.want)
		})
	}
}

// TestSchemaRefusesBadTargets: an editor flags what the parser refuses in a
// target's shape.
func TestSchemaRefusesBadTargets(t *testing.T) {
	for name, stages := range map[string]string{
		"tag and image":     "      staging: {file: v.yaml, tag: a.tag, image: a.image}\n      prod: apps/web/prod\n",
		"digest with image": "      staging: {file: v.yaml, image: a.image, digest: a.d}\n      prod: apps/web/prod\n",
		"no path":           "      staging: {file: v.yaml}\n      prod: apps/web/prod\n",
		"no file":           "      staging: {tag: a.tag}\n      prod: apps/web/prod\n",
		"a folder":          "      staging: {file: charts/web, tag: a.tag}\n      prod: apps/web/prod\n",
	} {
		if err := schemaValidate(t, targetStages(stages)); err == nil {
			t.Errorf("%s: the schema accepts it", name)
		}
	}
}
