package githubfake

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
)

// Options configure a fake. Zero values take the defaults listed.
type Options struct {
	Owner, Repo   string // default "acme", "config"
	DefaultBranch string // default "main"

	// Seed is a directory whose files make the first commit on the default
	// branch; SeedFiles add to (or replace) them. With neither, the first
	// commit has an empty tree.
	Seed      string
	SeedFiles map[string][]byte

	AppID          int64          // default 1
	AppKey         *rsa.PublicKey // required: verifies the App's JWTs
	InstallationID int64          // default 42

	// Validate checks every request and response against GitHub's REST
	// description, and every webhook payload against GitHub's webhook
	// description; NewTest turns it on.
	Validate bool

	// Logf, if set, gets one line per request.
	Logf func(format string, args ...any)

	// Faults, if set, chooses a fault for API requests from the start
	// (see SetFaults, RandomFaults); FaultRetryAfter is the Retry-After,
	// in seconds, of an injected FaultSecondaryLimit (default 1).
	Faults          FaultFunc
	FaultRetryAfter int

	// SecondaryLimits, if set, enforces GitHub's secondary rate limits;
	// off by default.
	SecondaryLimits *SecondaryLimits

	// Webhook, if set and active, receives the App's webhook deliveries
	// (see SetWebhook to set it once running).
	Webhook *Webhook
}

// ErrOptions reports unusable options.
var ErrOptions = errors.New("githubfake: invalid options")

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// withDefaults fills in defaults and rejects what cannot work.
func (o Options) withDefaults() (Options, error) {
	if o.Owner == "" {
		o.Owner = "acme"
	}
	if o.Repo == "" {
		o.Repo = "config"
	}
	if o.DefaultBranch == "" {
		o.DefaultBranch = "main"
	}
	if o.AppID == 0 {
		o.AppID = 1
	}
	if o.InstallationID == 0 {
		o.InstallationID = 42
	}
	if o.FaultRetryAfter == 0 {
		o.FaultRetryAfter = 1
	}
	var errs []error
	if o.FaultRetryAfter < 0 {
		errs = append(errs, errors.New("FaultRetryAfter must not be negative"))
	}
	if o.SecondaryLimits != nil {
		l := o.SecondaryLimits.withDefaults()
		if l.Window < 0 {
			errs = append(errs, errors.New("SecondaryLimits.Window must not be negative"))
		}
		if l.Status != http.StatusForbidden && l.Status != http.StatusTooManyRequests {
			errs = append(errs, fmt.Errorf("SecondaryLimits.Status %d: GitHub answers 403 or 429", l.Status))
		}
		o.SecondaryLimits = &l
	}
	if w := o.Webhook; w != nil && w.Active {
		if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("Webhook.URL %q is not an http(s) URL", w.URL))
		}
	}
	if o.AppKey == nil {
		errs = append(errs, errors.New("AppKey is required"))
	}
	if !namePattern.MatchString(o.Owner) || !namePattern.MatchString(o.Repo) {
		errs = append(errs, fmt.Errorf("owner/repo %q/%q is not a valid GitHub name", o.Owner, o.Repo))
	}
	if !validRefName("refs/heads/" + o.DefaultBranch) {
		errs = append(errs, fmt.Errorf("default branch %q is not a valid branch name", o.DefaultBranch))
	}
	if o.AppID < 0 || o.InstallationID < 0 {
		errs = append(errs, errors.New("AppID and InstallationID must be positive"))
	}
	if o.Seed != "" {
		if st, err := os.Stat(o.Seed); err != nil || !st.IsDir() {
			errs = append(errs, fmt.Errorf("seed %q is not a directory", o.Seed))
		}
	}
	if len(errs) > 0 {
		return o, fmt.Errorf("%w: %w", ErrOptions, errors.Join(errs...))
	}
	return o, nil
}
