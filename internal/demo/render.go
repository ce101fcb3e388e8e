package demo

import (
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// Render checks out ref and builds each overlay of the sample app the way
// Argo CD or Flux would, returning the image of the web Deployment per stage.
func (wd *World) Render(ref string) (map[string]string, error) {
	dir, err := os.MkdirTemp("", "stagehand-demo-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := wd.GitHub.Checkout(ref, dir); err != nil {
		return nil, fmt.Errorf("check out %s: %w", ref, err)
	}
	out := map[string]string{}
	for _, stage := range []string{"staging", "preprod", "prod"} {
		img, err := RenderImage(dir, path.Join("apps/web/overlays", stage), "web")
		if err != nil {
			return nil, err
		}
		out[stage] = img
	}
	return out, nil
}

// RenderImage runs kustomize build on overlay (relative to root) and
// returns the image of the named Deployment's first container.
func RenderImage(root, overlay, deployment string) (string, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	res, err := k.Run(filesys.MakeFsOnDisk(), path.Join(root, overlay))
	if err != nil {
		return "", fmt.Errorf("kustomize build %s: %w", overlay, err)
	}
	for _, r := range res.Resources() {
		if r.GetKind() != "Deployment" || r.GetName() != deployment {
			continue
		}
		containers, err := r.GetSlice("spec.template.spec.containers")
		if err != nil || len(containers) == 0 {
			return "", fmt.Errorf("%s: Deployment %s has no containers", overlay, deployment)
		}
		c, _ := containers[0].(map[string]any)
		img, _ := c["image"].(string)
		return img, nil
	}
	return "", fmt.Errorf("%s: no Deployment %s", overlay, deployment)
}

func hasDigest(image, digest string) bool { return strings.HasSuffix(image, "@"+digest) }

// indent writes through to w with every line indented, for the account.
func indent(w io.Writer) io.Writer { return &indenter{w: w, bol: true} }

type indenter struct {
	w   io.Writer
	bol bool
}

func (i *indenter) Write(p []byte) (int, error) {
	for _, b := range p {
		if i.bol {
			if _, err := i.w.Write([]byte("   ")); err != nil {
				return 0, err
			}
		}
		if _, err := i.w.Write([]byte{b}); err != nil {
			return 0, err
		}
		i.bol = b == '\n'
	}
	return len(p), nil
}
