package main

// The dashboard as a person uses it: headless Chromium (Debian's chromium
// package, driven with chromedp) against `stagehand serve` and the GitHub
// stand-in. Helpers here start with db.

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/testkit/e2e"
)

// dbChromium is the browser the test drives, or a loud skip without one.
func dbChromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("STAGEHAND_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	t.Skip("SKIPPED: THE DASHBOARD'S BROWSER TEST NEEDS CHROMIUM, AND THERE IS NONE: `apt-get install -y chromium` (.ci/run does), or set STAGEHAND_CHROMIUM to a Chromium binary")
	return ""
}

// dbBrowser starts a fresh headless Chromium (its own profile, nothing
// reaching beyond loopback) and returns a tab's context.
func dbBrowser(t *testing.T, chromium string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.WindowSize(1280, 900),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(alloc, chromedp.WithLogf(t.Logf))
	ctx, cancelTime := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	return ctx
}

// dbArtefacts is where screenshots go: $STAGEHAND_ARTEFACTS, or a folder
// under the system's temporary directory that outlives the test.
func dbArtefacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("STAGEHAND_ARTEFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "stagehand-artefacts")
	}
	dir = filepath.Join(dir, "dashboard")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots of the dashboard: %s", dir)
	return dir
}

func dbShot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func dbFreePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// dbSignIn signs login in from the dashboard's sign-in page, through the
// stand-in's authorize page, and waits for the page it lands on.
func dbSignIn(t *testing.T, ctx context.Context, w *e2e.World, public, path, login, landed string) {
	t.Helper()
	w.GitHub.SetOAuthUser(login)
	if _, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(public+path),
		chromedp.WaitVisible(chromedp.CSS(`a.button`)),
		chromedp.Click(chromedp.CSS(`a.button`)),
		chromedp.WaitVisible(chromedp.CSS(landed)),
	); err != nil {
		t.Fatalf("sign in as %s: %v", login, err)
	}
}

func dbText(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func dbCount(t *testing.T, ctx context.Context, js string) int {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return n
}

// TestServeDashboardInABrowser: a writer signs in with GitHub, sees the
// matrix with prod behind preprod, promotes preprod → prod with the
// button, sees the PR it opened, and sees the cell change without
// reloading once the PR is merged; the app's page shows the history. A
// reader sees the same matrix with no enabled button and the reason; a
// person without access sees nothing of the repository.
func TestServeDashboardInABrowser(t *testing.T) {
	chromium := dbChromium(t)
	t.Parallel()
	port := dbFreePort(t)
	public := "http://127.0.0.1:" + port
	w := e2e.Start(t, e2e.Options{Run: run, ServeArgs: []string{"--addr", "127.0.0.1:" + port, "--public-url", public, "--link-secret", lkSecret,
		"--github-client-id", oaClientID, "--github-client-secret", oaClientSecret}})
	a := w.App("generic")
	w.GitHub.SetPermission("will", "write")
	w.GitHub.SetPermission("rita", "read")

	// The image goes to staging (auto-merge), to preprod (a person merges),
	// and waits for someone to promote it to prod (manual).
	if code, answer := w.Send(t, w.Deliveries(t)[a.Name]); code != 202 {
		t.Fatalf("push: %d %q", code, answer)
	}
	preprod, prod := promote.Branch(a.Name, "preprod"), promote.Branch(a.Name, "prod")
	w.Eventually(t, "the preprod PR the staging merge opened", func() (bool, string) {
		pre, ok := w.PR(preprod)
		return ok && pre.State == "open", pre.State
	})
	pre, _ := w.PR(preprod)
	if _, err := w.GitHub.MergeAsUser(pre.Number, "octocat"); err != nil {
		t.Fatal(err)
	}
	w.Eventually(t, "the note on the merged preprod PR", func() (bool, string) {
		note := w.LastComment(pre.Number)
		return strings.Contains(note, "/promote"), note
	})

	ctx := dbBrowser(t, chromium)
	shots := dbArtefacts(t)
	row := `#app-` + a.Name
	prodCell := row + ` td[data-stage="prod"]`
	button := `button[value="promote ` + a.Name + ` prod"]`

	// Signed out: a sign-in page, and nothing of the repository.
	if err := chromedp.Do(ctx, chromedp.Navigate(public+"/"), chromedp.WaitVisible(chromedp.CSS(`a.button`))); err != nil {
		t.Fatal(err)
	}
	if body := dbText(t, ctx, "body"); strings.Contains(body, a.Name) || !strings.Contains(body, "Sign in") {
		t.Fatalf("signed out, the page says:\n%s", body)
	}

	// The writer.
	dbSignIn(t, ctx, w, public, "/", "will", "table.matrix")
	cell := dbText(t, ctx, prodCell)
	if !strings.Contains(cell, "behind") || !strings.Contains(cell, e2e.Tag) {
		t.Fatalf("prod cell before the promotion: %q, want behind, moving %s", cell, e2e.Tag)
	}
	if n := dbCount(t, ctx, `document.querySelectorAll('`+button+`:not([disabled])').length`); n != 1 {
		t.Fatalf("%d enabled promote buttons for %s in prod, want 1", n, a.Name)
	}
	dbShot(t, ctx, shots, "matrix.png")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(button)), chromedp.WaitVisible(chromedp.CSS(`.flash`))); err != nil {
		t.Fatal(err)
	}
	if flash := dbText(t, ctx, ".flash"); !strings.Contains(flash, "promote "+a.Name+" to prod: opened") {
		t.Fatalf("after the button: %q", flash)
	}
	pr, ok := w.PR(prod)
	if !ok || pr.State != "open" {
		t.Fatalf("the button opened no prod PR: %+v", pr)
	}
	if cell := dbText(t, ctx, prodCell); !strings.Contains(cell, "PR open") || !strings.Contains(cell, "#"+strconv.Itoa(pr.Number)) {
		t.Fatalf("prod cell after the promotion: %q, want its open PR #%d", cell, pr.Number)
	}
	dbShot(t, ctx, shots, "matrix-promoted.png")

	// The PR is merged on GitHub; the page, left open, catches up.
	if _, err := w.GitHub.MergeAsUser(pr.Number, "octocat"); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const c = document.querySelector('`+prodCell+`');
		return c && !c.classList.contains('behind') && c.textContent.includes('#`+strconv.Itoa(pr.Number)+`') && !c.textContent.includes('PR open'); })()`,
		chromedp.WithPollingTimeout(e2e.Deadline))); err != nil {
		t.Fatalf("the prod cell did not change without a reload: %v\n%s", err, dbText(t, ctx, prodCell))
	}
	if cell := dbText(t, ctx, prodCell); !strings.Contains(cell, e2e.Tag) || !strings.Contains(cell, "octocat") {
		t.Fatalf("prod cell after the merge: %q, want %s merged by octocat", cell, e2e.Tag)
	}

	// The app's page: the history, with the promotion as the writer's.
	if err := chromedp.Do(ctx, chromedp.Navigate(public+"/apps/"+a.Name), chromedp.WaitVisible(chromedp.CSS(`table.history`))); err != nil {
		t.Fatal(err)
	}
	if hist := dbText(t, ctx, "table.history"); !strings.Contains(hist, "promote (dashboard)") || !strings.Contains(hist, "will") {
		t.Fatalf("history: %q, want the promotion from the dashboard by will", hist)
	}
	if paths := dbText(t, ctx, "table.paths"); strings.Count(paths, "#") < 3 {
		t.Fatalf("path through the stages: %q, want a PR in each stage", paths)
	}
	dbShot(t, ctx, shots, "app.png")

	// The reader: the matrix, no enabled button, and why.
	dbSignIn(t, ctx, w, public, "/apps/"+a.Name, "rita", "table.history")
	if n := dbCount(t, ctx, `document.querySelectorAll('main button:not([disabled])').length`); n != 0 {
		t.Fatalf("a reader has %d enabled buttons", n)
	}
	if n := dbCount(t, ctx, `document.querySelectorAll('main button[disabled]').length`); n == 0 {
		t.Fatal("a reader sees no buttons at all, want disabled ones that say why")
	}
	if why := dbText(t, ctx, ".reasons"); !strings.Contains(why, "@rita may not") {
		t.Fatalf("why the reader's buttons are off: %q", why)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(public+"/"), chromedp.WaitVisible(chromedp.CSS(`table.matrix`))); err != nil {
		t.Fatal(err)
	}
	if n := dbCount(t, ctx, `document.querySelectorAll('main button:not([disabled])').length`); n != 0 {
		t.Fatalf("a reader has %d enabled buttons on the matrix", n)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
		t.Fatal(err)
	}
	dbShot(t, ctx, shots, "matrix-phone-dark.png")
	if err := chromedp.Do(ctx, chromedp.ResetViewport()); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
		t.Fatal(err)
	}

	// Someone without access: nothing of the repository.
	dbSignIn(t, ctx, w, public, "/", "mallory", "h1")
	if body := dbText(t, ctx, "body"); strings.Contains(body, a.Name) || strings.Contains(body, w.GitHub.Owner()+"/"+w.GitHub.Repo()) || strings.Contains(body, e2e.Tag) || !strings.Contains(body, "Nothing to show") {
		t.Fatalf("without access, the page says:\n%s", body)
	}
}
