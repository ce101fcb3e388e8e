package notify

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Target is a receiver of events, as a config repository names it in
// .stagehand.yaml: where to send, in which format, signed with which key,
// and which kinds. URLs and keys that are secrets are named as
// environment variables of the server, never written in the repository.
type Target struct {
	URL       string // the receiver's URL, when it is no secret; or
	URLEnv    string // the environment variable that holds it (a Slack webhook URL is a secret)
	Format    Format
	SecretEnv string // the environment variable that holds the HMAC key; "" signs nothing
	Events    []Kind // nil for every kind
}

// Takes reports whether t wants events of kind k.
func (t Target) Takes(k Kind) bool { return len(t.Events) == 0 || slices.Contains(t.Events, k) }

// Server is the server-wide receiver (STAGEHAND_NOTIFY_URL and friends),
// which gets the events of every config repository the server works.
type Server struct {
	URL    string
	Format Format
	Secret string
	Events []Kind
}

// The server-wide receiver's settings; a config repository may not name
// them as its own receivers' variables.
const (
	EnvURL    = "STAGEHAND_NOTIFY_URL"
	EnvFormat = "STAGEHAND_NOTIFY_FORMAT"
	EnvSecret = "STAGEHAND_NOTIFY_SECRET"
	EnvEvents = "STAGEHAND_NOTIFY_EVENTS"
)

// EnvPrefix begins every environment variable a config repository may
// name: whoever can change .stagehand.yaml must not be able to have
// stagehand send its other secrets (the App's webhook secret, say) to a
// URL of their choosing, or sign with them.
const EnvPrefix = "STAGEHAND_NOTIFY_"

var envName = regexp.MustCompile(`^STAGEHAND_NOTIFY_[A-Z0-9_]+$`)

// CheckEnv says what is wrong with name as a variable a config repository
// names, or "".
func CheckEnv(name string) string {
	switch {
	case !envName.MatchString(name):
		return fmt.Sprintf("%q is not an environment variable stagehand reads for a receiver; name one that starts with %s, in capitals, digits and _ (such as %sSLACK_URL)", name, EnvPrefix, EnvPrefix)
	case slices.Contains([]string{EnvURL, EnvFormat, EnvSecret, EnvEvents}, name):
		return fmt.Sprintf("%s is the server-wide receiver's setting; give this receiver a variable of its own (such as %sTEAM_SECRET)", name, EnvPrefix)
	}
	return ""
}

// CheckURL says what is wrong with s as a receiver's URL, or "": only
// absolute http:// and https:// URLs are sent to.
func CheckURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "is not a URL"
	case u.Scheme != "https" && u.Scheme != "http":
		return "must be an http:// or https:// URL"
	case u.Host == "" || u.Hostname() == "":
		return "has no host"
	}
	return ""
}

// ParseFormat reads a format's name.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatJSON, FormatSlack:
		return f, nil
	}
	return "", fmt.Errorf("%q is not a format; use json or slack", s)
}

// ParseServer reads the server-wide receiver's settings: nil when url is
// empty, every problem at once otherwise. A JSON receiver needs a secret,
// since it is what tells a receiver that the event is stagehand's.
func ParseServer(rawURL, format, secret, events string) (*Server, error) {
	if rawURL == "" {
		if secret != "" || events != "" {
			return nil, fmt.Errorf("%s is empty but %s or %s is set: set the URL too, or neither", EnvURL, EnvSecret, EnvEvents)
		}
		return nil, nil
	}
	var errs []error
	if why := CheckURL(rawURL); why != "" {
		// The URL itself may be a secret (Slack's is): never repeat it.
		errs = append(errs, fmt.Errorf("%s %s", EnvURL, why))
	}
	s := &Server{URL: rawURL, Secret: secret}
	if format == "" {
		format = string(FormatJSON)
	}
	f, err := ParseFormat(format)
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", EnvFormat, err))
	}
	s.Format = f
	if f == FormatJSON && secret == "" {
		errs = append(errs, fmt.Errorf("%s is json but %s is empty: receivers tell stagehand's events from forgeries by the signature; set a secret (openssl rand -hex 32)", EnvFormat, EnvSecret))
	}
	for _, name := range strings.Split(events, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		k, err := ParseKind(name)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", EnvEvents, err))
			continue
		}
		s.Events = append(s.Events, k)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}
