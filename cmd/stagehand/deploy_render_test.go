package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/openapi"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The parts of the rendered manifests the deploy tests read.
type (
	k8sObject struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Data map[string]string `json:"data"`
		Spec json.RawMessage   `json:"spec"`
	}
	deploymentSpec struct {
		Replicas *int `json:"replicas"`
		Selector struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
		Strategy struct {
			Type string `json:"type"`
		} `json:"strategy"`
		Template struct {
			Metadata struct {
				Labels map[string]string `json:"labels"`
			} `json:"metadata"`
			Spec podSpec `json:"spec"`
		} `json:"template"`
	}
	podSpec struct {
		SecurityContext struct {
			RunAsNonRoot *bool  `json:"runAsNonRoot"`
			RunAsUser    *int64 `json:"runAsUser"`
		} `json:"securityContext"`
		Affinity struct {
			PodAntiAffinity *struct {
				Preferred []struct {
					Term affinityTerm `json:"podAffinityTerm"`
				} `json:"preferredDuringSchedulingIgnoredDuringExecution"`
				Required []affinityTerm `json:"requiredDuringSchedulingIgnoredDuringExecution"`
			} `json:"podAntiAffinity"`
		} `json:"affinity"`
		Containers []container `json:"containers"`
		Volumes    []struct {
			Name string `json:"name"`
			PVC  *struct {
				ClaimName string `json:"claimName"`
			} `json:"persistentVolumeClaim"`
		} `json:"volumes"`
	}
	affinityTerm struct {
		TopologyKey   string `json:"topologyKey"`
		LabelSelector struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"labelSelector"`
	}
	container struct {
		Name  string   `json:"name"`
		Image string   `json:"image"`
		Args  []string `json:"args"`
		Ports []struct {
			Name          string `json:"name"`
			ContainerPort int    `json:"containerPort"`
		} `json:"ports"`
		Env     []envEntry `json:"env"`
		EnvFrom []struct {
			ConfigMapRef *keyRef `json:"configMapRef"`
			SecretRef    *keyRef `json:"secretRef"`
		} `json:"envFrom"`
		LivenessProbe   *probe `json:"livenessProbe"`
		ReadinessProbe  *probe `json:"readinessProbe"`
		SecurityContext struct {
			ReadOnlyRootFilesystem   *bool `json:"readOnlyRootFilesystem"`
			AllowPrivilegeEscalation *bool `json:"allowPrivilegeEscalation"`
			RunAsNonRoot             *bool `json:"runAsNonRoot"`
			Capabilities             struct {
				Drop []string `json:"drop"`
			} `json:"capabilities"`
		} `json:"securityContext"`
		Resources struct {
			Requests map[string]string `json:"requests"`
			Limits   map[string]string `json:"limits"`
		} `json:"resources"`
		VolumeMounts []struct {
			Name      string `json:"name"`
			MountPath string `json:"mountPath"`
		} `json:"volumeMounts"`
	}
	envEntry struct {
		Name      string `json:"name"`
		Value     string `json:"value"`
		ValueFrom *struct {
			SecretKeyRef    *keyRef `json:"secretKeyRef"`
			ConfigMapKeyRef *keyRef `json:"configMapKeyRef"`
		} `json:"valueFrom"`
	}
	keyRef struct {
		Name     string `json:"name"`
		Key      string `json:"key"`
		Optional bool   `json:"optional"`
	}
	probe struct {
		HTTPGet *struct {
			Path string          `json:"path"`
			Port json.RawMessage `json:"port"`
		} `json:"httpGet"`
	}
)

// rendered is one overlay built by kustomize.
type rendered struct {
	objects []k8sObject
}

func renderOverlay(t *testing.T, overlay string) rendered {
	t.Helper()
	rm, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), filepath.Join("../../deploy/overlays", overlay))
	if err != nil {
		t.Fatalf("kustomize build deploy/overlays/%s: %v", overlay, err)
	}
	return decodeResources(t, rm)
}

func decodeResources(t *testing.T, rm resmap.ResMap) rendered {
	t.Helper()
	var out rendered
	for _, r := range rm.Resources() {
		// A misspelt field is dropped by a lenient reader (and by the
		// structs below) but refused by kubectl apply: check every field
		// against the Kubernetes API description kustomize carries.
		kind := yaml.TypeMeta{APIVersion: r.GetApiVersion(), Kind: r.GetKind()}
		if rs := openapi.SchemaForResourceType(kind); rs == nil {
			t.Errorf("%s: not a Kubernetes API type", r.CurId())
		} else {
			for _, f := range unknownFields(rs, &r.RNode, "") {
				t.Errorf("%s: field %s is not in the Kubernetes API", r.CurId(), f)
			}
		}
		data, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var o k8sObject
		if err := json.Unmarshal(data, &o); err != nil {
			t.Fatalf("%s: %v", r.CurId(), err)
		}
		out.objects = append(out.objects, o)
	}
	return out
}

// unknownFields returns the paths of the fields of n that schema rs does
// not describe.
func unknownFields(rs *openapi.ResourceSchema, n *yaml.RNode, at string) []string {
	var out []string
	switch n.YNode().Kind {
	case yaml.MappingNode:
		_ = n.VisitFields(func(f *yaml.MapNode) error {
			name := f.Key.YNode().Value
			sub := rs.Field(name)
			if sub == nil {
				out = append(out, at+"."+name)
				return nil
			}
			out = append(out, unknownFields(sub, f.Value, at+"."+name)...)
			return nil
		})
	case yaml.SequenceNode:
		el := rs.Elements()
		if el == nil {
			return nil
		}
		for i, item := range n.Content() {
			out = append(out, unknownFields(el, yaml.NewRNode(item), fmt.Sprintf("%s[%d]", at, i))...)
		}
	}
	return out
}

// one returns the only object of kind, decoding its spec into spec.
func (r rendered) one(t *testing.T, kind string, spec any) k8sObject {
	t.Helper()
	var found []k8sObject
	for _, o := range r.objects {
		if o.Kind == kind {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d %s objects in the build, want 1", len(found), kind)
	}
	if spec != nil {
		if err := json.Unmarshal(found[0].Spec, spec); err != nil {
			t.Fatalf("%s spec: %v", kind, err)
		}
	}
	return found[0]
}

func (r rendered) named(kind, name string) (k8sObject, bool) {
	for _, o := range r.objects {
		if o.Kind == kind && o.Metadata.Name == name {
			return o, true
		}
	}
	return k8sObject{}, false
}
