package githubfake

import (
	"context"
	"strconv"
	"strings"
)

// fileStat is one changed file between two commits.
type fileStat struct {
	Path      string
	Status    string // added, removed, modified
	SHA       string // blob after the change; "" when removed
	Additions int
	Deletions int
	Patch     string
}

type diffStat struct {
	files     []fileStat
	additions int
	deletions int
}

// diffStats compares head with its merge base with base (what a pull
// request shows), in one git process.
func (s *Server) diffStats(ctx context.Context, base, head string) (diffStat, error) {
	return s.diffRange(ctx, base+"..."+head)
}

// diffRange is diffStats over a range as git diff reads it: "a...b" from
// the merge base, "a..b" (or "a b") tree to tree.
func (s *Server) diffRange(ctx context.Context, spec string) (diffStat, error) {
	out, err := s.git.run(ctx, nil, nil, "diff", "--raw", "--numstat", "-z", "--no-renames", "--no-abbrev", spec)
	if err != nil {
		return diffStat{}, err
	}
	var d diffStat
	byPath := map[string]int{}
	tok := strings.Split(string(out), "\x00")
	for i := 0; i < len(tok); i++ {
		t := tok[i]
		switch {
		case t == "":
		case strings.HasPrefix(t, ":") && i+1 < len(tok):
			f := strings.Fields(t)
			i++
			st := fileStat{Path: tok[i], Status: "modified"}
			if len(f) == 5 {
				switch f[4] {
				case "A":
					st.Status = "added"
				case "D":
					st.Status = "removed"
				}
				if st.Status != "removed" {
					st.SHA = f[3]
				}
			}
			byPath[st.Path] = len(d.files)
			d.files = append(d.files, st)
		default:
			parts := strings.SplitN(t, "\t", 3)
			if len(parts) != 3 {
				continue
			}
			add, _ := strconv.Atoi(parts[0]) // "-" for binary files counts 0
			del, _ := strconv.Atoi(parts[1])
			if j, ok := byPath[parts[2]]; ok {
				d.files[j].Additions, d.files[j].Deletions = add, del
			}
			d.additions += add
			d.deletions += del
		}
	}
	return d, nil
}

// withPatches fills each file's patch: the hunks of a unified diff, as
// GitHub's "patch" field holds them (no file headers).
func (s *Server) withPatches(ctx context.Context, base, head string, d diffStat) (diffStat, error) {
	return s.withPatchesRange(ctx, base+"..."+head, d)
}

func (s *Server) withPatchesRange(ctx context.Context, spec string, d diffStat) (diffStat, error) {
	out, err := s.git.run(ctx, nil, nil, "diff", "--no-renames", "--no-color", "--no-ext-diff", spec)
	if err != nil {
		return d, err
	}
	sections := strings.Split("\n"+string(out), "\ndiff --git ")[1:]
	for i := range d.files {
		if i >= len(sections) {
			break
		}
		sec := sections[i]
		if at := strings.Index(sec, "\n@@"); at >= 0 {
			d.files[i].Patch = strings.TrimSuffix(sec[at+1:], "\n")
		}
	}
	return d, nil
}
