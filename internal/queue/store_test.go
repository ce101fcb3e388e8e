package queue

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	cases := []struct {
		url, driver, target string
		wantErr             bool
	}{
		{"", DriverSQLite, DefaultSQLitePath, false},
		{"/var/lib/stagehand/queue.db", DriverSQLite, "/var/lib/stagehand/queue.db", false},
		{"queue.db", DriverSQLite, "queue.db", false},
		{"sqlite://data/queue.db", DriverSQLite, "data/queue.db", false},
		{"sqlite:///var/lib/queue.db", DriverSQLite, "/var/lib/queue.db", false},
		{"postgres://u:p@db:5432/stagehand?sslmode=require", DriverPostgres, "postgres://u:p@db:5432/stagehand?sslmode=require", false},
		{"postgresql://db/stagehand", DriverPostgres, "postgresql://db/stagehand", false},
		{"sqlite://", "", "", true},
		{"mysql://db/stagehand", "", "", true},
		{"queue.db?mode=memory", "", "", true},
	}
	for _, tc := range cases {
		driver, target, err := parseURL(tc.url)
		if (err != nil) != tc.wantErr || driver != tc.driver || target != tc.target {
			t.Errorf("parseURL(%q) = %q, %q, %v; want %q, %q, error %v", tc.url, driver, target, err, tc.driver, tc.target, tc.wantErr)
		}
	}
}

func FuzzParseURL(f *testing.F) {
	for _, seed := range []string{"", "q.db", "sqlite://x", "sqlite://", "postgres://a/b", "x://y", "a?b", "sqlite://#"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, url string) {
		driver, target, err := parseURL(url)
		switch {
		case err != nil:
			if driver != "" || target != "" {
				t.Errorf("parseURL(%q) failed but returned %q, %q", url, driver, target)
			}
		case driver == DriverPostgres:
			if target != url {
				t.Errorf("parseURL(%q): postgres target %q", url, target)
			}
		case driver == DriverSQLite:
			if target == "" || strings.ContainsAny(target, "?#") || strings.Contains(target, "://") && url != target {
				t.Errorf("parseURL(%q): sqlite path %q", url, target)
			}
		default:
			t.Errorf("parseURL(%q): driver %q", url, driver)
		}
	})
}

func TestOpenFailsClearly(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"unknown scheme":         "mysql://db/stagehand",
		"missing directory":      filepath.Join(t.TempDir(), "no", "such", "dir", "queue.db"),
		"postgres not listening": "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=5",
	}
	for name, url := range cases {
		_, err := Open(context.Background(), url, nil)
		if !errors.Is(err, ErrCannotOpen) {
			t.Errorf("%s: Open = %v, want ErrCannotOpen", name, err)
		}
	}
}

func TestOpenMigratesOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		url := b.fresh(t)
		for range 2 { // the second Open finds everything in place
			s := openStore(t, url)
			if err := s.Ready(context.Background()); err != nil {
				t.Errorf("Ready: %v", err)
			}
			if s.Driver() != b.name {
				t.Errorf("Driver = %q, want %q", s.Driver(), b.name)
			}
			_ = s.Close()
		}
	})
}
