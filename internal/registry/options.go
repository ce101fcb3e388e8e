package registry

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Option configures a Resolver. Options can fail, and New rejects
// conflicting ones rather than letting the last one win silently.
type Option func(*options) error

type options struct {
	keychain  authn.Keychain
	transport http.RoundTripper
	userAgent string
	insecure  map[string]bool   // registry host → plain HTTP allowed
	mirrors   map[string]string // registry host → registry host asked instead

	set map[string]bool // single-valued options already given
}

// defaultOptions holds every default in one place.
func defaultOptions() *options {
	return &options{
		keychain:  authn.DefaultKeychain,
		transport: remote.DefaultTransport,
		userAgent: "stagehand",
		insecure:  map[string]bool{},
		mirrors:   map[string]string{},
		set:       map[string]bool{},
	}
}

// once rejects a single-valued option given twice: two keychains or two
// transports are a wiring mistake, not something to resolve by order.
func (o *options) once(opt string) error {
	if o.set[opt] {
		return fmt.Errorf("%s given more than once", opt)
	}
	o.set[opt] = true
	return nil
}

// WithKeychain sets where credentials come from. The default is
// authn.DefaultKeychain: the Docker config (~/.docker/config.json, or
// $DOCKER_CONFIG) of the stagehand process, with its credential helpers.
func WithKeychain(k authn.Keychain) Option {
	return func(o *options) error {
		if k == nil {
			return errors.New("WithKeychain: nil keychain")
		}
		if err := o.once("WithKeychain"); err != nil {
			return err
		}
		o.keychain = k
		return nil
	}
}

// WithInsecure allows plain HTTP to exactly these registry hosts
// ("127.0.0.1:5000", "localhost:5000"). Every other host is HTTPS only,
// including localhost and private addresses, which go-containerregistry
// would otherwise let fall back to HTTP. It may be given more than once.
func WithInsecure(hosts ...string) Option {
	return func(o *options) error {
		if len(hosts) == 0 {
			return errors.New("WithInsecure: no hosts")
		}
		for _, h := range hosts {
			reg, err := parseHost(h)
			if err != nil {
				return fmt.Errorf("WithInsecure: %w", err)
			}
			o.insecure[reg] = true
		}
		return nil
	}
}

// WithMirror resolves images of host (such as "ghcr.io" or "docker.io")
// through mirror (such as "127.0.0.1:5000"): a pull-through cache or an
// air-gapped copy holding the same repositories. Digests are content
// addresses, so the mirror's answer is the digest to pin for host.
// Credentials are looked up for the mirror, the registry actually asked.
func WithMirror(host, mirror string) Option {
	return func(o *options) error {
		h, err := parseHost(host)
		if err != nil {
			return fmt.Errorf("WithMirror: %w", err)
		}
		m, err := parseHost(mirror)
		if err != nil {
			return fmt.Errorf("WithMirror %s: mirror: %w", host, err)
		}
		if h == m {
			return fmt.Errorf("WithMirror: %s mirrors itself", host)
		}
		if prev, ok := o.mirrors[h]; ok && prev != m {
			return fmt.Errorf("WithMirror: %s has two mirrors, %s and %s", host, prev, m)
		}
		o.mirrors[h] = m
		return nil
	}
}

// WithTransport sets the HTTP transport under authentication and retries.
// The default is go-containerregistry's remote.DefaultTransport.
func WithTransport(rt http.RoundTripper) Option {
	return func(o *options) error {
		if rt == nil {
			return errors.New("WithTransport: nil transport")
		}
		if err := o.once("WithTransport"); err != nil {
			return err
		}
		o.transport = rt
		return nil
	}
}

// WithUserAgent sets the User-Agent prefix sent to registries; the default
// is "stagehand" (go-containerregistry appends its own version).
func WithUserAgent(s string) Option {
	return func(o *options) error {
		if strings.TrimSpace(s) == "" {
			return errors.New("WithUserAgent: empty user agent")
		}
		if err := o.once("WithUserAgent"); err != nil {
			return err
		}
		o.userAgent = s
		return nil
	}
}

// validate checks what no single option can see alone.
func (o *options) validate() error {
	for h, m := range o.mirrors {
		if next, ok := o.mirrors[m]; ok {
			// One hop only: a chain would make ghcr.io resolve through a
			// registry the config never names next to it.
			return fmt.Errorf("WithMirror: %s mirrors to %s, which itself mirrors to %s; chains are not followed", h, m, next)
		}
	}
	return nil
}

// parseHost validates a registry host[:port] and returns it the way
// go-containerregistry names it ("docker.io" is "index.docker.io").
func parseHost(h string) (string, error) {
	if h == "" {
		return "", errors.New("empty registry host")
	}
	if strings.Contains(h, "://") || strings.ContainsAny(h, "/@ ") {
		return "", fmt.Errorf("registry host %q: want host or host:port, without scheme or path", h)
	}
	reg, err := name.NewRegistry(strings.ToLower(h), name.StrictValidation)
	if err != nil {
		return "", fmt.Errorf("registry host %q: %w", h, err)
	}
	return reg.RegistryStr(), nil
}
