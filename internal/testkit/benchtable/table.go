package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// results are the values each benchmark reported, by "pkg name" and unit,
// one per run.
type results map[string]map[string][]float64

// add reads one line of `go test -bench` output; pkg is the package the
// lines are about (a "pkg:" line changes it), returned for the next line.
func (r results) add(pkg, line string) string {
	if p, ok := strings.CutPrefix(line, "pkg: "); ok {
		return strings.TrimSpace(p)
	}
	f := strings.Fields(line)
	if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
		return pkg
	}
	if _, err := strconv.Atoi(f[1]); err != nil { // the iterations
		return pkg
	}
	name := f[0]
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil { // -GOMAXPROCS
			name = name[:i]
		}
	}
	key := shortPkg(pkg) + " " + name
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			continue
		}
		if r[key] == nil {
			r[key] = map[string][]float64{}
		}
		r[key][f[i+1]] = append(r[key][f[i+1]], v)
	}
	return pkg
}

// shortPkg drops the module path: "cmd/stagehand", "internal/queue".
func shortPkg(pkg string) string {
	for _, top := range []string{"/cmd/", "/internal/"} {
		if i := strings.Index(pkg, top); i >= 0 {
			return pkg[i+1:]
		}
	}
	return pkg
}

// row is one figure of the table: a benchmark's unit, and what is wanted
// of its median ("≥ 5000", "≤ 20", "= 0"; empty: shown, not judged).
type row struct {
	what, bench, unit, want string
}

// render writes the table and returns how many figures miss their want.
func render(w io.Writer, r results, rows []row) (failed int) {
	fmt.Fprintln(w, "| what | benchmark | unit | min | median | max | runs | wanted |")
	fmt.Fprintln(w, "|---|---|---|---:|---:|---:|---:|---|")
	for _, rw := range rows {
		vals := r[rw.bench][rw.unit]
		if len(vals) == 0 {
			fmt.Fprintf(w, "| %s | %s | %s | | not run | | 0 | %s |\n", rw.what, rw.bench, rw.unit, rw.want)
			continue
		}
		lo, mid, hi := spread(vals)
		verdict := rw.want
		if rw.want != "" {
			ok, err := meets(mid, rw.want)
			switch {
			case err != nil:
				verdict += " (" + err.Error() + ")"
			case ok:
				verdict += " ✓"
			default:
				verdict += " ✗"
				failed++
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %d | %s |\n", rw.what, rw.bench, rw.unit, num(lo), num(mid), num(hi), len(vals), verdict)
	}
	return failed
}

// spread is the minimum, median and maximum of vals.
func spread(vals []float64) (lo, mid, hi float64) {
	s := slices.Sorted(slices.Values(vals))
	n := len(s)
	mid = s[n/2]
	if n%2 == 0 {
		mid = (s[n/2-1] + s[n/2]) / 2
	}
	return s[0], mid, s[n-1]
}

// meets says whether v meets want, "≥ x", "≤ x" or "= x".
func meets(v float64, want string) (bool, error) {
	op, num, ok := strings.Cut(strings.TrimSpace(want), " ")
	if !ok {
		return false, fmt.Errorf("want %q is not \"op number\"", want)
	}
	x, err := strconv.ParseFloat(strings.ReplaceAll(num, ",", ""), 64)
	if err != nil {
		return false, fmt.Errorf("want %q: %w", want, err)
	}
	switch op {
	case "≥":
		return v >= x, nil
	case "≤":
		return v <= x, nil
	case "=":
		return v == x, nil
	}
	return false, fmt.Errorf("want %q: unknown comparison %q", want, op)
}

// num prints a figure with the precision it needs.
func num(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}
