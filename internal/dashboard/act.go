package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/stagehand-dev/stagehand/internal/config"
	"github.com/stagehand-dev/stagehand/internal/promote"
	"github.com/stagehand-dev/stagehand/internal/store"
)

// maxForm bounds an action's form: a few short fields and a reason.
const maxForm = 8 << 10

// kinds are the buttons, by the form value they post.
var kinds = map[string]promote.Kind{
	"promote":  promote.Promote,
	"hold":     promote.Hold,
	"release":  promote.Release,
	"rollback": promote.Rollback,
}

// act is a button: the form names the act as "kind app stage", and the
// request it submits is the one a comment would make (`/promote app to
// stage`, `/hold app stage reason`, …), by the person signed in, through
// the queue; the engine decides it by the same rules. The browser then
// goes back to the page it came from, which says how it ended.
func (h *Handler) act(w http.ResponseWriter, r *http.Request) {
	v, ok := h.who(w, r, h.opts.Mount+"/")
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		h.render(w, http.StatusBadRequest, "message", page{Title: "Cannot read the form", Login: v.Login, Home: h.opts.BasePath + "/",
			Message: "The form could not be read. Nothing was changed. Reload the dashboard and try again."})
		return
	}
	if !h.opts.SignIn.CheckForm(r, formScope(v.Login), r.PostForm.Get("csrf")) {
		h.log.Warn("dashboard action refused: CSRF token does not match", "login", v.Login)
		h.render(w, http.StatusForbidden, "message", page{Title: "Not done", Login: v.Login, Home: h.opts.BasePath + "/",
			Message: "This action did not come from the dashboard in this browser, or the page is out of date. Nothing was changed. Reload the dashboard and try again."})
		return
	}
	fields := strings.Fields(r.PostForm.Get("act"))
	kind, known := promote.Kind(""), false
	// A name internal/config would not take is no button of the
	// dashboard's, and writes nothing.
	if len(fields) == 3 && config.ValidName(fields[1]) && config.ValidName(fields[2]) {
		kind, known = kinds[fields[0]]
	}
	if !known {
		h.render(w, http.StatusBadRequest, "message", page{Title: "Unknown action", Login: v.Login, Home: h.opts.BasePath + "/",
			Message: "The dashboard did not send an action it knows. Nothing was changed."})
		return
	}
	req := promote.Request{ID: promote.NewID(), Kind: kind, Source: promote.FromDashboard, Actor: promote.Actor{Login: v.Login},
		App: fields[1], Stage: fields[2]}
	if kind == promote.Hold {
		req.Reason = strings.TrimSpace(r.PostForm.Get("reason"))
		if len(req.Reason) > 500 {
			req.Reason = req.Reason[:500]
		}
	}
	if err := h.opts.Requests.Submit(r.Context(), req); err != nil {
		h.unavailable(w, v, err)
		return
	}
	h.log.Info("dashboard action submitted", "kind", string(kind), "app", req.App, "stage", req.Stage, "login", v.Login, "request_id", req.ID)
	h.await(r.Context(), req.ID)
	back := h.opts.BasePath + "/"
	if next := r.PostForm.Get("next"); next == "app" {
		back = h.opts.BasePath + "/apps/" + url.PathEscape(req.App)
	}
	http.Redirect(w, r, back+"?"+url.Values{"done": {req.ID}}.Encode(), http.StatusSeeOther)
}

// await waits a little for request id to end, so that the page the browser
// goes back to usually shows the outcome; otherwise it says it is under way.
func (h *Handler) await(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(ctx, h.opts.Wait)
	defer cancel()
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		if o, ok, err := h.opts.Requests.Outcome(ctx, id); err != nil || !ok || o.State == store.Done {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// flash is what the page says of the action ?done= names, to the person
// who made it.
func (h *Handler) flash(r *http.Request) *flash {
	id := r.URL.Query().Get("done")
	if id == "" {
		return nil
	}
	o, ok, err := h.opts.Requests.Outcome(r.Context(), id)
	if err != nil || !ok || o.Actor != h.opts.SignIn.SignedIn(r) {
		return nil
	}
	what := fmt.Sprintf("%s %s in %s", o.Kind, o.App, o.Stage)
	if o.Kind == string(promote.Promote) {
		what = fmt.Sprintf("promote %s to %s", o.App, o.Stage)
	}
	f := &flash{PR: o.PR, PRURL: o.PRURL}
	switch {
	case o.State != store.Done:
		f.Text = what + ": under way; the page updates when it is done."
	case o.Result == string(promote.Refused) || o.Result == string(promote.Failed):
		f.Bad = true
		f.Text = fmt.Sprintf("%s: not done: %s.", what, o.Reason)
	default:
		f.Text = fmt.Sprintf("%s: %s.", what, o.Result)
		if o.Reason != "" {
			f.Text = fmt.Sprintf("%s: %s. %s.", what, o.Result, o.Reason)
		}
	}
	return f
}
