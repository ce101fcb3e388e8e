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
	fs := newFlagSet("history", "history --app NAME [--repo OWNER/NAME] [--server URL] [--json]\n\nShows what each stage of an app runs now, and the merges, promotions, rollbacks and holds\nstagehand recorded, newest first, from a running stagehand server.", stderr)
	app := fs.String("app", "", "app, as named in .stagehand.yaml")
	server := fs.String("server", env("STAGEHAND_PUBLIC_URL", "http://localhost:8080"), "the stagehand server (STAGEHAND_PUBLIC_URL)")
	limit := fs.Int("limit", 20, "how many merges and actions to show")
	raw := fs.Bool("json", false, "print the API's JSON")
	repo := fs.String("repo", "", "the config repository, owner/name, when the server serves several")
	token := fs.String("api-token", env("STAGEHAND_API_TOKEN", ""), "the server's API token, sent as a bearer token (STAGEHAND_API_TOKEN)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *app == "" {
		return usageError{msg: "--app is required"}
	}
	path := "/api/v1/apps/"
	if *repo != "" {
		owner, name, ok := strings.Cut(*repo, "/")
		if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
			return usageError{msg: fmt.Sprintf("--repo %q: want owner/name", *repo)}
		}
		path = "/api/v1/repos/" + url.PathEscape(owner) + "/" + url.PathEscape(name) + "/apps/"
	}
	u := strings.TrimRight(*server, "/") + path + url.PathEscape(*app) + "/history?limit=" + fmt.Sprint(*limit)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	if *token != "" {
		req.Header.Set("Authorization", "Bearer "+*token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("ask %s: %w", *server, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s: %s", resp.Status, e.Error)
		}
		return fmt.Errorf("%s from %s", resp.Status, u)
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
