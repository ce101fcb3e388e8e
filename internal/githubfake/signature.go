package githubfake

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// signature is a commit's author or committer.
type signature struct {
	Name  string
	Email string
	When  time.Time
}

// parseSignature reads "Name <email> 1700000000 +0100".
func parseSignature(s string) signature {
	var sig signature
	lt, gt := strings.IndexByte(s, '<'), strings.LastIndexByte(s, '>')
	if lt < 0 || gt < lt {
		return sig
	}
	sig.Name = strings.TrimSpace(s[:lt])
	sig.Email = s[lt+1 : gt]
	f := strings.Fields(s[gt+1:])
	if len(f) >= 1 {
		if secs, err := strconv.ParseInt(f[0], 10, 64); err == nil {
			loc := time.UTC
			if len(f) == 2 {
				loc = zone(f[1])
			}
			sig.When = time.Unix(secs, 0).In(loc)
		}
	}
	return sig
}

// zone turns git's "+0130" into a fixed zone.
func zone(tz string) *time.Location {
	if len(tz) != 5 {
		return time.UTC
	}
	h, err1 := strconv.Atoi(tz[1:3])
	m, err2 := strconv.Atoi(tz[3:5])
	if err1 != nil || err2 != nil {
		return time.UTC
	}
	off := (h*60 + m) * 60
	if tz[0] == '-' {
		off = -off
	}
	return time.FixedZone(tz, off)
}

// gitDate formats t the way git's *_DATE variables read it.
func gitDate(t time.Time) string {
	_, off := t.Zone()
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("@%d %c%02d%02d", t.Unix(), sign, off/3600, off%3600/60)
}

// cleanIdent drops what git refuses inside a name or email.
func cleanIdent(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '<', '>', '\n', '\r', 0:
			return -1
		}
		return r
	}, s)
}

// writeCommit stores a commit object and returns its SHA.
func (g *gitRepo) writeCommit(ctx context.Context, tree string, parents []string, author, committer signature, message string) (string, error) {
	args := []string{"commit-tree", tree}
	for _, p := range parents {
		args = append(args, "-p", p)
	}
	env := []string{
		"GIT_AUTHOR_NAME=" + cleanIdent(author.Name), "GIT_AUTHOR_EMAIL=" + cleanIdent(author.Email),
		"GIT_AUTHOR_DATE=" + gitDate(author.When),
		"GIT_COMMITTER_NAME=" + cleanIdent(committer.Name), "GIT_COMMITTER_EMAIL=" + cleanIdent(committer.Email),
		"GIT_COMMITTER_DATE=" + gitDate(committer.When),
	}
	out, err := g.run(ctx, []byte(message), env, args...)
	if err != nil {
		return "", err
	}
	sha := strings.TrimSpace(string(out))
	if !fullSHA.MatchString(sha) {
		return "", fmt.Errorf("commit-tree: unexpected output %q", out)
	}
	return sha, nil
}
