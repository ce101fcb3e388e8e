package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/queue"
	"github.com/stagehand-dev/stagehand/internal/webhook"
)

// github receives GitHub App deliveries.
func (s *Server) github(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, ok := s.read(w, r, "github", maxGitHubBody)
	if !ok {
		return
	}
	ev, err := webhook.ParseGitHubRequest(s.opts.GitHubSecret, r.Header, body)
	if err != nil {
		s.refuse(w, "github", err, slog.String("delivery_id", r.Header.Get(webhook.GitHubDeliveryHeader)), slog.String("event", r.Header.Get(webhook.GitHubEventHeader)))
		return
	}
	log := s.log.With("source", "github", "delivery_id", ev.Delivery, "event", ev.Event, "action", ev.Action)
	repo, base := ev.Repo, s.opts.BaseBranch
	if s.opts.Repos != nil && ev.Push == nil {
		name, b, served := s.opts.Repos.Serves(ev.Repo)
		if served {
			repo, base = name, b
		}
		if d, ok := s.installationNews(ev, served); ok {
			if d.ID == "" {
				d.ID = "github-" + bodyID(body)
			}
			s.enqueue(w, r, d, log, start)
			return
		}
	}
	if why := s.elsewhere(ev); why != "" {
		// The App may be installed on other repositories too; their pull
		// requests and comments are not the config repository's.
		log.Info("delivery ignored", "reason", why, "repo", ev.Repo, "installation", ev.InstallationID)
		s.metrics.delivery("github", "ignored")
		text(w, http.StatusAccepted, "ignored: "+why)
		return
	}
	d := queue.Delivery{ID: ev.Delivery, Source: "github"}
	if d.ID == "" {
		d.ID = "github-" + bodyID(body)
	}
	switch {
	case ev.Push != nil && !s.concerns(ev.Push.Image):
		why := unusedImage(ev.Push.Image)
		log.Info("delivery ignored", "reason", why)
		s.metrics.delivery("github", "ignored")
		text(w, http.StatusAccepted, "ignored: "+why)
		return
	case ev.Push != nil:
		d.Pushes = s.perRepo([]queue.Push{toPush(*ev.Push, d.ID, start)})
	case ev.PRClosed != nil:
		pr := ev.PRClosed
		d.PRClosed = &queue.PRClosed{Repo: s.routed(repo), Number: pr.Number, Merged: pr.Merged, Body: pr.Body, HeadRef: pr.HeadRef, MergeSHA: pr.MergeSHA, MergedBy: pr.MergedBy, MergedAt: pr.MergedAt}
	case ev.Checks != nil:
		d.Checks = &queue.Checks{Repo: s.routed(repo), SHA: ev.Checks.SHA, Branches: ev.Checks.Branches, PRs: ev.Checks.PRs}
	case ev.Comment != nil && ev.Comment.Action == "created" && !answered(ev.Comment.Association):
		// On a public repository anyone may comment; replies to them (help,
		// usage) would make stagehand a spam relay, so they get none.
		why := fmt.Sprintf("a comment by %s, who is not the repository's owner, a member or a collaborator (%s)", ev.Comment.User, ev.Comment.Association)
		log.Info("delivery ignored", "reason", why)
		s.metrics.delivery("github", "ignored")
		text(w, http.StatusAccepted, "ignored: "+why)
		return
	case ev.BranchPush != nil:
		if why := configUntouched(*ev.BranchPush, base); why != "" {
			log.Info("delivery ignored", "reason", why)
			s.metrics.delivery("github", "ignored")
			text(w, http.StatusAccepted, "ignored: "+why)
			return
		}
		d.ConfigChanged = &queue.ConfigChanged{SHA: ev.BranchPush.SHA, Repo: s.routed(repo)}
	case ev.IssueEdit != nil:
		// Whether it is the promotions issue, and what the edit did, is
		// the worker's to decide: body edits come at a person's pace.
		e := ev.IssueEdit
		d.IssueEdited = &queue.IssueEdited{Repo: s.routed(repo), Number: e.Number, Body: e.Body, From: e.From, User: e.User, UserType: e.UserType, UpdatedAt: e.UpdatedAt.UTC().Format(time.RFC3339Nano)}
	case ev.Comment != nil && ev.Comment.Action == "created":
		c := ev.Comment
		d.Comment = &queue.Comment{Repo: s.routed(repo), IssueNumber: c.IssueNumber, IsPR: c.IsPR, CommentID: c.CommentID, Body: c.Body,
			User: c.User, UserType: c.UserType, Association: c.Association, Action: c.Action, IssueBody: c.IssueBody}
	default:
		reason := ev.Ignored
		if ev.Installation != nil {
			reason = "acknowledged"
		}
		if reason == "" {
			reason = "nothing for stagehand in this event"
		}
		log.Info("delivery ignored", "reason", reason)
		s.metrics.delivery("github", "ignored")
		text(w, http.StatusAccepted, "ignored: "+reason)
		return
	}
	s.enqueue(w, r, d, log, start)
}

// answered reports whether stagehand talks to a commenter of this author
// association: people who belong to the repository. GitHub always sends
// one; a payload without it is taken as one of theirs.
func answered(association string) bool {
	switch strings.ToUpper(association) {
	case "", "OWNER", "MEMBER", "COLLABORATOR":
		return true
	}
	return false
}

// registry receives a container registry's push notification.
func (s *Server) registry(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	vendor := chi.URLParam(r, "vendor")
	if !slices.Contains(webhook.Vendors(), vendor) {
		// Checked first so that a made-up name never becomes a metric label.
		s.refuse(w, "unknown", fmt.Errorf("%w: no registry route %q; routes are %s", webhook.ErrUnknownVendor, vendor, strings.Join(webhook.Vendors(), ", ")))
		return
	}
	body, ok := s.read(w, r, vendor, maxRegistryBody)
	if !ok {
		return
	}
	res, err := webhook.ParseRegistry(r.Context(), s.opts.Registries, vendor, r.Header, chi.URLParam(r, "token"), body)
	if err != nil {
		s.refuse(w, vendor, err)
		return
	}
	id := vendor + "-" + bodyID(body)
	if !allClaimDigests(res.Pushes) {
		// A body without a digest names only a tag, and tags move: the same
		// body later (all Quay ever sends for a tag pushed again) is a new
		// push, not a retry. Working a retry twice is harmless.
		id += "-" + rand.Text()
	}
	log := s.log.With("source", vendor, "delivery_id", id)
	var used []webhook.Push
	for _, p := range res.Pushes {
		if s.concerns(p.Image) {
			used = append(used, p)
		}
	}
	if len(used) == 0 && len(res.Pushes) > 0 {
		res.Ignored = unusedImage(res.Pushes[0].Image)
	}
	res.Pushes = used
	if len(res.Pushes) == 0 {
		log.Info("delivery ignored", "reason", res.Ignored)
		s.metrics.delivery(vendor, "ignored")
		text(w, http.StatusAccepted, "ignored: "+res.Ignored)
		return
	}
	d := queue.Delivery{ID: id, Source: vendor}
	for _, p := range res.Pushes {
		d.Pushes = append(d.Pushes, toPush(p, id, start))
	}
	d.Pushes = s.perRepo(d.Pushes)
	s.enqueue(w, r, d, log, start)
}

// concerns says whether a push of image may be for an app: yes unless
// the configuration last read names no app that uses it.
func (s *Server) concerns(image string) bool {
	if s.opts.Concerns == nil {
		return true
	}
	if uses, known := s.opts.Concerns(image); uses || !known {
		return true
	}
	s.unused.Store(image, true)
	return false
}

// IgnoredUnused reports whether a push of image was ignored since the
// server started because no app used it: if a new configuration uses it,
// the registry is to be asked for what was pushed meanwhile.
func (s *Server) IgnoredUnused(image string) bool {
	_, ok := s.unused.Load(image)
	return ok
}

func unusedImage(image string) string {
	return fmt.Sprintf("no app in .stagehand.yaml uses %s", image)
}

func (s *Server) enqueue(w http.ResponseWriter, r *http.Request, d queue.Delivery, log *slog.Logger, start time.Time) {
	dup, err := s.opts.Queue.Accept(r.Context(), d)
	switch {
	case err != nil:
		log.Error("could not queue the delivery", "err", err)
		s.metrics.delivery(d.Source, "unavailable")
		w.Header().Set("Retry-After", "10")
		text(w, http.StatusServiceUnavailable, "the queue cannot accept work right now; retry later")
		return
	case dup:
		log.Info("duplicate delivery acknowledged")
		s.metrics.delivery(d.Source, "duplicate")
		text(w, http.StatusAccepted, "duplicate delivery; already accepted")
		return
	}
	for _, p := range d.Pushes {
		if p.Repo != "" {
			log.Info("push accepted", "image", p.Image, "tag", p.Tag, "digest", p.Digest, "repo", p.Repo)
			continue
		}
		log.Info("push accepted", "image", p.Image, "tag", p.Tag, "digest", p.Digest)
	}
	if d.PRClosed != nil {
		log.Info("pull request closed accepted", "pr", d.PRClosed.Number, "merged", d.PRClosed.Merged)
	}
	if d.Checks != nil {
		log.Info("checks changed accepted", "sha", d.Checks.SHA)
	}
	if d.ConfigChanged != nil {
		log.Info("config change accepted", "sha", d.ConfigChanged.SHA)
	}
	if d.IssueEdited != nil {
		log.Info("issue edit accepted", "issue", d.IssueEdited.Number, "user", d.IssueEdited.User)
	}
	if d.Comment != nil {
		log.Info("comment accepted", "issue", d.Comment.IssueNumber, "comment_id", d.Comment.CommentID, "user", d.Comment.User)
	}
	s.metrics.delivery(d.Source, "accepted")
	s.metrics.acceptLatency.Observe(time.Since(start).Seconds())
	text(w, http.StatusAccepted, "accepted")
}

// read reads the body up to limit, answering 413 past it.
func (s *Server) read(w http.ResponseWriter, r *http.Request, source string, limit int64) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		s.log.Warn("delivery refused", "source", source, "status", http.StatusRequestEntityTooLarge, "limit", limit)
		s.metrics.delivery(source, "too_large")
		text(w, http.StatusRequestEntityTooLarge, "request body too large")
		return nil, false
	case err != nil:
		s.metrics.delivery(source, "malformed")
		text(w, http.StatusBadRequest, "cannot read the request body")
		return nil, false
	}
	return body, true
}

// refuse answers a delivery that failed authentication or is not the
// sender's format at all; an authenticated sender's event that stagehand
// cannot use is not refused but ignored (202), or the sender would retry it
// for ever. The error names what was wrong, never a secret; when we are
// the ones failing (ErrUnavailable) it is only logged, and the sender
// learns no more than to retry.
func (s *Server) refuse(w http.ResponseWriter, source string, err error, attrs ...any) {
	code, outcome, answer := http.StatusBadRequest, "malformed", err.Error()
	switch {
	case errors.Is(err, webhook.ErrUnauthorized):
		code, outcome = http.StatusUnauthorized, "unauthorized"
	case errors.Is(err, webhook.ErrUnknownVendor):
		code, outcome = http.StatusNotFound, "unknown_vendor"
		source = "unknown"
	case errors.Is(err, webhook.ErrUnavailable):
		code, outcome = http.StatusServiceUnavailable, "unavailable"
		answer = "cannot authenticate the sender right now; retry later"
		w.Header().Set("Retry-After", "30")
	}
	s.log.Warn("delivery refused", append([]any{"source", source, "status", code, "err", err}, attrs...)...)
	s.metrics.delivery(source, outcome)
	text(w, code, answer)
}

func toPush(p webhook.Push, delivery string, at time.Time) queue.Push {
	return queue.Push{Image: p.Image, Tag: p.Tag, Digest: p.Digest, Vendor: p.Vendor, PushedAt: p.PushedAt, DeliveryID: delivery, ReceivedAt: at}
}

// elsewhere says why a GitHub event is not the config repository's, or "":
// an event of another repository or installation of the App. A package
// push is matched by its image instead, wherever the package lives.
func (s *Server) elsewhere(ev webhook.GitHubEvent) string {
	if ev.Push != nil || ev.Ignored != "" || ev.Installation != nil {
		return ""
	}
	if s.opts.Repos != nil && !s.opts.Repos.Static() {
		if _, _, ok := s.opts.Repos.Serves(ev.Repo); !ok {
			repo := ev.Repo
			if repo == "" {
				repo = "no repository"
			}
			return fmt.Sprintf("event of %s, which is not a config repository stagehand serves", quoteShort(repo))
		}
	} else if s.opts.ConfigRepo != "" && !strings.EqualFold(ev.Repo, s.opts.ConfigRepo) {
		repo := ev.Repo
		if repo == "" {
			repo = "no repository"
		}
		return fmt.Sprintf("event of %s, not of the config repository %s", quoteShort(repo), s.opts.ConfigRepo)
	}
	if s.opts.Installation != 0 && ev.InstallationID != 0 && ev.InstallationID != s.opts.Installation {
		return fmt.Sprintf("event of installation %d, not of stagehand's %d", ev.InstallationID, s.opts.Installation)
	}
	return ""
}

// configUntouched says why a push to a branch cannot have changed the
// configuration, or "": a push to the base branch that touches
// .stagehand.yaml, or may have, is checked at once, and wakes the work a
// broken config holds back, rather than leaving it to wait out its retry.
func configUntouched(p webhook.BranchPush, base string) string {
	if p.Branch != base {
		return fmt.Sprintf("push to %s, not to the base branch %s", quoteShort(p.Branch), base)
	}
	if !p.Touches(config.FileName) {
		return fmt.Sprintf("push to %s does not change %s", base, config.FileName)
	}
	return ""
}

// routed is the repository a delivery's work names: "" when stagehand
// serves one repository it was told (its work has always named none).
func (s *Server) routed(repo string) string {
	if s.opts.Repos == nil || s.opts.Repos.Static() {
		return ""
	}
	return repo
}

// installationNews turns what may change the set of config repositories
// into work: an installation event, and a push to the default branch of
// an allowed repository not served yet that touches its config (it may
// have added one). ok is false for every other event.
func (s *Server) installationNews(ev webhook.GitHubEvent, served bool) (queue.Delivery, bool) {
	if s.opts.Repos.Static() || (s.opts.Installation != 0 && ev.InstallationID != 0 && ev.InstallationID != s.opts.Installation) {
		return queue.Delivery{}, false
	}
	d := queue.Delivery{ID: ev.Delivery, Source: "github"}
	switch p := ev.BranchPush; {
	case ev.Installation != nil:
		d.InstallationChanged = true
		return d, true
	case p != nil && !served && s.opts.Repos.Allows(ev.Repo) && p.DefaultBranch != "" && configUntouched(*p, p.DefaultBranch) == "":
		d.ConfigChanged = &queue.ConfigChanged{SHA: p.SHA, Repo: ev.Repo}
		return d, true
	}
	return queue.Delivery{}, false
}

// perRepo makes each push one per config repository whose apps use its
// image, so that each repository's work is coalesced and retried apart;
// serving one repository it was told, the pushes stay as they are.
func (s *Server) perRepo(pushes []queue.Push) []queue.Push {
	if s.opts.Repos == nil || s.opts.Repos.Static() {
		return pushes
	}
	var out []queue.Push
	for _, p := range pushes {
		repos := s.opts.Repos.Using(p.Image)
		if len(repos) == 0 {
			out = append(out, p) // the config changed since the door let it in
			continue
		}
		for _, r := range repos {
			p.Repo = r
			out = append(out, p)
		}
	}
	return out
}

// quoteShort keeps what a sender wrote from growing a log line.
func quoteShort(s string) string {
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return strconv.Quote(s)
}

// allClaimDigests reports whether every push names the digest it pushed.
func allClaimDigests(pushes []webhook.Push) bool {
	for _, p := range pushes {
		if p.Digest == "" {
			return false
		}
	}
	return true
}

// bodyID identifies a delivery whose sender gives it no id: a retry of the
// same notification has the same body.
func bodyID(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:12])
}
