package link

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/store"
)

// The pages behind a link: GET /promote/{token} shows what the link would
// do, decided by the engine exactly as the promotion itself will be; only
// the POST of its form acts, and it acts through the queue like every other
// way a promotion starts: the request is submitted, the page waits a few
// seconds for its outcome, and otherwise says where to look. Without
// GitHub sign-in a link is a bearer capability (it stands in for write
// permission, never for an approver); with it, the person who signs in is
// the actor and is checked like a commenter.

// maxForm bounds the confirmation form's body: one hidden field.
const maxForm = 4 << 10

// sessionCookie holds the per-visit value the CSRF token is bound to.
const sessionCookie = "stagehand_link_session"

// Previewer decides a request without applying it; *promote.Engine is one.
type Previewer interface {
	Preview(ctx context.Context, r promote.Request) (promote.Plan, error)
}

// Submitter queues a request and tells how it ended.
type Submitter interface {
	Submit(ctx context.Context, r promote.Request) error
	Outcome(ctx context.Context, id string) (store.Request, bool, error)
}

// Options serve the link pages. Signer, Engine and Requests are required.
type Options struct {
	Signer Signer
	Engine Previewer
	// Engines, when set, finds the engine of the config repository a
	// link names (Claims.Repo); a link naming none uses Engine.
	Engines  func(repo string) (Previewer, bool)
	Requests Submitter
	// OAuth, when set, makes people sign in with GitHub before a link
	// acts, and checks approvers or write permission for them.
	OAuth *OAuth
	// Wait is how long a confirmation waits for its promotion before the
	// page says where to look instead; default 8s, within the server's
	// write timeout.
	Wait   time.Duration
	Logger *slog.Logger
}

// Handler serves the link pages.
type Handler struct {
	opts Options
	log  *slog.Logger
}

// NewHandler checks the options.
func NewHandler(opts Options) (*Handler, error) {
	if len(opts.Signer.key) == 0 || opts.Engine == nil || opts.Requests == nil {
		return nil, errors.New("link: the pages need a signer (NewSigner), an engine and a way to submit requests")
	}
	if opts.OAuth != nil {
		o := *opts.OAuth
		if err := o.check(); err != nil {
			return nil, err
		}
		opts.OAuth = &o
	}
	if opts.Wait <= 0 {
		opts.Wait = 8 * time.Second
	}
	h := &Handler{opts: opts, log: opts.Logger}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	return h, nil
}

// CallbackPath is where GitHub sends people back after signing in: the
// App's callback URL is the public URL and this.
const CallbackPath = "/oauth/callback"

// Routes serves the pages on r.
func (h *Handler) Routes(r chi.Router) {
	r.Get("/promote/{token}", h.page)
	r.Post("/promote/{token}", h.confirm)
	r.Get("/promote/{token}/requests/{id}", h.status)
	if h.opts.OAuth != nil {
		r.Get("/oauth/login", h.oauthLogin)
		r.Get(CallbackPath, h.oauthCallback)
	}
}

// engine is the engine of the repository c names.
func (h *Handler) engine(c Claims) Previewer {
	if c.Repo != "" && h.opts.Engines != nil {
		if e, ok := h.opts.Engines(c.Repo); ok {
			return e
		}
		return gone{c.Repo}
	}
	return h.opts.Engine
}

// gone previews a link of a repository no longer served.
type gone struct{ repo string }

func (g gone) Preview(context.Context, promote.Request) (promote.Plan, error) {
	return promote.Plan{}, fmt.Errorf("%s is no longer a config repository stagehand serves", g.repo)
}

// request is the promotion a link asks for, on behalf of whoever acts.
func (h *Handler) request(c Claims, r *http.Request) promote.Request {
	req := promote.Request{Repo: c.Repo, Kind: promote.Promote, Source: promote.FromLink, App: c.App, From: c.From, Stage: c.To, Digest: c.Digest, LinkID: c.ID}
	if h.opts.OAuth == nil {
		req.Actor.Bearer = true
	} else {
		req.Actor.Login = h.signedIn(r)
	}
	return req
}

// page shows what the link would do. It reads and never writes: the only
// thing it sets is the visitor's session cookie.
func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	c, ok := h.verify(w, r)
	if !ok {
		return
	}
	req := h.request(c, r)
	p, err := h.engine(c).Preview(r.Context(), req)
	if err != nil {
		h.unavailable(w, c, err)
		return
	}
	session := h.session(w, r)
	code, pg := h.planPage(c, p, chi.URLParam(r, "token"))
	if p.Verdict == promote.Propose {
		pg.CSRF = CSRFToken(h.opts.Signer.key, c.ID, session)
	}
	h.render(w, code, pg)
}

// confirm submits the promotion: the CSRF token must match this link and
// this browser's session. The engine decides again when it runs it, and
// spends the link only when the promotion was applied or refused by a
// rule, never when GitHub failed.
func (h *Handler) confirm(w http.ResponseWriter, r *http.Request) {
	c, ok := h.verify(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		h.render(w, http.StatusBadRequest, page{Title: "Cannot read the form", Message: "The confirmation form could not be read. Open the link again and confirm from its page."})
		return
	}
	session := ""
	if ck, err := r.Cookie(sessionCookie); err == nil {
		session = ck.Value
	}
	if !CheckCSRF(h.opts.Signer.key, c.ID, session, r.PostForm.Get("csrf")) {
		h.log.Warn("link confirmation refused: CSRF token does not match", "app", c.App, "stage", c.To)
		h.render(w, http.StatusForbidden, page{Title: "Not confirmed",
			Message: "This confirmation did not come from this link's page in this browser, or the page is out of date. Nothing was changed. Open the link again and confirm from its page."})
		return
	}
	ctx := r.Context()
	req := h.request(c, r)
	p, err := h.engine(c).Preview(ctx, req)
	if err != nil {
		h.unavailable(w, c, err)
		return
	}
	// Submitted whatever the preview says: the engine decides again when
	// it runs it, and records a refusal as well as a promotion.
	req.ID = promote.NewID()
	if err := h.opts.Requests.Submit(ctx, req); err != nil {
		h.unavailable(w, c, err)
		return
	}
	h.log.Info("link promotion submitted", "app", c.App, "stage", c.To, "digest", c.Digest, "request_id", req.ID, "login", req.Actor.Login)
	h.await(w, r, c, p, req.ID)
}

// status is where a page that stopped waiting sends the browser.
func (h *Handler) status(w http.ResponseWriter, r *http.Request) {
	c, ok := h.verify(w, r)
	if !ok {
		return
	}
	p, err := h.engine(c).Preview(r.Context(), h.request(c, r))
	if err != nil {
		h.unavailable(w, c, err)
		return
	}
	h.await(w, r, c, p, chi.URLParam(r, "id"))
}

// await waits a little for request id to end, then shows how it ended or
// where to look.
func (h *Handler) await(w http.ResponseWriter, r *http.Request, c Claims, p promote.Plan, id string) {
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.Wait)
	defer cancel()
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		o, ok, err := h.opts.Requests.Outcome(ctx, id)
		switch {
		case err != nil && ctx.Err() == nil:
			h.unavailable(w, c, err)
			return
		case ok && o.State == store.Done:
			code, pg := h.outcomePage(c, p, o, chi.URLParam(r, "token"))
			h.render(w, code, pg)
			return
		case !ok && err == nil:
			h.render(w, http.StatusNotFound, page{Title: "No such promotion", Message: "This page is not about a promotion stagehand knows. Open the link again."})
			return
		}
		select {
		case <-ctx.Done():
			pg := page{Title: fmt.Sprintf("Promoting %s to %s", c.App, c.To), Move: move(c, p),
				Message:  fmt.Sprintf("stagehand is working on it; this takes longer than usual (GitHub may be slow to answer, and stagehand keeps trying). Its pull request for %s will show the outcome, and this page refreshes.", c.To),
				Refresh:  h.opts.Signer.requestURL(chi.URLParam(r, "token"), id),
				SignInOn: h.opts.OAuth != nil}
			h.render(w, http.StatusAccepted, pg)
			return
		case <-t.C:
		}
	}
}

// verify checks the token, answering 400 for one that is not stagehand's
// or was changed and 410 for one that expired.
func (h *Handler) verify(w http.ResponseWriter, r *http.Request) (Claims, bool) {
	c, err := Verify(h.opts.Signer.key, chi.URLParam(r, "token"), time.Now())
	switch {
	case err == nil:
		return c, true
	case errors.Is(err, ErrExpired):
		h.render(w, http.StatusGone, page{Title: "This link has expired",
			Message: fmt.Sprintf("It expired at %s. Nothing was changed. Comment /promote on the stage's pull request instead.", c.Expires.Format(time.RFC1123))})
	default:
		why := "malformed"
		if errors.Is(err, ErrSignature) {
			why = "bad signature"
		}
		// Only the kind is logged: the error may quote the token.
		h.log.Warn("link refused", "reason", why)
		h.render(w, http.StatusBadRequest, page{Title: "This is not a valid stagehand link",
			Message: "It may have been cut short or changed when it was copied. Nothing was changed. Copy the whole link from the pull request again."})
	}
	return Claims{}, false
}

// session returns the visitor's session value, setting a new one when the
// browser has none. It is only what CSRF tokens are bound to; it grants
// nothing by itself.
func (h *Handler) session(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(sessionCookie); err == nil && validSession(ck.Value) {
		return ck.Value
	}
	v := rand.Text()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: v, Path: h.opts.Signer.pages(), HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: h.opts.Signer.secure})
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

func (h *Handler) unavailable(w http.ResponseWriter, c Claims, err error) {
	h.log.Error("link page: cannot read or queue", "app", c.App, "stage", c.To, "err", err)
	w.Header().Set("Retry-After", "30")
	h.render(w, http.StatusServiceUnavailable, page{Title: "stagehand cannot check this link right now",
		Message: "GitHub or stagehand's database did not answer. Nothing was changed; try again in a minute."})
}
