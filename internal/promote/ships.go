package promote

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/registry"
)

// maxShipCommits bounds the commits a PR body lists; the compare link
// shows them all.
const maxShipCommits = 20

// ships is what a proposal ships, as the images say and the source
// repository tells: read (thin, in apply) before the PR's words are made,
// rendered (pure) in its body. The zero value says nothing.
type ships struct {
	to, from registry.Origin // the proposed image's, and the one the stage runs now
	// owner/repo and the compare link, when both images come from the same
	// GitHub repository at different revisions.
	owner, repo string
	compare     string
	// commits between them, oldest first, when the App could read them;
	// total counts them all.
	commits []githubapp.Commit
	total   int
	read    bool
}

// ships reads what p ships: the images' origins from the registry, and
// the commits between them through the App where it can. Nothing here
// fails a promotion: what cannot be read is left out, and logged.
func (e *Engine) ships(ctx context.Context, p Plan) ships {
	var s ships
	if e.origins == nil || p.Want.Digest == "" {
		return s
	}
	log := e.log.With("app", p.App.Name, "stage", p.Stage.Name, "digest", p.Want.Digest)
	to, err := e.origins.Origin(ctx, p.Want.Image, p.Want.Digest)
	if err != nil {
		log.Warn("could not read the image's source annotations; the PR says nothing of its source", "err", err)
		return s
	}
	if s.to = to; to.Source == "" {
		return s
	}
	if p.From.Digest != "" && p.From.Digest != p.Want.Digest {
		if s.from, err = e.origins.Origin(ctx, p.Want.Image, p.From.Digest); err != nil {
			log.Warn("could not read the running image's source annotations; the PR shows no comparison", "err", err)
		}
	}
	owner, repo, ok := registry.GitHubRepo(to.Source)
	fo, fr, fok := registry.GitHubRepo(s.from.Source)
	if !ok || !fok || !strings.EqualFold(owner, fo) || !strings.EqualFold(repo, fr) || to.Revision == "" || s.from.Revision == "" || to.Revision == s.from.Revision {
		return s
	}
	s.owner, s.repo = owner, repo
	s.compare = fmt.Sprintf("https://github.com/%s/%s/compare/%s...%s", owner, repo, s.from.Revision, to.Revision)
	if e.compare == nil {
		return s
	}
	key := strings.ToLower(owner+"/"+repo) + " " + s.from.Revision + "..." + to.Revision
	c, err := e.compared.get(key, func() (githubapp.Comparison, error) {
		return e.compare.CompareCommits(ctx, owner, repo, s.from.Revision, to.Revision, maxShipCommits)
	})
	if err != nil {
		// Not installed there (404), not allowed (403), or gone: the link
		// still works for whoever may read the repository.
		log.Info("could not list the commits between the images' revisions; the PR links the comparison only", "repo", owner+"/"+repo, "err", err)
		return s
	}
	s.commits, s.total, s.read = c.Commits, c.Total, true
	return s
}

// comparisons keeps the commits between two revisions once read: a PR's
// every update (its checks change often) asks again, and between two
// commits the answer does not change. Failures are not kept. When full it
// starts over.
type comparisons struct {
	mu sync.Mutex
	m  map[string]githubapp.Comparison
}

const maxComparisons = 256

func (c *comparisons) get(key string, read func() (githubapp.Comparison, error)) (githubapp.Comparison, error) {
	c.mu.Lock()
	got, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return got, nil
	}
	got, err := read()
	if err != nil {
		return got, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxComparisons {
		c.m = map[string]githubapp.Comparison{}
	}
	c.m[key] = got
	return got, nil
}

// text is the PR body's account of what ships, "" when the image says
// nothing of its source.
func (s ships) text() string {
	if s.to.Source == "" {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "- **Built from:** %s", s.to.Source)
	if s.to.Revision != "" {
		fmt.Fprintf(&b, " at `%s`", s.to.Revision)
	}
	if s.from.Source != "" && s.from.Revision != "" && s.from.Revision != s.to.Revision {
		fmt.Fprintf(&b, " (now `%s`", s.from.Revision)
		if s.from.Source != s.to.Source {
			fmt.Fprintf(&b, " from %s", s.from.Source)
		}
		b.WriteString(")")
	}
	b.WriteString("\n")
	if s.compare == "" {
		return b.String()
	}
	what := fmt.Sprintf("[%s...%s](%s)", shortRev(s.from.Revision), shortRev(s.to.Revision), s.compare)
	if !s.read {
		fmt.Fprintf(&b, "\n**What ships:** the changes in %s/%s %s.\n", s.owner, s.repo, what)
		return b.String()
	}
	noun := "commits"
	if s.total == 1 {
		noun = "commit"
	}
	fmt.Fprintf(&b, "\n**What ships:** %d %s of %s/%s, %s:\n\n", s.total, noun, s.owner, s.repo, what)
	for _, c := range s.commits {
		fmt.Fprintf(&b, "- [`%s`](https://github.com/%s/%s/commit/%s) %s\n", shortRev(c.SHA), s.owner, s.repo, c.SHA, plainLine(c.Message))
	}
	if more := s.total - len(s.commits); more > 0 {
		fmt.Fprintf(&b, "- and %d more\n", more)
	}
	return b.String()
}

// shortRev abbreviates a commit SHA as GitHub does; other revisions (a
// tag) stay as they are.
func shortRev(rev string) string {
	if len(rev) == 40 && strings.Trim(rev, "0123456789abcdef") == "" {
		return rev[:7]
	}
	return rev
}

// plainLine makes a commit's first line safe to show in a PR body: no
// mentions that would notify people, no issue references that would point
// into the config repository, no HTML, at most 100 characters.
func plainLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) > 100 {
		s = string([]rune(s)[:100]) + "…"
	}
	return strings.NewReplacer("@", "@\u200b", "#", "#\u200b", "<", "&lt;", ">", "&gt;", "\r", " ", "\n", " ").Replace(s)
}
