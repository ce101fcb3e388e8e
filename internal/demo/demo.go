// Package demo runs stagehand's whole story in one process: a real OCI
// registry (go-containerregistry's), the GitHub stand-in on a real git
// repository, and the promotion engine moving one image through three
// stages. It needs no network and no credentials.
package demo

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	ggcrname "github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/stagehand-dev/stagehand/internal/db"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/githubfake"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/registry"
	"github.com/stagehand-dev/stagehand/internal/store"
)

// Image is the repository the sample config repository deploys; the demo
// registry serves it as a mirror of ghcr.io.
const Image = "ghcr.io/acme/web"

// Options configure a run.
type Options struct {
	// Seed is a config repository checkout to start from, such as
	// testdata/configrepo.
	Seed string
	// Validate checks every GitHub request and response against GitHub's
	// REST description, as the tests do.
	Validate bool
	// Engine, when set, adjusts the engine's options before it is built
	// (a scheduler, links, a clock).
	Engine func(*promote.Options)
	// Pace is the GitHub client's pace; the default is github.com's
	// (githubapp.DefaultWrites). A benchmark of the engine's own cost sets
	// it high, so that it measures the engine and not the pacer.
	Pace githubapp.Pace
}

// Result is what a run ends with, for tests to check.
type Result struct {
	Digest   string            // the digest the last push resolved to
	Rendered map[string]string // stage → image its overlay renders
}

// World is a local stagehand world: an OCI registry serving ghcr.io/acme
// as a mirror, the GitHub stand-in seeded with a config repository, the
// GitHub App client talking to it, and the engine. The demo tells its story
// in one; the end-to-end tests and benchmarks drive one directly.
type World struct {
	Registry *httptest.Server
	GitHub   *githubfake.Server
	Client   *githubapp.Client
	Resolver *registry.Resolver
	DB       *db.DB
	Store    *store.Store
	Engine   *promote.Engine
	host     string
	dir      string
}

// Run tells the story on w.
func Run(ctx context.Context, w io.Writer, opts Options) (Result, error) {
	if st, err := os.Stat(opts.Seed); err != nil || !st.IsDir() {
		return Result{}, fmt.Errorf("the sample config repository %q is not a directory; run the demo from a stagehand checkout (make demo) or pass --config-repo DIR", opts.Seed)
	}
	wd, err := Start(ctx, opts)
	if err != nil {
		return Result{}, err
	}
	defer wd.Close()
	return wd.story(ctx, w, opts.Seed)
}

// Start starts a World; Close stops it.
func Start(ctx context.Context, opts Options) (*World, error) {
	wd := &World{}
	wd.Registry = httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	wd.host = strings.TrimPrefix(wd.Registry.URL, "http://")

	key, err := githubfake.GenerateAppKey()
	if err != nil {
		wd.Close()
		return nil, err
	}
	wd.GitHub, err = githubfake.New(githubfake.Options{Seed: opts.Seed, AppKey: &key.PublicKey, Validate: opts.Validate})
	if err != nil {
		wd.Close()
		return nil, fmt.Errorf("start the GitHub stand-in: %w", err)
	}
	wd.Client, err = githubapp.New(ctx, githubapp.Options{
		APIURL:     wd.GitHub.URL(),
		AppID:      1,
		PrivateKey: pemKey(key),
		Repo:       wd.GitHub.Owner() + "/" + wd.GitHub.Repo(),
		Pace:       opts.Pace,
	})
	if err != nil {
		wd.Close()
		return nil, err
	}
	resolver, err := registry.New(registry.WithInsecure(wd.host), registry.WithMirror("ghcr.io", wd.host))
	if err != nil {
		wd.Close()
		return nil, err
	}
	wd.Resolver = resolver
	// stagehand's own records (holds, merges, the audit log) in a database
	// of the world's own.
	if wd.dir, err = os.MkdirTemp("", "stagehand-demo-db-"); err != nil {
		wd.Close()
		return nil, err
	}
	if wd.DB, err = db.Open(ctx, "sqlite://"+filepath.Join(wd.dir, "stagehand.db"), slog.New(slog.DiscardHandler)); err != nil {
		wd.Close()
		return nil, err
	}
	wd.Store = store.New(wd.DB)
	eo := promote.Options{GitHub: wd.Client, Records: wd.Store, Locks: wd.DB, Resolver: resolver}
	if opts.Engine != nil {
		opts.Engine(&eo)
	}
	if wd.Engine, err = promote.New(eo); err != nil {
		wd.Close()
		return nil, err
	}
	// As stagehand serve does when it starts: read the config once, and
	// learn the open stagehand PRs.
	if _, err := wd.Engine.Config(ctx); err != nil {
		wd.Close()
		return nil, err
	}
	if err := wd.Engine.LearnOpenPRs(ctx); err != nil {
		wd.Close()
		return nil, err
	}
	return wd, nil
}

// Close stops the registry and the GitHub stand-in and removes the
// database.
func (wd *World) Close() {
	if wd.DB != nil {
		_ = wd.DB.Close()
	}
	if wd.dir != "" {
		_ = os.RemoveAll(wd.dir)
	}
	if wd.GitHub != nil {
		wd.GitHub.Close()
	}
	if wd.Registry != nil {
		wd.Registry.Close()
	}
}

// Push uploads a new random image to the registry as ghcr.io/acme/web:tag,
// a multi-arch index when index is set, and returns its digest.
func (wd *World) Push(ctx context.Context, tag string, index bool) (v1.Hash, error) {
	return wd.PushTo(ctx, "acme/web", tag, index)
}

// PushTo is Push of another repository of ghcr.io, such as acme/api: for
// worlds whose config repository has more apps than the sample's.
func (wd *World) PushTo(ctx context.Context, repo, tag string, index bool) (v1.Hash, error) {
	ref, err := ggcrname.ParseReference(wd.host+"/"+repo+":"+tag, ggcrname.Insecure)
	if err != nil {
		return v1.Hash{}, err
	}
	if index {
		idx, err := random.Index(256, 1, 2)
		if err != nil {
			return v1.Hash{}, err
		}
		if err := remote.WriteIndex(ref, idx, remote.WithContext(ctx)); err != nil {
			return v1.Hash{}, err
		}
		return idx.Digest()
	}
	img, err := random.Image(256, 1)
	if err != nil {
		return v1.Hash{}, err
	}
	if err := remote.Write(ref, img, remote.WithContext(ctx)); err != nil {
		return v1.Hash{}, err
	}
	return img.Digest()
}
