package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/stagehand-dev/stagehand/internal/notify"
)

// MaxReceivers bounds notify:; every event is one delivery per receiver.
const MaxReceivers = 10

// receivers reads notify:, the outgoing webhooks. Secrets never appear
// in the file: a URL that is one (Slack's) and every signing key are named
// as environment variables of the server.
func (p *parser) receivers(n *yaml.Node) []notify.Target {
	items, ok := p.list(n, "notify")
	if !ok {
		return nil
	}
	if len(items) > MaxReceivers {
		p.addf(n, "notify: %d receivers; at most %d", len(items), MaxReceivers)
	}
	var out []notify.Target
	for i, item := range items {
		what := fmt.Sprintf("receiver %d", i+1)
		if !p.mapping(item, what) {
			continue
		}
		f := p.fields(item, what, "url", "url_env", "format!", "secret_env", "events")
		var t notify.Target
		u, hasURL := f.get("url")
		env, hasEnv := f.get("url_env")
		switch {
		case hasURL && hasEnv:
			p.addf(item, "%s: give url or url_env, not both", what)
		case !hasURL && !hasEnv:
			p.addf(item, "%s lacks url: (or url_env:, the server's environment variable that holds a URL which is a secret)", what)
		case hasURL:
			if s, ok := p.str(u, "url"); ok {
				t.URL = s
				if why := notify.CheckURL(s); why != "" {
					p.addf(u, "url: %q %s", s, why)
				} else if secretURL(s) {
					p.addf(u, "url: a Slack webhook URL is a secret, and the repository is no place for one: set it in the server's environment and name the variable with url_env (such as %sSLACK_URL)", notify.EnvPrefix)
				}
			}
		default:
			t.URLEnv = p.envName(env, "url_env")
		}
		if v, ok := f.get("format"); ok {
			if s, ok := p.str(v, "format"); ok {
				if ft, err := notify.ParseFormat(s); err != nil {
					p.addf(v, "format: %v", err)
				} else {
					t.Format = ft
				}
			}
		}
		if v, ok := f.get("secret_env"); ok {
			t.SecretEnv = p.envName(v, "secret_env")
		} else if t.Format == notify.FormatJSON {
			p.addf(item, "%s: format json needs secret_env, the server's environment variable that holds the key events are signed with; receivers tell stagehand's events from forgeries by it", what)
		}
		if v, ok := f.get("events"); ok {
			t.Events = p.kinds(v)
		}
		out = append(out, t)
	}
	return out
}

// secretURL: Slack's incoming webhook URLs carry their token in the path.
func secretURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && strings.EqualFold(u.Hostname(), "hooks.slack.com")
}

func (p *parser) envName(n *yaml.Node, key string) string {
	s, ok := p.str(n, key)
	if !ok {
		return ""
	}
	if why := notify.CheckEnv(s); why != "" {
		p.addf(n, "%s: %s", key, why)
	}
	return s
}

// kinds reads a receiver's events: a non-empty list of event names.
func (p *parser) kinds(n *yaml.Node) []notify.Kind {
	items, ok := p.list(n, "events")
	if !ok {
		return nil
	}
	if len(items) == 0 {
		p.addf(n, "events: is empty; leave events out for every event")
	}
	var out []notify.Kind
	for _, item := range items {
		s, ok := p.str(item, "events")
		if !ok {
			continue
		}
		k, err := notify.ParseKind(s)
		switch {
		case err != nil:
			p.addf(item, "events: %v", err)
		case slices.Contains(out, k):
			p.addf(item, "events: %s is already listed", s)
		default:
			out = append(out, k)
		}
	}
	return out
}
