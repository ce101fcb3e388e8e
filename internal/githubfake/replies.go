package githubfake

import (
	"net/http"
	"strconv"
)

// docsURL is where GitHub's error bodies point.
const docsURL = "https://docs.github.com/rest"

// apiError is GitHub's basic error body.
func apiError(status int, message string) reply {
	return reply{status: status, body: map[string]any{
		"message":           message,
		"documentation_url": docsURL,
		"status":            strconv.Itoa(status),
	}}
}

func notFound() reply { return apiError(http.StatusNotFound, "Not Found") }

// fieldError is one entry of a 422 "Validation Failed" body.
type fieldError struct {
	Resource string `json:"resource,omitempty"`
	Field    string `json:"field,omitempty"`
	Code     string `json:"code"`
	Message  string `json:"message,omitempty"`
}

// validationFailed is GitHub's 422 body for a well-formed request that the
// resource refuses.
func validationFailed(errs ...fieldError) reply {
	return reply{status: http.StatusUnprocessableEntity, body: map[string]any{
		"message":           "Validation Failed",
		"errors":            errs,
		"documentation_url": docsURL,
		"status":            "422",
	}}
}

// unprocessable is a 422 with only a message, as the git data API answers.
func unprocessable(message string) reply {
	return apiError(http.StatusUnprocessableEntity, message)
}

func ok(body any) reply      { return reply{status: http.StatusOK, body: body} }
func created(body any) reply { return reply{status: http.StatusCreated, body: body} }

// internalError hides the cause from the client, as GitHub does; the
// fake's own failures are recorded as violations so tests see them.
func (s *Server) internalError(c *call, err error) reply {
	s.violations = append(s.violations, "internal error in "+c.route.OpID+": "+err.Error())
	return apiError(http.StatusInternalServerError, "Server Error")
}
