package db

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stagehand-dev/stagehand/internal/pgtest"
)

type backend struct {
	name  string
	fresh func(t testing.TB) string
}

var backends = []backend{
	{SQLite, func(t testing.TB) string { return "sqlite://" + filepath.Join(t.TempDir(), "stagehand.db") }},
	{Postgres, pgtest.Schema},
}

func forEachBackend(t *testing.T, test func(t *testing.T, b backend)) {
	t.Helper()
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			test(t, b)
		})
	}
}

func TestParseURL(t *testing.T) {
	cases := []struct {
		url, driver, target string
		wantErr             bool
	}{
		{"", SQLite, DefaultSQLitePath, false},
		{"/var/lib/stagehand/queue.db", SQLite, "/var/lib/stagehand/queue.db", false},
		{"queue.db", SQLite, "queue.db", false},
		{"sqlite://data/queue.db", SQLite, "data/queue.db", false},
		{"sqlite:///var/lib/queue.db", SQLite, "/var/lib/queue.db", false},
		{"postgres://u:p@db:5432/stagehand?sslmode=require", Postgres, "postgres://u:p@db:5432/stagehand?sslmode=require", false},
		{"postgresql://db/stagehand", Postgres, "postgresql://db/stagehand", false},
		{"sqlite://", "", "", true},
		{"mysql://db/stagehand", "", "", true},
		{"queue.db?mode=memory", "", "", true},
	}
	for _, tc := range cases {
		driver, target, err := ParseURL(tc.url)
		if (err != nil) != tc.wantErr || driver != tc.driver || target != tc.target {
			t.Errorf("ParseURL(%q) = %q, %q, %v; want %q, %q, error %v", tc.url, driver, target, err, tc.driver, tc.target, tc.wantErr)
		}
	}
}

func FuzzParseURL(f *testing.F) {
	for _, seed := range []string{"", "q.db", "sqlite://x", "sqlite://", "postgres://a/b", "x://y", "a?b", "sqlite://#"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, url string) {
		driver, target, err := ParseURL(url)
		switch {
		case err != nil:
			if driver != "" || target != "" {
				t.Errorf("ParseURL(%q) failed but returned %q, %q", url, driver, target)
			}
		case driver == Postgres:
			if target != url {
				t.Errorf("ParseURL(%q): postgres target %q", url, target)
			}
		case driver == SQLite:
			if target == "" || strings.ContainsAny(target, "?#") || strings.Contains(target, "://") && url != target {
				t.Errorf("ParseURL(%q): sqlite path %q", url, target)
			}
		default:
			t.Errorf("ParseURL(%q): driver %q", url, driver)
		}
	})
}

func TestOpenFailsClearly(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"unknown scheme":         "mysql://db/stagehand",
		"missing directory":      filepath.Join(t.TempDir(), "no", "such", "dir", "stagehand.db"),
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
			d, err := Open(context.Background(), url, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Ready(context.Background()); err != nil {
				t.Errorf("Ready: %v", err)
			}
			if d.Driver() != b.name {
				t.Errorf("Driver = %q, want %q", d.Driver(), b.name)
			}
			_ = d.Close()
		}
	})
}

// Lock lets one holder of a key at a time, across connections (and, on
// PostgreSQL, processes); other keys are not held up; a wait ends with
// ErrLockBusy.
func TestLock(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		url := b.fresh(t)
		d, err := Open(context.Background(), url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		ctx := context.Background()
		var inside, most atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				release, err := d.Lock(ctx, "web/staging", 10*time.Second)
				if err != nil {
					t.Error(err)
					return
				}
				n := inside.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				time.Sleep(5 * time.Millisecond)
				inside.Add(-1)
				release()
			})
		}
		wg.Wait()
		if most.Load() != 1 {
			t.Errorf("%d holders at once", most.Load())
		}
		release, err := d.Lock(ctx, "web/staging", time.Second)
		if err != nil {
			t.Fatal(err)
		}
		other, err := d.Lock(ctx, "web/prod", 100*time.Millisecond)
		if err != nil {
			t.Errorf("another key waited for this one: %v", err)
		} else {
			other()
		}
		if _, err := d.Lock(ctx, "web/staging", 50*time.Millisecond); !errors.Is(err, ErrLockBusy) {
			t.Errorf("a held key: %v, want ErrLockBusy", err)
		}
		release()
	})
}
