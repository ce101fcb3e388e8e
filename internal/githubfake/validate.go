package githubfake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Violations lists, oldest first, every request and response that did not
// conform to GitHub's description, every call to something the fake does
// not serve (with validation on), and any internal error of the fake.
func (s *Server) Violations() []string {
	s.mu.Lock()
	out := append([]string(nil), s.violations...)
	s.mu.Unlock()
	for _, sib := range s.siblings() {
		for _, v := range sib.Violations() {
			out = append(out, sib.opts.Repo+": "+v)
		}
	}
	return out
}

func (s *Server) recordViolation(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.violations = append(s.violations, fmt.Sprintf(format, args...))
}

// kinRoute asks kin-openapi's router for the operation, on the request
// path with each parameter escaped to one segment (GitHub's multi-segment
// parameters would otherwise not match its templates), and checks it is
// the operation the fake dispatches to.
func (s *Server) kinRoute(c *call) (*routers.Route, error) {
	req, err := http.NewRequest(c.r.Method, "https://api.github.com"+c.route.specPath(c.params), nil)
	if err != nil {
		return nil, err
	}
	rt, _, err := s.spec.router.FindRoute(req)
	if err != nil {
		return nil, err
	}
	if rt.Operation == nil || rt.Operation.OperationID != c.route.OpID {
		return nil, fmt.Errorf("kin-openapi routes to %s %s, the fake to %s", rt.Method, rt.Path, c.route.OpID)
	}
	return rt, nil
}

func (s *Server) filterOptions() *openapi3filter.Options {
	return &openapi3filter.Options{
		AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc,
		SkipSettingDefaults:     true,
		SchemaValidationOptions: s.spec.opts,
	}
}

func (s *Server) requestInput(ctx context.Context, c *call, rt *routers.Route) *openapi3filter.RequestValidationInput {
	req := c.r.Clone(ctx)
	req.Body = io.NopCloser(bytes.NewReader(c.body))
	req.ContentLength = int64(len(c.body))
	// GitHub reads every request body as JSON whatever its Content-Type
	// says (curl -d sends a form type), so the body is checked as JSON.
	if len(c.body) > 0 && !strings.Contains(req.Header.Get("Content-Type"), "json") {
		req.Header.Set("Content-Type", "application/json")
	}
	return &openapi3filter.RequestValidationInput{Request: req, PathParams: c.params, Route: rt, Options: s.filterOptions()}
}

// validateRequest checks c against the description. A non-conforming
// request is recorded and answered as GitHub answers it.
func (s *Server) validateRequest(ctx context.Context, c *call) *reply {
	rt, err := s.kinRoute(c)
	if err != nil {
		s.recordViolation("route %s %s: %v", c.r.Method, c.r.URL.RequestURI(), err)
		return nil
	}
	err = openapi3filter.ValidateRequest(ctx, s.requestInput(ctx, c, rt))
	if err == nil {
		return nil
	}
	s.recordViolation("request %s %s (%s): %v", c.r.Method, c.r.URL.RequestURI(), c.route.OpID, err)
	if len(bytes.TrimSpace(c.body)) > 0 && !json.Valid(c.body) {
		rep := apiError(http.StatusBadRequest, "Problems parsing JSON")
		return &rep
	}
	rep := apiError(http.StatusUnprocessableEntity, "Invalid request.\n\n"+requestDetail(err))
	return &rep
}

// requestDetail words a validation error the way GitHub's 422s do.
func requestDetail(err error) string {
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		if name, ok := strings.CutPrefix(se.Reason, "property \""); ok && strings.HasSuffix(name, "\" is missing") {
			return fmt.Sprintf("%q wasn't supplied.", strings.TrimSuffix(name, "\" is missing"))
		}
		if ptr := strings.Join(se.JSONPointer(), "/"); ptr != "" {
			return fmt.Sprintf("For '%s', %s.", ptr, se.Reason)
		}
		return se.Reason + "."
	}
	var re *openapi3filter.RequestError
	if errors.As(err, &re) {
		if re.Parameter != nil {
			return fmt.Sprintf("Invalid value for %s parameter '%s'.", re.Parameter.In, re.Parameter.Name)
		}
		if errors.Is(re.Err, openapi3filter.ErrInvalidRequired) {
			return "Body wasn't supplied."
		}
	}
	return err.Error()
}

// validateResponse checks what the fake is about to send; a mismatch is
// the fake's bug and is recorded.
func (s *Server) validateResponse(ctx context.Context, c *call, rep reply, data []byte) {
	rt, err := s.kinRoute(c)
	if err != nil {
		return // recorded with the request
	}
	h := http.Header{}
	if data != nil {
		h.Set("Content-Type", "application/json; charset=utf-8")
	}
	for k, v := range rep.header {
		h[k] = v
	}
	err = openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: s.requestInput(ctx, c, rt),
		Status:                 rep.status,
		Header:                 h,
		Body:                   io.NopCloser(bytes.NewReader(data)),
		Options:                s.filterOptions(),
	})
	if err != nil {
		s.recordViolation("response %d to %s %s (%s): %v", rep.status, c.r.Method, c.r.URL.RequestURI(), c.route.OpID, err)
	}
}
