package link

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"net/http"
	"net/url"
	"strings"
)

// stagehand's other pages (the dashboard) use the link pages' GitHub
// sign-in and CSRF protection rather than a copy of them: one sign-in
// cookie, one key, one place that gets them right.

// pageSession is the per-browser value the CSRF tokens of other pages are
// bound to; like the link pages' session it grants nothing by itself.
const pageSession = "stagehand_session"

// SignInOn reports whether people sign in with GitHub.
func (h *Handler) SignInOn() bool { return h.opts.OAuth != nil }

// SignedIn returns the GitHub login the browser signed in as, or "" when
// it did not (or sign-in is off).
func (h *Handler) SignedIn(r *http.Request) string {
	if h.opts.OAuth == nil {
		return ""
	}
	return h.signedIn(r)
}

// SignInURL is where a browser starts signing in with GitHub to come back
// to next, a path under the public URL such as "/" or "/apps/web"; "" when
// sign-in is off or next is not such a path.
func (h *Handler) SignInURL(next string) string {
	if h.opts.OAuth == nil || !localPath(next) {
		return ""
	}
	return strings.TrimRight(h.opts.Signer.publicURL, "/") + "/oauth/login?" + url.Values{"next": {next}}.Encode()
}

// FormToken returns the CSRF token for a form of scope (say, a page and
// the login it was shown to), bound to this browser's session, which it
// starts when the browser has none.
func (h *Handler) FormToken(w http.ResponseWriter, r *http.Request, scope string) string {
	session := ""
	if ck, err := r.Cookie(pageSession); err == nil && validSession(ck.Value) {
		session = ck.Value
	} else {
		session = rand.Text()
		http.SetCookie(w, &http.Cookie{Name: pageSession, Value: session, Path: h.opts.Signer.prefix + "/", HttpOnly: true,
			SameSite: http.SameSiteStrictMode, Secure: h.opts.Signer.secure})
	}
	return b64.EncodeToString(tag(h.opts.Signer.key, purposeForm, scope, session))
}

// CheckForm reports whether token is FormToken's for scope in this
// browser's session, comparing in constant time.
func (h *Handler) CheckForm(r *http.Request, scope, token string) bool {
	ck, err := r.Cookie(pageSession)
	if err != nil || !validSession(ck.Value) || scope == "" {
		return false
	}
	got, err := decode(token)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	return hmac.Equal(got, tag(h.opts.Signer.key, purposeForm, scope, ck.Value))
}

// SignOut forgets the browser's sign-in and its form session, so the
// forms it was shown no longer hold. The login cookie is sealed, not
// recorded: one copied before signing out holds until it expires.
func (h *Handler) SignOut(w http.ResponseWriter) {
	for _, name := range []string{loginCookie, pageSession} {
		ss := http.SameSiteLaxMode
		if name == pageSession {
			ss = http.SameSiteStrictMode
		}
		http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: h.opts.Signer.prefix + "/", MaxAge: -1,
			HttpOnly: true, SameSite: ss, Secure: h.opts.Signer.secure})
	}
	w.Header().Set("Cache-Control", "no-store")
}
