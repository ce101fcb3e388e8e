package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	jwt "github.com/golang-jwt/jwt/v4"

	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/registry"
)

// githubFlags are the GitHub App and registry settings that every command
// talking to GitHub shares; each flag defaults to its environment variable.
type githubFlags struct {
	apiURL, appID, keyFile, key, repo, base, insecure string
	pace                                              string
}

func (g *githubFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&g.apiURL, "github-api-url", env("STAGEHAND_GITHUB_API_URL", ""), "GitHub API URL; empty for github.com, https://HOST/api/v3 for GitHub Enterprise Server (STAGEHAND_GITHUB_API_URL)")
	fs.StringVar(&g.appID, "github-app-id", env("STAGEHAND_GITHUB_APP_ID", ""), "GitHub App ID (STAGEHAND_GITHUB_APP_ID)")
	fs.StringVar(&g.keyFile, "github-private-key-file", env("STAGEHAND_GITHUB_PRIVATE_KEY_FILE", ""), "path of the App's PEM private key (STAGEHAND_GITHUB_PRIVATE_KEY_FILE)")
	fs.StringVar(&g.key, "github-private-key", env("STAGEHAND_GITHUB_PRIVATE_KEY", ""), "the App's PEM private key itself, its newlines as they are or written \\n (STAGEHAND_GITHUB_PRIVATE_KEY)")
	fs.StringVar(&g.repo, "config-repo", env("STAGEHAND_CONFIG_REPO", ""), "which config repositories to serve, as owner/name or owner/* separated by commas (default: every repository of the App's installations with a .stagehand.yaml); one owner/name is served on --base-branch (STAGEHAND_CONFIG_REPO)")
	fs.StringVar(&g.base, "base-branch", env("STAGEHAND_BASE_BRANCH", "main"), "branch Argo CD or Flux deploys from, when STAGEHAND_CONFIG_REPO names one repository; otherwise each repository's default branch (STAGEHAND_BASE_BRANCH)")
	fs.StringVar(&g.insecure, "insecure-registries", env("STAGEHAND_INSECURE_REGISTRIES", ""), "comma-separated registry hosts allowed over plain HTTP (STAGEHAND_INSECURE_REGISTRIES)")
	fs.StringVar(&g.pace, "github-write-pace", env("STAGEHAND_GITHUB_WRITE_PACE", "80/1m,500/1h"), "at most this many content-generating GitHub requests per window, for each window given: GitHub's secondary limits (STAGEHAND_GITHUB_WRITE_PACE)")
}

// options are the GitHub App client's, every missing setting reported at
// once.
func (g *githubFlags) options() (githubapp.Options, error) {
	var errs []error
	id, err := strconv.ParseInt(g.appID, 10, 64)
	if g.appID == "" {
		errs = append(errs, errors.New("the GitHub App ID is not set: --github-app-id or STAGEHAND_GITHUB_APP_ID"))
	} else if err != nil || id <= 0 {
		errs = append(errs, fmt.Errorf("the GitHub App ID %q is not a positive number", g.appID))
	}
	key := []byte(unescapeKey(g.key))
	switch {
	case g.key != "" && g.keyFile != "":
		errs = append(errs, errors.New("set the App's private key once: --github-private-key-file or --github-private-key, not both"))
	case g.keyFile != "":
		if key, err = os.ReadFile(g.keyFile); err != nil {
			errs = append(errs, fmt.Errorf("read the App's private key: %w", err))
		}
	case g.key == "":
		errs = append(errs, errors.New("the App's private key is not set: --github-private-key-file or STAGEHAND_GITHUB_PRIVATE_KEY_FILE"))
	}
	if len(key) > 0 {
		// Checked here too so that a bad key is reported with the other
		// settings; the parser's message never quotes the key.
		if _, err := jwt.ParseRSAPrivateKeyFromPEM(key); err != nil {
			errs = append(errs, fmt.Errorf("the App's private key is not an RSA private key in PEM: %w", err))
		}
	}
	writes, err := githubapp.ParseRates(g.pace)
	if err != nil {
		errs = append(errs, fmt.Errorf("STAGEHAND_GITHUB_WRITE_PACE: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return githubapp.Options{}, usageError{msg: err.Error()}
	}
	return githubapp.Options{
		APIURL:     g.apiURL,
		AppID:      id,
		PrivateKey: key,
		Repo:       g.repo,
		UserAgent:  "stagehand/" + versionString(),
		Pace:       githubapp.Pace{Writes: writes},
	}, nil
}

// client builds the GitHub App client, reporting every missing setting at once.
func (g *githubFlags) client(ctx context.Context) (*githubapp.Client, error) {
	opts, err := g.options()
	if err != nil {
		return nil, err
	}
	return githubapp.New(ctx, opts)
}

// unescapeKey reads a PEM key given on one line with its newlines written
// as \n, as stagehand setup writes it (an env file holds one line per
// variable); a key with real newlines is left as it is.
func unescapeKey(k string) string {
	if strings.Contains(k, "\n") || !strings.Contains(k, `\n`) {
		return k
	}
	return strings.ReplaceAll(k, `\n`, "\n")
}

func (g *githubFlags) resolver(extra ...registry.Option) (*registry.Resolver, error) {
	opts := append([]registry.Option{registry.WithUserAgent("stagehand/" + versionString())}, extra...)
	if hosts := splitList(g.insecure); len(hosts) > 0 {
		opts = append(opts, registry.WithInsecure(hosts...))
	}
	return registry.New(opts...)
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
