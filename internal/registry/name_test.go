package registry

import "testing"

func TestNormalize(t *testing.T) {
	cases := map[string]string{
		"nginx":                                "docker.io/library/nginx",
		"library/nginx":                        "docker.io/library/nginx",
		"docker.io/nginx":                      "docker.io/library/nginx",
		"index.docker.io/library/nginx":        "docker.io/library/nginx",
		"nginx:1.25":                           "docker.io/library/nginx",
		"nginx@sha256:abc":                     "docker.io/library/nginx",
		"ghcr.io/acme/web":                     "ghcr.io/acme/web",
		"ghcr.io/acme/web:1.0.0":               "ghcr.io/acme/web",
		"localhost:5000/app":                   "localhost:5000/app",
		"localhost:5000/app:1":                 "localhost:5000/app",
		"127.0.0.1:5000/acme/web:v1@sha256:00": "127.0.0.1:5000/acme/web",
		"acme/web":                             "docker.io/acme/web",
	}
	for in, want := range cases {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
	if SameRepository("ghcr.io/acme/web", "ghcr.io/acme/api") {
		t.Error("different repositories compared equal")
	}
}
