package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/gate"
	"github.com/stagehand-dev/stagehand/internal/githubapp"
	"github.com/stagehand-dev/stagehand/internal/link"
	"github.com/stagehand-dev/stagehand/internal/manifest"
)

// linkState is what a link's promotion looks like now: the head of the
// base branch and stagehand's records.
type linkState struct {
	base string
	// problem says why the config no longer has this promotion (app or
	// stages gone or reordered, a file missing or unreadable); "" if it has.
	problem string
	target  config.Stage
	source  manifest.Pinned // what the link's from stage pins
	current manifest.Pinned // what the link's to stage pins
	hold    *gate.Hold
	// mergedAt is when stagehand saw the link's digest merged into the from
	// stage; zero when it did not.
	mergedAt time.Time
	auth     linkAuth
}

// linkAuth is who acts on a link. Its zero value is a link without
// sign-in: a bearer capability.
type linkAuth struct {
	required bool   // GitHub sign-in is on: the approver check applies to login
	login    string // "" when the browser has not signed in
	verdict  gate.Verdict
}

// newTag is the tag the link promotes, when the from stage still pins its
// digest; the link itself carries only the digest.
func (st linkState) newTag(c link.Claims) string {
	if st.source.Digest == c.Digest {
		return st.source.Tag
	}
	return ""
}

// readLink reads the link's promotion from one commit of the base branch
// and from the store. An error is a failure to read; what the config lacks
// is a problem in the state.
func (s *Server) readLink(ctx context.Context, c link.Claims) (linkState, error) {
	o := s.opts.Links
	st := linkState{base: o.BaseBranch}
	br, err := o.Repo.Branch(ctx, o.BaseBranch)
	if err != nil {
		return st, fmt.Errorf("read branch %s: %w", o.BaseBranch, err)
	}
	read := func(path string) ([]byte, bool, error) {
		data, err := o.Repo.ReadFile(ctx, path, br.SHA)
		if errors.Is(err, githubapp.ErrNotFound) {
			st.problem = fmt.Sprintf("%s does not exist on %s", path, o.BaseBranch)
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("read %s: %w", path, err)
		}
		return data, true, nil
	}
	data, ok, err := read(config.FileName)
	if !ok {
		return st, err
	}
	cfg, err := config.Parse(config.FileName, data)
	if err != nil {
		st.problem = fmt.Sprintf("%s on %s is invalid", config.FileName, o.BaseBranch)
		return st, nil
	}
	app, ok := cfg.App(c.App)
	if !ok {
		st.problem = fmt.Sprintf("there is no app %q in %s any more", c.App, config.FileName)
		return st, nil
	}
	st.target, ok = cfg.Stage(c.To)
	if prev, hasPrev := cfg.Prev(c.To); !ok || !hasPrev || prev.Name != c.From {
		st.problem = fmt.Sprintf("%s no longer comes right after %s in %s", c.To, c.From, config.FileName)
		return st, nil
	}
	for _, f := range []struct {
		stage string
		pin   *manifest.Pinned
	}{{c.From, &st.source}, {c.To, &st.current}} {
		path := app.Path(f.stage)
		data, ok, err := read(path)
		if !ok {
			return st, err
		}
		if *f.pin, err = manifest.Current(path, data, app.Image); err != nil {
			st.problem = fmt.Sprintf("cannot read %s's image from %s", c.App, path)
			return st, nil
		}
	}
	h, held, err := o.Store.HoldOn(ctx, c.App, c.To)
	if err != nil {
		return st, fmt.Errorf("read holds: %w", err)
	}
	if held {
		st.hold = &gate.Hold{By: h.By, Reason: h.Reason, At: h.At, Rollback: h.Rollback}
	}
	d, ok, err := o.Store.LastDone(ctx, c.App, c.From)
	if err != nil {
		return st, fmt.Errorf("read history: %w", err)
	}
	if ok && d.Digest == c.Digest {
		st.mergedAt = d.At
	}
	return st, nil
}

// linkKind is what a link's page can offer.
type linkKind int

const (
	linkReady      linkKind = iota // every gate passes: offer to confirm
	linkNothing                    // the to stage runs the digest already
	linkChanged                    // the config no longer has this promotion
	linkSuperseded                 // the from stage runs another digest now
	linkApprovers                  // without sign-in: the to stage names approvers; with it: the person may not promote
	linkSignIn                     // sign-in is on and the browser has not signed in
	linkHeld                       // the to stage is held
	linkSoaking                    // the image has not soaked long enough in the from stage
)

// gateLine is one gate as the page lists it.
type gateLine struct {
	Name, Text string
	OK         bool
}

// linkVerdict is decideLink's answer: the page's status, why not when the
// link cannot act now, and every gate as it stands.
type linkVerdict struct {
	kind   linkKind
	code   int
	reason string
	gates  []gateLine
}

// decideLink decides what a link may do now. It is pure: the page, the
// confirmation and the engine's gate all ask it.
func decideLink(c link.Claims, st linkState, now time.Time) linkVerdict {
	if st.problem != "" {
		return linkVerdict{kind: linkChanged, code: http.StatusConflict,
			reason: fmt.Sprintf("The config repository changed since this link was made: %s", st.problem)}
	}
	gates := linkGates(c, st, now)
	v := linkVerdict{kind: linkReady, code: http.StatusOK, gates: gates}
	switch {
	case st.source.Digest != c.Digest:
		ran := fmt.Sprintf("%s pins no digest for %s on %s", c.From, c.App, st.base)
		if st.source.Digest != "" {
			ran = fmt.Sprintf("%s runs %s@%s on %s", c.From, st.source.Tag, st.source.Digest, st.base)
		}
		v.kind, v.code = linkSuperseded, http.StatusConflict
		v.reason = fmt.Sprintf("%s, not the image this link promotes (%s). The link works only while %s runs that image: if its pull request is not merged yet, merge it first; if %s has moved on, use a newer link or comment `/promote`", ran, c.Digest, c.From, c.From)
	case st.current.Found && st.current.Digest == c.Digest:
		v.kind = linkNothing
		v.reason = fmt.Sprintf("%s already runs %s@%s; there is nothing to promote", c.To, st.current.Tag, c.Digest)
	case !gates[0].OK && st.auth.required && st.auth.login == "":
		v.kind, v.code, v.reason = linkSignIn, http.StatusUnauthorized, gates[0].Text
	case !gates[0].OK:
		v.kind, v.code, v.reason = linkApprovers, http.StatusForbidden, gates[0].Text
	case !gates[1].OK:
		v.kind, v.code, v.reason = linkHeld, http.StatusConflict, gates[1].Text
	case !gates[2].OK:
		v.kind, v.code, v.reason = linkSoaking, http.StatusConflict, gates[2].Text
	}
	return v
}

// linkGates are approvers, hold and soak, in that order.
func linkGates(c link.Claims, st linkState, now time.Time) []gateLine {
	approvers := approversGate(c, st)
	hold := gateLine{Name: "Hold", OK: true, Text: fmt.Sprintf("%s is not held", c.To)}
	if v := gate.NotHeld(c.App, c.To, st.hold); !v.OK {
		hold = gateLine{Name: "Hold", Text: v.Reason}
	}
	soak := gateLine{Name: "Soak", OK: true, Text: fmt.Sprintf("%s requires no soak time", c.To)}
	if st.target.Soak > 0 {
		soak.Text = fmt.Sprintf("the image has run at least %s in %s, as %s requires", st.target.Soak, c.From, c.To)
		if v := gate.Soaked(c.From, c.To, st.target.Soak, st.mergedAt, now); !v.OK {
			soak = gateLine{Name: "Soak", Text: v.Reason}
		}
	}
	return []gateLine{approvers, hold, soak}
}

// approversGate is who may promote: without sign-in the link stands in for
// write permission and cannot act for approvers; with it, the signed-in
// person's verdict decides.
func approversGate(c link.Claims, st linkState) gateLine {
	who := fmt.Sprintf("anyone with write permission on the config repository may promote into %s", c.To)
	if len(st.target.Approvers) > 0 {
		who = fmt.Sprintf("only %s may promote into %s", strings.Join(st.target.Approvers, ", "), c.To)
	}
	switch {
	case st.auth.required && st.auth.login == "":
		return gateLine{Name: "Approvers", Text: who + "; sign in with GitHub so stagehand can check that you may"}
	case st.auth.required && !st.auth.verdict.OK:
		return gateLine{Name: "Approvers", Text: st.auth.verdict.Reason}
	case st.auth.required:
		return gateLine{Name: "Approvers", OK: true, Text: fmt.Sprintf("signed in as @%s: %s, and you may", st.auth.login, who)}
	case len(st.target.Approvers) > 0:
		return gateLine{Name: "Approvers", Text: fmt.Sprintf("only %s may promote into %s, and a link cannot tell who clicked it (GitHub sign-in is not configured); an approver must comment `/promote %s to %s`",
			strings.Join(st.target.Approvers, ", "), c.To, c.App, c.To)}
	}
	return gateLine{Name: "Approvers", OK: true, Text: fmt.Sprintf("%s names none, so anyone with write permission may promote, and this link stands in for that permission", c.To)}
}
