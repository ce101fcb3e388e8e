package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDockerfileBuildsWhatMakeBuilds: the image's binary is built with the
// same command as `make build` (environment, flags, package), from sources
// the Dockerfile copies in, with the Go release go.mod asks for. There is
// no Docker engine here, so the check reads both files.
func TestDockerfileBuildsWhatMakeBuilds(t *testing.T) {
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join("../..", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	dockerfile, makefile, gomod := read("Dockerfile"), read("Makefile"), read("go.mod")

	buildLine := func(what, text string, re *regexp.Regexp) []string {
		m := re.FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("%s: no go build command", what)
		}
		line := strings.NewReplacer("$(GO)", "go", "$(VERSION)", "VERSION", "${VERSION}", "VERSION", "$VERSION", "VERSION").Replace(m[1])
		args := shellWords(line)
		// Where the binary is written differs (bin/ and /out/); nothing else may.
		if i := slices.Index(args, "-o"); i >= 0 && i+1 < len(args) {
			args = slices.Delete(args, i, i+2)
		}
		return args
	}
	fromMake := buildLine("Makefile", makefile, regexp.MustCompile(`(?m)^build:.*\n\t(.+)$`))
	fromDocker := buildLine("Dockerfile", dockerfile, regexp.MustCompile(`(?m)^RUN (.*go build .*)$`))
	if !slices.Equal(fromMake, fromDocker) {
		t.Errorf("the Dockerfile builds differently from make build:\n make:   %q\n docker: %q", fromMake, fromDocker)
	}

	// Every package and embedded file of the binary must be copied in.
	var copied []string
	for _, m := range regexp.MustCompile(`(?m)^COPY (?:--\S+ )*(.+) \S+$`).FindAllStringSubmatch(dockerfile, -1) {
		if strings.Contains(m[0], "--from=") {
			continue
		}
		copied = append(copied, strings.Fields(m[1])...)
	}
	out, err := exec.Command("go", "list", "-deps", "-f", `{{if .Module}}{{if .Module.Main}}{{.Dir}}{{range .EmbedFiles}} {{$.Dir}}/{{.}}{{end}}{{end}}{{end}}`, ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range strings.Fields(string(out)) {
		rel, err := filepath.Rel(root, p)
		if err != nil {
			t.Fatal(err)
		}
		rel = filepath.ToSlash(rel)
		if !slices.ContainsFunc(copied, func(c string) bool {
			c = strings.TrimPrefix(strings.TrimSuffix(c, "/"), "./")
			return rel == c || strings.HasPrefix(rel, c+"/")
		}) {
			t.Errorf("the binary needs %s, which the Dockerfile does not copy (it copies %v)", rel, copied)
		}
	}

	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(gomod)
	image := regexp.MustCompile(`(?m)^FROM golang:(\d+\.\d+)`).FindStringSubmatch(dockerfile)
	if goVersion == nil || image == nil || goVersion[1] != image[1] {
		t.Errorf("go.mod asks for Go %v; the Dockerfile builds with golang:%v", goVersion, image)
	}
}

// shellWords splits a command line at spaces outside double quotes.
func shellWords(s string) []string {
	var out []string
	var cur strings.Builder
	quoted, inWord := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, inWord = !quoted, true
		case r == ' ' && !quoted:
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
			}
			inWord = false
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out
}
