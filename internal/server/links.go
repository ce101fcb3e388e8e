package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/link"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/queue"
)

// One-click promotion links: GET /promote/{token} shows what the link would
// do and a form to confirm it; only the POST of that form acts. Without
// GitHub sign-in (LinkOptions.OAuth) a link is a bearer capability: whoever
// holds it may make that one promotion, once, until it expires, so links
// never act on a stage that names approvers. With sign-in (links_oauth.go)
// the POST needs a signed-in login, gate.Allowed decides approvers and
// write permission for it as for a comment, and it is the action's actor.

// MinLinkSecret is the shortest link secret accepted, in bytes: the size
// of the HMAC-SHA256 key it becomes.
const MinLinkSecret = 32

// maxLinkForm bounds the confirmation form's body: one hidden field.
const maxLinkForm = 4 << 10

// linkWorkTimeout bounds a confirmed promotion, which outlives the request.
const linkWorkTimeout = 2 * time.Minute

// sessionCookie holds the per-visit value the CSRF token is bound to.
const sessionCookie = "stagehand_link_session"

// LinkSigner makes one-click promotion links: <public URL>/promote/<token>.
type LinkSigner struct {
	publicURL string
	key       []byte
	secure    bool   // the public URL is https: cookies are Secure
	path      string // where the link pages are, as browsers see it
	prefix    string // the public URL's path, without a trailing slash
}

// NewLinkSigner checks that publicURL is an absolute http or https URL and
// that key is at least MinLinkSecret bytes.
func NewLinkSigner(publicURL string, key []byte) (LinkSigner, error) {
	var errs []error
	u, err := url.Parse(publicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		errs = append(errs, fmt.Errorf("STAGEHAND_PUBLIC_URL %q is not an absolute http:// or https:// URL such as https://stagehand.example.com", publicURL))
	}
	if len(key) < MinLinkSecret {
		errs = append(errs, fmt.Errorf("STAGEHAND_LINK_SECRET is %d bytes; it must be at least %d (for example: openssl rand -base64 48)", len(key), MinLinkSecret))
	}
	if err := errors.Join(errs...); err != nil {
		return LinkSigner{}, err
	}
	// Behind a proxy that serves stagehand under a path, the browser's
	// path to the pages starts with it, and the cookie's path must too.
	prefix := strings.TrimRight(u.Path, "/")
	return LinkSigner{publicURL: publicURL, key: key, secure: u.Scheme == "https", path: prefix + "/promote/", prefix: prefix}, nil
}

// Link returns a link that promotes app's digest from stage `from` to stage
// `to`, valid for link.DefaultTTL. It is "" only for claims link.Sign
// refuses, which stagehand's validated config and digests never make.
func (s LinkSigner) Link(app, from, to, digest string) string {
	tok, err := link.Sign(s.key, link.Claims{App: app, From: from, To: to, Digest: digest})
	if err != nil {
		return ""
	}
	return link.URL(s.publicURL, tok)
}

// LinkRepo reads the config repository; *githubapp.Client is one.
type LinkRepo interface {
	Branch(ctx context.Context, name string) (githubapp.Branch, error)
	ReadFile(ctx context.Context, path, ref string) ([]byte, error)
}

// LinkEngine promotes; *promote.Engine is one.
type LinkEngine interface {
	PromoteIf(ctx context.Context, app, to string, allow promote.Allow) (promote.Outcome, error)
}

// LinkStore keeps links single-use and records what they did; *queue.Store
// is one.
type LinkStore interface {
	UseLink(ctx context.Context, id string, at time.Time) (first bool, err error)
	RecordAction(ctx context.Context, a queue.Action) (int64, error)
	LastDone(ctx context.Context, app, stage string) (queue.StageDone, bool, error)
	HoldOn(ctx context.Context, app, stage string) (queue.Hold, bool, error)
}

// LinkOptions serve one-click promotion links. All but BaseBranch are
// required.
type LinkOptions struct {
	Signer LinkSigner
	Repo   LinkRepo
	// BaseBranch is the branch promotions land on; default "main".
	BaseBranch string
	Engine     LinkEngine
	Store      LinkStore
	// OAuth, when set, makes people sign in with GitHub before a link acts,
	// and checks approvers or write permission for them.
	OAuth *LinkOAuth
}

func (o *LinkOptions) check() error {
	if len(o.Signer.key) == 0 || o.Repo == nil || o.Engine == nil || o.Store == nil {
		return errors.New("server: links need a signer (NewLinkSigner), a repository reader, an engine and a store")
	}
	if o.BaseBranch == "" {
		o.BaseBranch = "main"
	}
	if o.OAuth != nil {
		oauth := *o.OAuth
		o.OAuth = &oauth
		return oauth.check()
	}
	return nil
}

// linkRoutes serves GET and POST /promote/{token} when links are on.
func (s *Server) linkRoutes(r chi.Router) {
	if s.opts.Links == nil {
		return
	}
	r.Get("/promote/{token}", s.linkPage)
	r.Post("/promote/{token}", s.linkConfirm)
	s.oauthRoutes(r)
}

// linkPage shows what the link would do. It reads and never writes: the
// only thing it sets is the visitor's session cookie.
func (s *Server) linkPage(w http.ResponseWriter, r *http.Request) {
	c, ok := s.verifyLink(w, r)
	if !ok {
		return
	}
	st, err := s.readLink(r.Context(), c)
	if err == nil {
		st, err = s.withSignIn(r.Context(), r, st)
	}
	if err != nil {
		s.linkUnavailable(w, c, err)
		return
	}
	session := s.session(w, r)
	v := decideLink(c, st, time.Now())
	p := linkPageFor(c, st, v)
	if v.kind == linkReady {
		p.CSRF = link.CSRFToken(s.opts.Links.Signer.key, c.ID, session)
	}
	if v.kind == linkSignIn {
		p.SignIn = s.opts.Links.Signer.signInURL(chi.URLParam(r, "token"))
	}
	s.renderLink(w, v.code, p)
}

// linkConfirm makes the promotion: the CSRF token must match this link and
// this browser's session, the gates must pass on what the base branch holds
// now, and the link must not have been used; only then is it used up and
// the engine asked, deciding the gates again on its own snapshot.
func (s *Server) linkConfirm(w http.ResponseWriter, r *http.Request) {
	c, ok := s.verifyLink(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxLinkForm)
	if err := r.ParseForm(); err != nil {
		s.renderLink(w, http.StatusBadRequest, linkPage{Title: "Cannot read the form", Message: "The confirmation form could not be read. Open the link again and confirm from its page."})
		return
	}
	session := ""
	if ck, err := r.Cookie(sessionCookie); err == nil {
		session = ck.Value
	}
	if !link.CheckCSRF(s.opts.Links.Signer.key, c.ID, session, r.PostForm.Get("csrf")) {
		s.log.Warn("link confirmation refused: CSRF token does not match", "app", c.App, "stage", c.To)
		s.renderLink(w, http.StatusForbidden, linkPage{Title: "Not confirmed",
			Message: "This confirmation did not come from this link's page in this browser, or the page is out of date. Nothing was changed. Open the link again and confirm from its page."})
		return
	}
	ctx := r.Context()
	log := s.log.With("source", "link", "app", c.App, "from", c.From, "stage", c.To, "digest", c.Digest)
	st, err := s.readLink(ctx, c)
	if err == nil {
		st, err = s.withSignIn(ctx, r, st)
	}
	if err != nil {
		s.linkUnavailable(w, c, err)
		return
	}
	actor := "link"
	if st.auth.login != "" {
		actor = st.auth.login
		log = log.With("login", st.auth.login)
	}
	act := queue.Action{At: time.Now(), Actor: actor, Kind: "promote", App: c.App, Stage: c.To,
		FromTag: st.current.Tag, FromDigest: st.current.Digest, ToTag: st.newTag(c), ToDigest: c.Digest, Source: "link"}
	v := decideLink(c, st, time.Now())
	if v.kind != linkReady && v.kind != linkNothing {
		// Refused before the link is used: it works once the gate opens.
		s.recordLink(ctx, log, act, "refused", v.reason)
		p := linkPageFor(c, st, v)
		if v.kind == linkSignIn {
			p.SignIn = s.opts.Links.Signer.signInURL(chi.URLParam(r, "token"))
		}
		s.renderLink(w, v.code, p)
		return
	}
	first, err := s.opts.Links.Store.UseLink(ctx, c.ID, time.Now())
	if err != nil {
		s.linkUnavailable(w, c, err)
		return
	}
	if !first {
		s.recordLink(ctx, log, act, "refused", "the link was already used")
		s.renderLink(w, http.StatusGone, linkPage{Title: "This link was already used",
			Message: "Each link works once. Nothing was changed now. See the stage's pull request, or comment /promote on it to promote again.", Move: moveFor(c, st)})
		return
	}
	// The link is used up: finish the promotion and its record even if the
	// browser goes away.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), linkWorkTimeout)
	defer cancel()
	o, err := s.opts.Links.Engine.PromoteIf(ctx, c.App, c.To, s.linkAllow(c, st))
	act.PR = o.PR
	if o.From.Found {
		act.FromTag, act.FromDigest = o.From.Tag, o.From.Digest
	}
	if o.To.Digest != "" {
		act.ToTag, act.ToDigest = o.To.Tag, o.To.Digest
	}
	if err != nil {
		log.Error("link promotion failed", "err", err)
		s.recordLink(ctx, log, act, "failed", err.Error())
		s.renderLink(w, http.StatusBadGateway, linkPage{Title: "The promotion did not go through",
			Message: "stagehand could not finish talking to GitHub, so the promotion may not have happened. This link is now used up: check the stage's pull request, or comment /promote on it.", Move: moveFor(c, st)})
		return
	}
	s.recordLink(ctx, log, act, string(o.Result), o.Reason)
	s.renderLink(w, resultCode(o), resultPage(c, st, o))
}

// linkAllow is the engine's gate for a link: decideLink again, on the
// engine's own snapshot, so that a base branch that moved since the page was
// read cannot slip another image through. Holds the engine checks itself.
// With sign-in, the approver check is made again for the snapshot's stage.
func (s *Server) linkAllow(c link.Claims, st linkState) promote.Allow {
	return func(ctx context.Context, from, to config.Stage, want promote.Want) (string, error) {
		now := st
		now.target, now.hold = to, nil
		now.source.Tag, now.source.Digest = want.Tag, want.Digest
		if from.Name != c.From {
			now.problem = fmt.Sprintf("%s no longer comes right after %s in %s", c.To, c.From, config.FileName)
		}
		if now.auth.login != "" {
			v, err := s.allowed(ctx, now.auth.login, to)
			if err != nil {
				return "", err
			}
			now.auth.verdict = v
		}
		if v := decideLink(c, now, time.Now()); v.kind != linkReady && v.kind != linkNothing {
			return v.reason, nil
		}
		return "", nil
	}
}

// verifyLink checks the token, answering 400 for one that is not stagehand's
// or was changed and 410 for one that expired.
func (s *Server) verifyLink(w http.ResponseWriter, r *http.Request) (link.Claims, bool) {
	c, err := link.Verify(s.opts.Links.Signer.key, chi.URLParam(r, "token"), time.Now())
	switch {
	case err == nil:
		return c, true
	case errors.Is(err, link.ErrExpired):
		s.renderLink(w, http.StatusGone, linkPage{Title: "This link has expired",
			Message: fmt.Sprintf("It expired at %s. Nothing was changed. Comment /promote on the stage's pull request instead.", c.Expires.Format(time.RFC1123)), Move: moveFor(c, linkState{})})
	default:
		why := "malformed"
		if errors.Is(err, link.ErrSignature) {
			why = "bad signature"
		}
		// Only the kind is logged: the error may quote the token.
		s.log.Warn("link refused", "reason", why)
		s.renderLink(w, http.StatusBadRequest, linkPage{Title: "This is not a valid stagehand link",
			Message: "It may have been cut short or changed when it was copied. Nothing was changed. Copy the whole link from the pull request again."})
	}
	return link.Claims{}, false
}

// session returns the visitor's session value, setting a new one when the
// browser has none. It is only what CSRF tokens are bound to; it grants
// nothing by itself.
func (s *Server) session(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(sessionCookie); err == nil && validSession(ck.Value) {
		return ck.Value
	}
	v := rand.Text()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: v, Path: s.opts.Links.Signer.path, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.opts.Links.Signer.secure})
	return v
}

// validSession accepts what rand.Text makes: 26 base32 characters.
func validSession(v string) bool {
	if len(v) != 26 {
		return false
	}
	for _, c := range v {
		if !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

func (s *Server) linkUnavailable(w http.ResponseWriter, c link.Claims, err error) {
	s.log.Error("link page: cannot read the state", "app", c.App, "stage", c.To, "err", err)
	w.Header().Set("Retry-After", "30")
	s.renderLink(w, http.StatusServiceUnavailable, linkPage{Title: "stagehand cannot check this link right now",
		Message: "GitHub or stagehand's database did not answer. Nothing was changed; try again in a minute."})
}

// recordLink puts a link's use in the audit log; a failure to record is
// logged, since the promotion it records has already happened.
func (s *Server) recordLink(ctx context.Context, log *slog.Logger, act queue.Action, result, reason string) {
	act.Result, act.Reason = result, reason
	log.Info("link used", "result", result, "reason", reason, "pr", act.PR)
	if _, err := s.opts.Links.Store.RecordAction(ctx, act); err != nil {
		log.Error("cannot record the link's use", "err", err)
	}
}

func resultCode(o promote.Outcome) int {
	if o.Result == promote.Refused {
		return http.StatusConflict
	}
	return http.StatusOK
}
