package main

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/stagehand-dev/stagehand/internal/githubfake"
	"github.com/stagehand-dev/stagehand/internal/pgtest"
	"github.com/stagehand-dev/stagehand/internal/testkit/e2e"
)

// TestDeployOverlays renders deploy/overlays/{single,ha} with kustomize and
// checks what an operator relies on: every field a Kubernetes API field, no root and a read-only root file
// system, resources, probes that name the container's port, the Service,
// PodDisruptionBudget and NetworkPolicy selecting the pods, each overlay's
// database, and then that `stagehand serve`, given exactly the environment
// the Deployment wires (the Secret's values supplied as an operator would),
// starts and answers 200 on the probes' paths.
func TestDeployOverlays(t *testing.T) {
	for _, overlay := range []string{"single", "ha"} {
		t.Run(overlay, func(t *testing.T) {
			r := renderOverlay(t, overlay)
			var dep deploymentSpec
			r.one(t, "Deployment", &dep)
			pod := dep.Template.Spec
			c := stagehandContainer(t, pod)
			checkPodHardening(t, pod, c)
			port := checkPorts(t, r, c)
			checkSelectors(t, r, dep)

			dbVar := envVar(c, "STAGEHAND_DATABASE_URL")
			switch overlay {
			case "single":
				if dep.Replicas == nil || *dep.Replicas != 1 || dep.Strategy.Type != "Recreate" {
					t.Errorf("single: replicas %v, strategy %q; want 1 and Recreate (SQLite takes one writer)", dep.Replicas, dep.Strategy.Type)
				}
				db := resolveEnv(t, r, c, "STAGEHAND_DATABASE_URL", nil)
				claim := volumeAt(t, pod, c, db)
				if claim == "" {
					t.Errorf("single: the database %q is not on a PersistentVolumeClaim", db)
				} else if _, ok := r.named("PersistentVolumeClaim", claim); !ok {
					t.Errorf("single: the database's volume claims %q, which the overlay does not create", claim)
				}
			case "ha":
				if dep.Replicas == nil || *dep.Replicas < 2 {
					t.Errorf("ha: replicas %v, want 2 or more", dep.Replicas)
				}
				if dbVar == nil || dbVar.ValueFrom == nil || dbVar.ValueFrom.SecretKeyRef == nil {
					t.Errorf("ha: STAGEHAND_DATABASE_URL is not read from a Secret (it carries the password)")
				}
				checkAntiAffinity(t, pod, dep.Template.Metadata.Labels)
			}

			t.Run("serve starts with the wired environment", func(t *testing.T) {
				secrets := operatorSecrets(t, overlay)
				startLikeThePod(t, r, c, secrets, port)
			})
		})
	}
}

func stagehandContainer(t *testing.T, pod podSpec) container {
	t.Helper()
	i := slices.IndexFunc(pod.Containers, func(c container) bool { return c.Name == "stagehand" })
	if i < 0 {
		t.Fatalf("no container called stagehand")
	}
	c := pod.Containers[i]
	if !slices.Equal(c.Args, []string{"serve"}) {
		t.Errorf("container args %q, want [serve]", c.Args)
	}
	if c.Image == "" {
		t.Errorf("container has no image")
	}
	return c
}

func checkPodHardening(t *testing.T, pod podSpec, c container) {
	t.Helper()
	isTrue := func(b *bool) bool { return b != nil && *b }
	if !isTrue(pod.SecurityContext.RunAsNonRoot) && !isTrue(c.SecurityContext.RunAsNonRoot) {
		t.Errorf("runAsNonRoot is not set")
	}
	if u := pod.SecurityContext.RunAsUser; u != nil && *u == 0 {
		t.Errorf("runAsUser is 0")
	}
	if !isTrue(c.SecurityContext.ReadOnlyRootFilesystem) {
		t.Errorf("readOnlyRootFilesystem is not set")
	}
	if c.SecurityContext.AllowPrivilegeEscalation == nil || *c.SecurityContext.AllowPrivilegeEscalation {
		t.Errorf("allowPrivilegeEscalation is not false")
	}
	if !slices.Contains(c.SecurityContext.Capabilities.Drop, "ALL") {
		t.Errorf("capabilities do not drop ALL")
	}
	if c.Resources.Requests["cpu"] == "" || c.Resources.Requests["memory"] == "" || c.Resources.Limits["memory"] == "" {
		t.Errorf("resources: requests %v, limits %v; want cpu and memory requests and a memory limit", c.Resources.Requests, c.Resources.Limits)
	}
}

// checkPorts checks that the probes and the Service reach the port serve
// listens on (STAGEHAND_ADDR), and returns it.
func checkPorts(t *testing.T, r rendered, c container) int {
	t.Helper()
	portOf := func(raw json.RawMessage) int {
		var n int
		if json.Unmarshal(raw, &n) == nil {
			return n
		}
		var name string
		_ = json.Unmarshal(raw, &name)
		for _, p := range c.Ports {
			if p.Name == name {
				return p.ContainerPort
			}
		}
		return 0
	}
	addr := resolveEnv(t, r, c, "STAGEHAND_ADDR", nil)
	if addr == "" {
		addr = ":8080" // serve's default
	}
	_, p, err := net.SplitHostPort(addr)
	listen, _ := strconv.Atoi(p)
	if err != nil || listen == 0 {
		t.Fatalf("STAGEHAND_ADDR %q has no port", addr)
	}
	for name, pr := range map[string]*probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		if pr == nil || pr.HTTPGet == nil {
			t.Errorf("no HTTP %s probe", name)
			continue
		}
		if got := portOf(pr.HTTPGet.Port); got != listen {
			t.Errorf("%s probe port %s is %d; serve listens on %d", name, pr.HTTPGet.Port, got, listen)
		}
	}
	var svc struct {
		Ports []struct {
			TargetPort json.RawMessage `json:"targetPort"`
		} `json:"ports"`
	}
	r.one(t, "Service", &svc)
	if len(svc.Ports) == 0 || portOf(svc.Ports[0].TargetPort) != listen {
		t.Errorf("the Service does not target port %d", listen)
	}
	return listen
}

func checkSelectors(t *testing.T, r rendered, dep deploymentSpec) {
	t.Helper()
	labels := dep.Template.Metadata.Labels
	selects := func(sel map[string]string) bool {
		if len(sel) == 0 {
			return false // an empty selector selects every pod in the namespace
		}
		for k, v := range sel {
			if labels[k] != v {
				return false
			}
		}
		return true
	}
	if !selects(dep.Selector.MatchLabels) {
		t.Errorf("the Deployment's selector %v does not select its pods %v", dep.Selector.MatchLabels, labels)
	}
	var svc struct {
		Selector map[string]string `json:"selector"`
	}
	r.one(t, "Service", &svc)
	var pdb struct {
		MaxUnavailable json.RawMessage `json:"maxUnavailable"`
		MinAvailable   json.RawMessage `json:"minAvailable"`
		Selector       struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
	}
	r.one(t, "PodDisruptionBudget", &pdb)
	var np struct {
		PodSelector struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"podSelector"`
		PolicyTypes []string          `json:"policyTypes"`
		Ingress     []json.RawMessage `json:"ingress"`
	}
	r.one(t, "NetworkPolicy", &np)
	for what, sel := range map[string]map[string]string{"Service": svc.Selector, "PodDisruptionBudget": pdb.Selector.MatchLabels, "NetworkPolicy": np.PodSelector.MatchLabels} {
		if !selects(sel) {
			t.Errorf("the %s's selector %v does not select stagehand's pods %v", what, sel, labels)
		}
	}
	// One replica with minAvailable 1 would block every node drain.
	if dep.Replicas != nil && *dep.Replicas == 1 && string(pdb.MinAvailable) == "1" {
		t.Errorf("one replica with minAvailable 1: the PodDisruptionBudget blocks node drains")
	}
	if !slices.Contains(np.PolicyTypes, "Ingress") || len(np.Ingress) == 0 {
		t.Errorf("the NetworkPolicy does not restrict ingress: %v", np.PolicyTypes)
	}
}

func checkAntiAffinity(t *testing.T, pod podSpec, labels map[string]string) {
	t.Helper()
	aa := pod.Affinity.PodAntiAffinity
	var terms []affinityTerm
	if aa != nil {
		terms = append(terms, aa.Required...)
		for _, p := range aa.Preferred {
			terms = append(terms, p.Term)
		}
	}
	for _, term := range terms {
		ok := term.TopologyKey != "" && len(term.LabelSelector.MatchLabels) > 0
		for k, v := range term.LabelSelector.MatchLabels {
			ok = ok && labels[k] == v
		}
		if ok {
			return
		}
	}
	t.Errorf("ha: no pod anti-affinity keeping stagehand's own pods apart: %+v", aa)
}

func envVar(c container, name string) *envEntry {
	for i := range c.Env {
		if c.Env[i].Name == name {
			return &c.Env[i]
		}
	}
	return nil
}

// podEnv is the environment the kubelet gives the container: envFrom
// first, then env, which wins. A ConfigMap must be in the build; a value
// from a Secret comes from secrets ("name/key"), as the operator creates
// them, and a key the test does not know fails it. An optional envFrom
// Secret holds optional settings and is left out.
func podEnv(t *testing.T, r rendered, c container, secrets map[string]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	configMap := func(ref *keyRef) map[string]string {
		cm, ok := r.named("ConfigMap", ref.Name)
		if !ok && !ref.Optional {
			t.Fatalf("the ConfigMap %q the container reads is not in the build", ref.Name)
		}
		return cm.Data
	}
	for _, ef := range c.EnvFrom {
		switch {
		case ef.ConfigMapRef != nil:
			for k, v := range configMap(ef.ConfigMapRef) {
				out[k] = v
			}
		case ef.SecretRef != nil && !ef.SecretRef.Optional:
			t.Fatalf("envFrom the Secret %q: wire each required key by name, so that a missing one stops the pod with its name", ef.SecretRef.Name)
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			out[e.Name] = e.Value
		case e.ValueFrom.ConfigMapKeyRef != nil:
			ref := e.ValueFrom.ConfigMapKeyRef
			v, ok := configMap(ref)[ref.Key]
			if !ok {
				t.Fatalf("%s: the ConfigMap %q has no key %q", e.Name, ref.Name, ref.Key)
			}
			out[e.Name] = v
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			if secrets == nil {
				continue
			}
			v, ok := secrets[ref.Name+"/"+ref.Key]
			if !ok {
				t.Fatalf("%s: the Secret key %s/%s is not one the deploy README tells operators to create", e.Name, ref.Name, ref.Key)
			}
			out[e.Name] = v
		}
	}
	return out
}

func resolveEnv(t *testing.T, r rendered, c container, name string, secrets map[string]string) string {
	t.Helper()
	return podEnv(t, r, c, secrets)[name]
}

// volumeAt returns the PersistentVolumeClaim of the volume path is on, ""
// when it is on none.
func volumeAt(t *testing.T, pod podSpec, c container, path string) string {
	t.Helper()
	path = strings.TrimPrefix(path, "sqlite://")
	for _, m := range c.VolumeMounts {
		if !strings.HasPrefix(path, strings.TrimSuffix(m.MountPath, "/")+"/") {
			continue
		}
		for _, v := range pod.Volumes {
			if v.Name == m.Name && v.PVC != nil {
				return v.PVC.ClaimName
			}
		}
	}
	return ""
}

// operatorSecrets are the Secret keys deploy/README.md tells an operator
// to create, with test values.
func operatorSecrets(t *testing.T, overlay string) map[string]string {
	t.Helper()
	key, err := e2e.AppKey()
	if err != nil {
		t.Fatal(err)
	}
	s := map[string]string{
		"stagehand/github-app-id":         "1",
		"stagehand/github-private-key":    string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})),
		"stagehand/github-webhook-secret": e2e.GitHubSecret,
	}
	if overlay == "ha" {
		s["stagehand/database-url"] = pgtest.Schema(t)
	}
	readme, err := os.ReadFile("../../deploy/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for k := range s {
		if _, key, _ := strings.Cut(k, "/"); !strings.Contains(string(readme), key) {
			t.Errorf("deploy/README.md does not tell operators to create the Secret key %s", key)
		}
	}
	return s
}

// startLikeThePod runs `stagehand serve` with the pod's environment and
// nothing else from the test's, except two things a pod does not need: the
// GitHub API is the stand-in, and the address is a free loopback port.
// Each volume mount is a fresh directory, so that a path the pod writes to
// must be on a volume. The probes' paths must answer 200.
func startLikeThePod(t *testing.T, r rendered, c container, secrets map[string]string, port int) {
	appKey, err := e2e.AppKey()
	if err != nil {
		t.Fatal(err)
	}
	gh := githubfake.NewTest(t, githubfake.Options{Seed: "../../testdata/configrepo", AppKey: &appKey.PublicKey})
	env := podEnv(t, r, c, secrets)
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = t.TempDir()
	}
	for k, v := range env {
		for mount, dir := range mounts {
			if rest, ok := strings.CutPrefix(v, mount+"/"); ok || v == mount {
				env[k] = filepath.Join(dir, rest)
			}
		}
	}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "STAGEHAND_") || k == "DOCKER_CONFIG" {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	t.Setenv("STAGEHAND_GITHUB_API_URL", gh.URL())
	t.Setenv("STAGEHAND_ADDR", "127.0.0.1:0")
	t.Setenv("STAGEHAND_METRICS_ADDR", "127.0.0.1:0") // the pod's :9090 may be taken here

	var logs e2e.Buffer
	base := "http://" + serveInProcess(t, []string{"serve"}, &logs)
	for name, pr := range map[string]*probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		resp, err := http.Get(base + pr.HTTPGet.Path)
		if err != nil {
			t.Fatalf("%s probe: %v", name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s probe GET %s (port %d in the pod) = %d, want 200", name, pr.HTTPGet.Path, port, resp.StatusCode)
		}
	}
}

// TestDeployReadmeOverlay: the overlay deploy/README.md shows an operator
// (a remote base, a namespace, a pinned image, settings merged into the
// ConfigMap) renders, and its settings reach the container.
func TestDeployReadmeOverlay(t *testing.T) {
	readme, err := os.ReadFile("../../deploy/README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```yaml\n# my-stagehand/kustomization.yaml\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("deploy/README.md has no my-stagehand/kustomization.yaml example")
	}
	const remote = "github.com/stagehand-dev/stagehand/deploy/overlays/single?ref=main"
	if !bytes.Contains(m[1], []byte(remote)) {
		t.Fatalf("the example does not use %s:\n%s", remote, m[1])
	}
	mem := filesys.MakeFsInMemory()
	err = filepath.WalkDir("../../deploy", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return mem.WriteFile(filepath.Join("/", strings.TrimPrefix(p, "../../")), data)
	})
	if err != nil {
		t.Fatal(err)
	}
	// The remote base is this repository's deploy/: no network in tests.
	if err := mem.WriteFile("/my-stagehand/kustomization.yaml", bytes.Replace(m[1], []byte(remote), []byte("../deploy/overlays/single"), 1)); err != nil {
		t.Fatal(err)
	}
	rm, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(mem, "/my-stagehand")
	if err != nil {
		t.Fatalf("kustomize build of the README's overlay: %v", err)
	}
	r := decodeResources(t, rm)
	var dep deploymentSpec
	r.one(t, "Deployment", &dep)
	c := stagehandContainer(t, dep.Template.Spec)
	if c.Image != "ghcr.io/stagehand-dev/stagehand:v1.0.0" {
		t.Errorf("image %s, want the README's v1.0.0", c.Image)
	}
	env := podEnv(t, r, c, nil)
	for k, want := range map[string]string{
		"STAGEHAND_CONFIG_REPO":  "acme/gitops",
		"STAGEHAND_PUBLIC_URL":   "https://stagehand.example.com",
		"STAGEHAND_DATABASE_URL": "/var/lib/stagehand/stagehand.db",
	} {
		if env[k] != want {
			t.Errorf("%s = %q, want %q", k, env[k], want)
		}
	}
}
