package githubfake

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is a running fake: an HTTP server speaking GitHub's REST API over
// one real git repository.
type Server struct {
	opts   Options
	spec   *spec
	routes []route
	base   string // http://127.0.0.1:port/
	ln     net.Listener
	http   *http.Server
	root   string // temp dir holding the repository

	// mu serialises everything below, the git processes included.
	mu            sync.Mutex
	closed        bool
	git           *gitRepo
	refs          map[string]string // full ref name → SHA
	numbers       int               // issue numbers handed out, to pull requests and plain issues alike
	pulls         []*pull           // by number
	issues        []*issue          // plain issues, by number
	labels        map[string]*label // by lower-case name
	comments      []*comment
	reactions     []*reaction
	collabs       map[string]collaborator    // by lower-case login
	teams         map[teamKey]string         // membership state: active, pending
	statuses      map[string][]*commitStatus // by commit SHA, oldest first
	checkRuns     map[string][]*checkRun     // by commit SHA, oldest first
	deployments   []*deployment              // oldest first
	protection    map[string]*protection     // by branch
	book          *tokenBook                 // installation tokens, shared with the other repositories
	apps          map[int64]*app             // by id: Options' App and those made from manifests
	hookApp       int64                      // the App whose webhook gets the deliveries; 0 for Options' App
	manifestCodes map[string]manifestCode    // manifest flow codes not yet converted
	oauthUser     string                     // who signs in at /login/oauth/authorize
	oauthCodes    map[string]oauthCode       // web flow codes not yet exchanged
	userTokens    map[string]userToken       // user tokens from the web flow
	calls         map[string]int
	violations    []string
	nextID        int64
	created       time.Time

	// lim guards the rate limits, apart from mu so that answering a
	// limited request never waits for git.
	hooks *hookQueue
	live  bool // seeded: ref updates are events from now on

	lim     sync.Mutex
	rates   map[string]*rate // by credential
	limiter *limiter         // nil: secondary limits off

	faults faults

	// The owner's other repositories (installation.go): the first fake
	// serves them all on its address; each sibling knows its primary.
	primary   *Server
	reposMu   sync.RWMutex
	repos     []*Server
	installed atomic.Bool // the App's installation includes the repository
}

// maxBody bounds request bodies; GitHub's own limit for blobs is 100 MB,
// far beyond what a config repo needs.
const maxBody = 32 << 20

// New starts a fake listening on 127.0.0.1 at a free port.
func New(opts Options) (*Server, error) {
	return newServer(opts, nil)
}

// newServer starts a fake; a primary's sibling shares its address, tokens
// and webhook, and listens nowhere itself.
func newServer(opts Options, primary *Server) (*Server, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	sp, err := sharedSpec()
	if err != nil {
		return nil, err
	}
	routes, err := buildRoutes(sp.doc)
	if err != nil {
		return nil, err
	}
	root, err := os.MkdirTemp("", "githubfake-")
	if err != nil {
		return nil, fmt.Errorf("githubfake: temp dir: %w", err)
	}
	s := &Server{
		opts: opts, spec: sp, routes: routes, root: root,
		refs: map[string]string{}, labels: map[string]*label{},
		collabs: map[string]collaborator{}, teams: map[teamKey]string{},
		statuses: map[string][]*commitStatus{}, checkRuns: map[string][]*checkRun{},
		protection: map[string]*protection{}, book: newTokenBook(),
		apps: map[int64]*app{}, manifestCodes: map[string]manifestCode{},
		oauthCodes: map[string]oauthCode{}, userTokens: map[string]userToken{},
		rates: map[string]*rate{}, calls: map[string]int{},
		nextID: 1000, created: time.Now().UTC().Truncate(time.Second),
	}
	s.apps[opts.AppID] = &app{
		ID: opts.AppID, Slug: appSlug, Name: appSlug, ExternalURL: "https://stagehand.dev", key: opts.AppKey,
		ClientID: fmt.Sprintf("Iv1.%016x", opts.AppID), Permissions: installationPermissions,
		Events: []string{"pull_request", "push", "status", "check_run", "issue_comment"}, Installation: opts.InstallationID, Created: s.created,
	}
	s.hooks = newHookQueue(opts.Webhook, stableID("hook", opts.Owner+"/"+opts.Repo))
	s.installed.Store(true)
	if primary != nil {
		s.primary, s.hooks, s.book, s.base = primary, primary.hooks, primary.book, primary.base
		s.nextID = stableID("ids", opts.Repo) * 1000 // ids of comments, checks… differ between repositories
		s.created = primary.created
	}
	s.faults = faults{choose: opts.Faults, counts: map[Fault]int{}}
	if opts.SecondaryLimits != nil {
		s.limiter = &limiter{limits: *opts.SecondaryLimits, start: opts.SecondaryLimits.Now(), inFlight: map[string]int{},
			content: map[string][]time.Time{}, points: map[[2]string][]pointSpend{}, refused: map[string]int{}}
	}
	ctx := context.Background()
	if s.git, err = openGitRepo(ctx, root, opts.DefaultBranch); err != nil {
		_ = os.RemoveAll(root)
		return nil, fmt.Errorf("githubfake: %w", err)
	}
	if err := s.seed(ctx); err != nil {
		s.git.close()
		_ = os.RemoveAll(root)
		return nil, fmt.Errorf("githubfake: seed: %w", err)
	}
	s.live = true
	if primary != nil {
		return s, nil
	}
	go s.deliverLoop()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.closeHooks()
		s.git.close()
		_ = os.RemoveAll(root)
		return nil, fmt.Errorf("githubfake: listen: %w", err)
	}
	s.ln = ln
	s.base = "http://" + ln.Addr().String() + "/"
	s.http = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.http.Serve(ln) }()
	return s, nil
}

// URL is the base URL to hand to go-github's WithEnterpriseURLs (for both
// arguments). The API answers at / and, as GitHub Enterprise Server does,
// under /api/v3/, so adding or leaving out that suffix both work.
func (s *Server) URL() string { return s.base }

// Close stops the server and removes the repository. Connections are cut
// rather than drained: http.Server.Shutdown waits up to five seconds for a
// client's freshly dialled, still unused connection. A request still
// being handled finishes first (it holds the lock), later ones get 503.
func (s *Server) Close() {
	if s.http != nil {
		_ = s.http.Close()
	}
	for _, sib := range s.siblings() {
		sib.Close()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	if s.primary == nil {
		s.closeHooks()
	}
	s.git.close()
	_ = os.RemoveAll(s.root)
}

// Owner is the repository's owner login.
func (s *Server) Owner() string { return s.opts.Owner }

// Repo is the repository's name.
func (s *Server) Repo() string { return s.opts.Repo }

// InstallationID is the App installation the fake accepts.
func (s *Server) InstallationID() int64 { return s.opts.InstallationID }

// call is one request on its way through the handlers.
type call struct {
	r      *http.Request
	route  *route
	params map[string]string
	body   []byte
	actor  string // login acting: the App bot for tokens
	// installation is the installation of the Options App whose token
	// the call carries; 0 for other credentials.
	installation int64
}

// reply is a handler's answer, encoded and validated by ServeHTTP.
type reply struct {
	status int
	body   any // JSON-encoded unless nil
	header http.Header
}

type handler func(s *Server, ctx context.Context, c *call) reply

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reqID := requestID()
	h := w.Header()
	h.Set("X-GitHub-Request-Id", reqID)
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")
	h.Set("X-GitHub-Api-Version-Selected", "2022-11-28")

	// The OAuth web flow and the App manifest flow's pages live on the
	// web host, beside the API.
	status, ok := s.serveOAuth(w, r)
	if !ok {
		status, ok = s.serveAppsWeb(w, r)
	}
	if ok {
		if s.opts.Logf != nil {
			s.opts.Logf("githubfake: %s %s → %d (%s, %s)", r.Method, r.URL.Path, status, time.Since(start).Round(time.Microsecond), reqID)
		}
		return
	}
	escaped := r.URL.EscapedPath()
	if rest, ok := strings.CutPrefix(escaped, "/api/v3"); ok && (rest == "" || rest[0] == '/') {
		escaped = rest
	}
	if escaped == "" {
		escaped = "/"
	}
	if sib, installed := s.repoOfPath(escaped); sib != nil {
		// Another repository of the owner answers for itself; one the
		// App is not installed on is invisible to its tokens.
		switch {
		case !installed:
			status = writeJSON(w, notFound())
		case strings.HasPrefix(escaped, "/raw/"):
			status = sib.serveRaw(context.WithoutCancel(r.Context()), w, escaped)
		default:
			status = sib.serve(w, r, escaped)
		}
	} else {
		status = s.serve(w, r, escaped)
	}
	if s.opts.Logf != nil {
		s.opts.Logf("githubfake: %s %s → %d (%s, %s)", r.Method, r.URL.RequestURI(), status, time.Since(start).Round(time.Microsecond), reqID)
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, escaped string) int {
	// GitHub finishes what a request began even when its caller hangs up
	// (a killed process, a timeout): the write happens, the answer is lost.
	ctx := context.WithoutCancel(r.Context())
	if strings.HasPrefix(escaped, "/raw/") && r.Method == http.MethodGet {
		return s.serveRaw(ctx, w, escaped)
	}
	rt, params, ok := match(s.routes, r.Method, escaped)
	if !ok {
		if s.opts.Validate {
			// A call the fake does not serve is a client bug or a gap in
			// the fake; either way the test should hear of it.
			s.recordViolation("unserved: %s %s is not an operation the fake serves", r.Method, r.URL.RequestURI())
		}
		s.rateHeaders(w.Header(), credential(r), false)
		return writeJSON(w, notFound())
	}
	// In flight from here until answered, waiting for the lock included,
	// as GitHub counts concurrent requests.
	client := limitClient(r)
	crowded := s.enter(client)
	defer s.leave(client)

	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		return writeJSON(w, apiError(http.StatusRequestEntityTooLarge, "Request body too large"))
	}
	c := &call{r: r, route: rt, params: params, body: body}

	var invalid *reply
	if s.opts.Validate {
		invalid = s.validateRequest(ctx, c)
	} else if len(bytes.TrimSpace(body)) > 0 && !json.Valid(body) {
		rep := apiError(http.StatusBadRequest, "Problems parsing JSON")
		invalid = &rep
	}

	s.mu.Lock()
	s.calls[rt.OpID]++
	actor, inst, authErr := s.authenticate(r, rt.OpID)
	c.installation = inst
	s.mu.Unlock()

	reqID := w.Header().Get("X-GitHub-Request-Id")
	var rep reply
	fault := FaultNone
	switch {
	case authErr != nil:
		rep = apiError(http.StatusUnauthorized, authErr.Error())
	case invalid != nil:
		rep = *invalid
	case params["owner"] != "" && (!strings.EqualFold(params["owner"], s.opts.Owner) || !strings.EqualFold(params["repo"], s.opts.Repo)):
		rep = notFound()
	case params["owner"] != "" && inst != 0 && inst != s.opts.InstallationID:
		// Another installation's token sees nothing of this repository.
		rep = notFound()
	default:
		// A request GitHub would serve: limits, then faults, then the
		// handler. A limited or faulted request changes nothing.
		if refusal := s.admit(client, rt.OpID, r.Method, crowded, reqID); refusal != nil {
			rep = *refusal
			break
		}
		fault = s.chooseFault(r, rt.OpID)
		if fault != FaultNone && fault != FaultLostResponse {
			rep = s.faultReply(fault, reqID)
			break
		}
		c.actor = actor
		s.mu.Lock()
		if s.closed {
			rep = apiError(http.StatusServiceUnavailable, "Server is shutting down")
		} else {
			rep = handlers[rt.OpID](s, ctx, c)
		}
		s.mu.Unlock()
	}
	data, err := encodeBody(rep.body)
	if err != nil {
		rep, data = apiError(http.StatusInternalServerError, "Server Error"), nil
		data, _ = encodeBody(rep.body)
	}
	free := false
	if r.Method == http.MethodGet && rep.status == http.StatusOK && data != nil && fault == FaultNone {
		if rep.header == nil {
			rep.header = http.Header{}
		}
		etag := etagOf(data)
		rep.header.Set("ETag", etag)
		cacheHeaders(rep.header)
		if notModified(r, etag, rep.header.Get("Last-Modified")) {
			rep.status, data, free = http.StatusNotModified, nil, authErr == nil
		}
	}
	s.rateHeaders(w.Header(), credential(r), free)
	// An injected failure is the test's doing, not the fake's: only what
	// the fake itself answers is checked.
	if s.opts.Validate && (fault == FaultNone || fault == FaultLostResponse) {
		s.validateResponse(ctx, c, rep, data)
	}
	if fault == FaultLostResponse {
		return loseResponse(w)
	}
	for k, v := range rep.header {
		w.Header()[k] = v
	}
	if data != nil {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(rep.status)
	_, _ = w.Write(data)
	return rep.status
}

func encodeBody(body any) ([]byte, error) {
	if body == nil {
		return nil, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeJSON(w http.ResponseWriter, rep reply) int {
	data, _ := encodeBody(rep.body)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(rep.status)
	_, _ = w.Write(data)
	return rep.status
}

// requestID looks like GitHub's: five colon-separated hex groups.
func requestID() string {
	b := make([]byte, 14)
	_, _ = rand.Read(b)
	h := strings.ToUpper(hex.EncodeToString(b))
	return h[0:4] + ":" + h[4:8] + ":" + h[8:14] + ":" + h[14:20] + ":" + h[20:28]
}

// newID hands out ids for comments, labels, statuses; callers hold mu.
func (s *Server) newID() int64 {
	s.nextID++
	return s.nextID
}

// newNumber hands out the next issue number; pull requests and plain issues
// share the sequence, as on GitHub. Callers hold mu.
func (s *Server) newNumber() int {
	s.numbers++
	return s.numbers
}

// errClosed is returned by the Go API after Close.
var errClosed = errors.New("githubfake: server closed")
