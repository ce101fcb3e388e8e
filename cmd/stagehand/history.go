package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/stagehand-dev/stagehand/internal/api"
)

func runHistory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("history", "history [--repo OWNER/NAME] --app NAME [--server URL] [--json]\n\nShows what each stage of an app runs now, and the merges, promotions, rollbacks and holds\nstagehand recorded, newest first, from a running stagehand server. --repo names the config\nrepository, as the API's /api/v1/repos/OWNER/NAME/ routes do; without it, history asks\nfor the one STAGEHAND_CONFIG_REPO names, or the only one the server serves.", stderr)
	app := fs.String("app", "", "app, as named in .stagehand.yaml")
	server := fs.String("server", env("STAGEHAND_PUBLIC_URL", "http://localhost:8080"), "the stagehand server (STAGEHAND_PUBLIC_URL)")
	limit := fs.Int("limit", 20, "how many merges and actions to show")
	raw := fs.Bool("json", false, "print the API's JSON")
	repoFlag := fs.String("repo", "", repoUsage)
	token := fs.String("api-token", env("STAGEHAND_API_TOKEN", ""), "the server's API token, sent as a bearer token (STAGEHAND_API_TOKEN)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *app == "" {
		return usageError{msg: "--app is required"}
	}
	choice, err := chooseRepo(*repoFlag, env("STAGEHAND_CONFIG_REPO", ""))
	if err != nil {
		return err
	}
	// Without a repository named, the server's only one: the API's
	// routes of one repository answer 409 when it serves several.
	path := "/api/v1/apps/"
	if choice.repo != "" {
		owner, name, _ := strings.Cut(choice.repo, "/")
		path = "/api/v1/repos/" + url.PathEscape(owner) + "/" + url.PathEscape(name) + "/apps/"
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	srv := apiClient{server: strings.TrimRight(*server, "/"), token: *token}
	body, code, err := srv.get(ctx, path+url.PathEscape(*app)+"/history?limit="+fmt.Sprint(*limit))
	if code == http.StatusConflict && choice.repo == "" {
		var served []api.Repo
		if b, _, err := srv.get(ctx, "/api/v1/repos"); err == nil && json.Unmarshal(b, &served) == nil && len(served) > 1 {
			var names []string
			for _, r := range served {
				names = append(names, r.Repo)
			}
			return usageError{msg: fmt.Sprintf("which config repository? the server serves %d; say which with --repo: %s", len(names), strings.Join(names, ", "))}
		}
	}
	if err != nil {
		return err
	}
	if *raw {
		_, err := stdout.Write(body)
		return err
	}
	var h api.History
	if err := json.Unmarshal(body, &h); err != nil {
		return fmt.Errorf("the server's answer is not history: %w", err)
	}
	printHistory(stdout, h)
	return nil
}

// apiClient asks a stagehand server's API.
type apiClient struct{ server, token string }

// get is the body of GET path when it answers 200; otherwise an error
// saying what the server said, and its status.
func (c apiClient) get(ctx context.Context, path string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.server+path, nil)
	if err != nil {
		return nil, 0, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("ask %s: %w", c.server, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, resp.StatusCode, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return nil, resp.StatusCode, fmt.Errorf("%s: %s", resp.Status, e.Error)
		}
		return nil, resp.StatusCode, fmt.Errorf("%s from %s", resp.Status, c.server+path)
	}
	return body, resp.StatusCode, nil
}

func printHistory(w io.Writer, h api.History) {
	fmt.Fprintf(w, "%s (%s)\n", h.App, h.Image)
	for _, s := range h.Stages {
		now := s.Tag
		if s.Digest != "" {
			now += "@" + s.Digest
		}
		if s.Problem != "" {
			now = "? " + s.Problem
		}
		fmt.Fprintf(w, "  %-10s %s", s.Stage, now)
		if s.Hold != nil {
			fmt.Fprintf(w, "  [held by @%s", s.Hold.By)
			if s.Hold.Reason != "" {
				fmt.Fprintf(w, ": %s", s.Hold.Reason)
			}
			fmt.Fprint(w, "]")
		}
		fmt.Fprintln(w)
	}
	if len(h.Merges) > 0 {
		fmt.Fprintln(w, "\nmerged")
		for _, m := range h.Merges {
			fmt.Fprintf(w, "  %s  %-10s %s@%s  PR #%d by @%s", m.At.UTC().Format("2006-01-02 15:04"), m.Stage, m.Tag, m.Digest, m.PR, m.MergedBy)
			if m.Group != "" {
				fmt.Fprintf(w, " (group %s)", m.Group)
			}
			fmt.Fprintln(w)
		}
	}
	if len(h.Actions) > 0 {
		fmt.Fprintln(w, "\nactions")
		for _, a := range h.Actions {
			fmt.Fprintf(w, "  %s  @%s %s %s: %s", a.At.UTC().Format("2006-01-02 15:04"), a.Actor, a.Kind, a.Stage, a.Result)
			if a.ToTag != "" || a.ToDigest != "" {
				fmt.Fprintf(w, " %s@%s", a.ToTag, a.ToDigest)
			}
			if a.PR != 0 {
				fmt.Fprintf(w, " #%d", a.PR)
			}
			if a.Reason != "" {
				fmt.Fprintf(w, " (%s)", a.Reason)
			}
			fmt.Fprintln(w)
		}
	}
}
