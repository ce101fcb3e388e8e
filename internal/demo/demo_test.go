package demo

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestDemoEndsWithOneDigestEverywhere(t *testing.T) {
	var out bytes.Buffer
	res, err := Run(context.Background(), &out, Options{Seed: "../../testdata/configrepo", Validate: true})
	if err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out.String())
	}
	if len(res.Rendered) != 3 {
		t.Fatalf("rendered %d stages, want 3: %v", len(res.Rendered), res.Rendered)
	}
	for stage, img := range res.Rendered {
		if img != Image+":1.1.0@"+res.Digest {
			t.Errorf("%s renders %s, want %s:1.1.0@%s", stage, img, Image, res.Digest)
		}
	}
	for _, want := range []string{"merged 1.0.0", "merged 1.1.0", "already-there", "opened 1.1.0", "+    digest: " + res.Digest, "All three stages run the same image"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the account lacks %q:\n%s", want, out.String())
		}
	}
}

func TestDemoNeedsTheSample(t *testing.T) {
	_, err := Run(context.Background(), &bytes.Buffer{}, Options{Seed: "no/such/dir"})
	if err == nil || !strings.Contains(err.Error(), "make demo") {
		t.Fatalf("err = %v, want a hint to run it from a checkout", err)
	}
}
