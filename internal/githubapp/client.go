package githubapp

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/bradleyfalzon/ghinstallation/v2"
	jwt "github.com/golang-jwt/jwt/v4"
	"github.com/google/go-github/v60/github"
)

// Options configure New. Only AppID, PrivateKey and Repo are required.
type Options struct {
	APIURL         string            // "" = https://api.github.com/; otherwise a GHES or test base URL (api/v3/ is appended unless present)
	AppID          int64             // the GitHub App's ID, the JWT issuer
	PrivateKey     []byte            // the App's private key, PEM
	InstallationID int64             // 0 = look it up once with the App JWT (GET /repos/{owner}/{repo}/installation)
	Repo           string            // "owner/name": the config repository; "" for the App's one installation, with no repository (ForRepo gives one)
	Transport      http.RoundTripper // base transport; nil = http.DefaultTransport
	UserAgent      string            // "" = "stagehand"
	Pace           Pace              // zero = GitHub's documented secondary limits
}

// Client is the GitHub App client for one config repository. It is safe for
// concurrent use. The clients ForRepo makes share its installation: one
// token, one cache, one pace and one rate limit, as GitHub counts them.
type Client struct {
	gh             *github.Client
	owner, name    string
	installationID int64
	calls          *atomic.Int64
	rateLeft       *atomic.Int64 // -1 until GitHub answers
	pacer          *pacer
}

// settings are Options validated and defaulted.
type settings struct {
	apiURL      string
	appID       int64
	key         *rsa.PrivateKey
	install     int64
	owner, name string
	transport   http.RoundTripper
	userAgent   string
}

// settle validates opts and applies every default, before any request is
// made, so a misconfiguration is reported at startup and all at once.
func settle(opts Options) (settings, error) {
	s := settings{
		apiURL:    opts.APIURL,
		appID:     opts.AppID,
		install:   opts.InstallationID,
		transport: opts.Transport,
		userAgent: opts.UserAgent,
	}
	var errs []error
	owner, name, ok := splitRepo(opts.Repo)
	if !ok && opts.Repo != "" {
		errs = append(errs, fmt.Errorf("repo %q: want \"owner/name\"", opts.Repo))
	}
	s.owner, s.name = owner, name
	if opts.AppID <= 0 {
		errs = append(errs, fmt.Errorf("app ID %d: must be positive", opts.AppID))
	}
	if opts.InstallationID < 0 {
		errs = append(errs, fmt.Errorf("installation ID %d: must be positive, or 0 to look it up", opts.InstallationID))
	}
	if len(opts.PrivateKey) == 0 {
		errs = append(errs, errors.New("private key: empty"))
	} else if key, err := jwt.ParseRSAPrivateKeyFromPEM(opts.PrivateKey); err != nil {
		// The parser's message never quotes the key.
		errs = append(errs, fmt.Errorf("private key: %w", err))
	} else {
		s.key = key
	}
	if s.apiURL != "" {
		u, err := url.Parse(s.apiURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("API URL %q: want an absolute http(s) URL", s.apiURL))
		}
	}
	if opts.Pace.Concurrent < 0 {
		errs = append(errs, fmt.Errorf("pace: %d concurrent requests: must be positive, or 0 for GitHub's 100", opts.Pace.Concurrent))
	}
	for _, r := range opts.Pace.Writes {
		if r.N <= 0 || r.Per <= 0 {
			errs = append(errs, fmt.Errorf("pace: %s: want a positive count per positive duration", r))
		}
	}
	if s.transport == nil {
		s.transport = http.DefaultTransport
	}
	if s.userAgent == "" {
		s.userAgent = "stagehand"
	}
	if err := errors.Join(errs...); err != nil {
		return settings{}, fmt.Errorf("githubapp options: %w", err)
	}
	return s, nil
}

// splitRepo splits "owner/name"; both parts must be non-empty and free of
// slashes and spaces.
func splitRepo(repo string) (owner, name string, ok bool) {
	owner, name, found := strings.Cut(repo, "/")
	if !found || owner == "" || name == "" || name == "." || name == ".." ||
		strings.ContainsAny(name, "/") || strings.ContainsAny(repo, " \t\r\n?#%") {
		return "", "", false
	}
	return owner, name, true
}

// New builds a client authenticated as the App's installation on opts.Repo.
// When opts.InstallationID is 0 it makes one call, signed with the App JWT,
// to find the installation.
func New(ctx context.Context, opts Options) (*Client, error) {
	s, err := settle(opts)
	if err != nil {
		return nil, err
	}
	c := &Client{owner: s.owner, name: s.name, calls: new(atomic.Int64), rateLeft: new(atomic.Int64)}
	c.rateLeft.Store(-1)

	base := userAgentTransport{next: s.transport, userAgent: s.userAgent}
	apps := ghinstallation.NewAppsTransportFromPrivateKey(base, s.appID, s.key)
	appGH, err := newGitHub(s, countingTransport{next: apps, n: c.calls})
	if err != nil {
		return nil, err
	}
	// ghinstallation exchanges tokens against the same API go-github talks to.
	apps.BaseURL = strings.TrimSuffix(appGH.BaseURL.String(), "/")

	c.installationID = s.install
	if c.installationID == 0 && s.owner == "" {
		insts, _, err := appGH.Apps.ListInstallations(ctx, &github.ListOptions{PerPage: 100})
		if err != nil {
			return nil, wrap("list the App's installations", err, nil)
		}
		switch len(insts) {
		case 0:
			return nil, errors.New("the App is not installed anywhere: install it on the config repositories")
		case 1:
			c.installationID = insts[0].GetID()
		default:
			var names []string
			for _, in := range insts {
				names = append(names, in.GetAccount().GetLogin())
			}
			return nil, fmt.Errorf("the App has %d installations (%s): set the config repository (STAGEHAND_CONFIG_REPO) to a repository of the one to serve", len(insts), strings.Join(names, ", "))
		}
	}
	if c.installationID == 0 {
		inst, _, err := appGH.Apps.FindRepositoryInstallation(ctx, s.owner, s.name)
		if err != nil {
			return nil, wrap(fmt.Sprintf("find the App's installation on %s/%s", s.owner, s.name), err, nil)
		}
		c.installationID = inst.GetID()
	}

	// Counting sits above ghinstallation so that its token exchanges, made
	// straight on the base transport, are not counted; the pacer above
	// counting, so that what it lets through is what is sent; retries
	// above the pacer, so that each try is paced. The cache sits below
	// counting (a revalidation is a request) and above the token, so that
	// what it keeps does not vary with the token, which changes hourly.
	itr := ghinstallation.NewFromAppsTransport(apps, c.installationID)
	c.pacer = newPacer(countingTransport{next: newCachingTransport(itr), n: c.calls, remaining: c.rateLeft}, opts.Pace)
	c.gh, err = newGitHub(s, newRetryTransport(c.pacer))
	if err != nil {
		return nil, err
	}
	return c, nil
}

func newGitHub(s settings, rt http.RoundTripper) (*github.Client, error) {
	gh := github.NewClient(&http.Client{Transport: rt})
	if s.apiURL != "" {
		var err error
		if gh, err = gh.WithEnterpriseURLs(s.apiURL, s.apiURL); err != nil {
			return nil, fmt.Errorf("API URL %q: %w", s.apiURL, err)
		}
	}
	gh.UserAgent = s.userAgent
	return gh, nil
}

// Installations lists the IDs of the App's installations, oldest first,
// asking with the App's JWT.
func Installations(ctx context.Context, opts Options) ([]int64, error) {
	opts.Repo = ""
	s, err := settle(opts)
	if err != nil {
		return nil, err
	}
	base := userAgentTransport{next: s.transport, userAgent: s.userAgent}
	appGH, err := newGitHub(s, ghinstallation.NewAppsTransportFromPrivateKey(base, s.appID, s.key))
	if err != nil {
		return nil, err
	}
	var ids []int64
	lo := &github.ListOptions{PerPage: 100}
	for {
		list, resp, err := appGH.Apps.ListInstallations(ctx, lo)
		if err != nil {
			return nil, wrap("list the App's installations", err, nil)
		}
		for _, in := range list {
			ids = append(ids, in.GetID())
		}
		if resp.NextPage == 0 {
			return ids, nil
		}
		lo.Page = resp.NextPage
	}
}

// ForRepo returns a client for another repository of the installation
// ("owner/name"), sharing this one's token, cache, pace and counts.
func (c *Client) ForRepo(repo string) (*Client, error) {
	owner, name, ok := splitRepo(repo)
	if !ok {
		return nil, fmt.Errorf("repo %q: want \"owner/name\"", repo)
	}
	cp := *c
	cp.owner, cp.name = owner, name
	return &cp, nil
}

// Repository is a repository the installation includes.
type Repository struct {
	FullName      string // owner/name
	DefaultBranch string
	Archived      bool
}

// InstallationRepos lists every repository the installation includes.
func (c *Client) InstallationRepos(ctx context.Context) ([]Repository, error) {
	var out []Repository
	opts := &github.ListOptions{PerPage: 100}
	for {
		list, resp, err := c.gh.Apps.ListRepos(ctx, opts)
		if err != nil {
			return nil, wrap("list the installation's repositories", err, nil)
		}
		for _, r := range list.Repositories {
			out = append(out, Repository{FullName: r.GetFullName(), DefaultBranch: r.GetDefaultBranch(), Archived: r.GetArchived()})
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// Repo returns the config repository's owner and name.
func (c *Client) Repo() (owner, name string) { return c.owner, c.name }

// InstallationID is the installation the client acts as, given or looked up.
func (c *Client) InstallationID() int64 { return c.installationID }

// Calls is the number of REST requests sent so far, including the one-time
// installation lookup and excluding installation token exchanges.
func (c *Client) Calls() int64 { return c.calls.Load() }

// Pace reports how the installation's requests were paced so far.
func (c *Client) Pace() PaceStats { return c.pacer.Stats() }

// RateLimitRemaining is the installation's primary rate limit left as
// GitHub last reported it, or -1 before any answer.
func (c *Client) RateLimitRemaining() int64 { return c.rateLeft.Load() }
