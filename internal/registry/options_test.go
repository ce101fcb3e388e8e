package registry_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/stagehand-dev/stagehand/internal/registry"
)

func TestNewRejectsBadOrConflictingOptions(t *testing.T) {
	kc := authn.NewMultiKeychain()
	cases := []struct {
		name string
		opts []registry.Option
		want string // in the error
	}{
		{"nil keychain", []registry.Option{registry.WithKeychain(nil)}, "nil keychain"},
		{"two keychains", []registry.Option{registry.WithKeychain(kc), registry.WithKeychain(kc)}, "WithKeychain given more than once"},
		{"nil transport", []registry.Option{registry.WithTransport(nil)}, "nil transport"},
		{"two transports", []registry.Option{registry.WithTransport(http.DefaultTransport), registry.WithTransport(http.DefaultTransport)}, "WithTransport given more than once"},
		{"empty user agent", []registry.Option{registry.WithUserAgent(" ")}, "empty user agent"},
		{"two user agents", []registry.Option{registry.WithUserAgent("a"), registry.WithUserAgent("b")}, "WithUserAgent given more than once"},
		{"insecure without hosts", []registry.Option{registry.WithInsecure()}, "no hosts"},
		{"insecure with scheme", []registry.Option{registry.WithInsecure("http://127.0.0.1:5000")}, "without scheme or path"},
		{"insecure with path", []registry.Option{registry.WithInsecure("127.0.0.1:5000/acme")}, "without scheme or path"},
		{"insecure empty host", []registry.Option{registry.WithInsecure("")}, "empty registry host"},
		{"mirror of nothing", []registry.Option{registry.WithMirror("", "127.0.0.1:5000")}, "empty registry host"},
		{"mirror with path", []registry.Option{registry.WithMirror("ghcr.io", "127.0.0.1:5000/ghcr")}, "without scheme or path"},
		{"mirror of itself", []registry.Option{registry.WithMirror("ghcr.io", "GHCR.io")}, "mirrors itself"},
		{"mirror of itself by alias", []registry.Option{registry.WithMirror("docker.io", "index.docker.io")}, "mirrors itself"},
		{"two mirrors for one host", []registry.Option{registry.WithMirror("ghcr.io", "a:5000"), registry.WithMirror("ghcr.io", "b:5000")}, "two mirrors"},
		{"mirror chain", []registry.Option{registry.WithMirror("b:5000", "c:5000"), registry.WithMirror("ghcr.io", "b:5000")}, "chains are not followed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := registry.New(tc.opts...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New = %v, %v; want an error containing %q", r, err, tc.want)
			}
		})
	}
}

func TestNewAcceptsRepeatsThatAgree(t *testing.T) {
	_, err := registry.New(
		registry.WithInsecure("127.0.0.1:5000"),
		registry.WithInsecure("localhost:5000", "127.0.0.1:5000"),
		registry.WithMirror("ghcr.io", "127.0.0.1:5000"),
		registry.WithMirror("ghcr.io", "127.0.0.1:5000"),
		registry.WithMirror("docker.io", "127.0.0.1:5000"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := registry.New(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
}
