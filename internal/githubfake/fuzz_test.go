package githubfake

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzParseTree: any bytes give entries or an error, never a panic, and
// every entry has a 40-hex id and a known type.
func FuzzParseTree(f *testing.F) {
	f.Add([]byte("100644 a.txt\x00" + strings.Repeat("\x01", 20) + "40000 dir\x00" + strings.Repeat("\xff", 20)))
	f.Add([]byte("160000 sub\x00" + strings.Repeat("a", 20)))
	f.Add([]byte("100644 short\x00abc"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := parseTree(data)
		if err != nil {
			return
		}
		for _, e := range entries {
			if !fullSHA.MatchString(e.SHA) || modeType[e.Mode] == "" && e.Type != "blob" {
				t.Fatalf("entry %+v", e)
			}
		}
	})
}

// FuzzParseCommit: commit headers and signatures of any shape decode
// without panicking.
func FuzzParseCommit(f *testing.F) {
	f.Add([]byte("tree " + emptyTree + "\nparent " + emptyTree + "\nauthor A <a@b> 1700000000 +0130\ncommitter C <c@d> 1700000000 -0800\n\nmessage"))
	f.Add([]byte("tree x\nauthor <> \n\n"))
	f.Add([]byte("author Name <broken 17 +99999\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parseCommit(data)
		if err == nil && c.Tree == "" {
			t.Fatal("commit without a tree accepted")
		}
	})
}

// FuzzLabelNames: add-labels bodies in any shape.
func FuzzLabelNames(f *testing.F) {
	for _, seed := range []string{`["a","b"]`, `{"labels":["a",{"name":"b"}]}`, `{"labels":[1]}`, `null`, `{`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _ = labelNames(body)
	})
}

// FuzzRoute: any request path matches at most one operation, and a match
// gives back parameters that re-escape to a path kin-openapi's router
// routes to the same operation.
func FuzzRoute(f *testing.F) {
	for _, seed := range []string{
		"/repos/acme/config/contents/apps/web/overlays/staging/kustomization.yaml",
		"/repos/acme/config/git/ref/heads/stagehand/staging/web",
		"/repos/acme/config/branches/a%2Fb/protection/required_status_checks",
		"/repos/acme/config/commits/abc/status",
		"/repos/acme/config/pulls/1/merge",
		"/repos/%zz/x",
	} {
		f.Add("GET", seed)
	}
	sp, err := sharedSpec()
	if err != nil {
		f.Fatal(err)
	}
	routes, err := buildRoutes(sp.doc)
	if err != nil {
		f.Fatal(err)
	}
	s := &Server{spec: sp}
	f.Fuzz(func(t *testing.T, method, path string) {
		u, err := url.Parse(path)
		if err != nil {
			return
		}
		rt, params, found := match(routes, method, u.EscapedPath())
		if !found {
			return
		}
		for _, v := range params {
			if v == "" {
				t.Fatalf("empty parameter in %q", path)
			}
		}
		if _, err := s.kinRoute(&call{r: &http.Request{Method: method}, route: rt, params: params}); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	})
}
