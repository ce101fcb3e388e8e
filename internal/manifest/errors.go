package manifest

import (
	"errors"
	"strconv"
	"strings"
)

// ErrNotKustomization means the file parses as YAML but is not a single
// Kustomization document with a well-formed images: list.
var ErrNotKustomization = errors.New("not a Kustomization")

// SyntaxError is malformed YAML. Line is 1-based and 0 when the parser did
// not say.
type SyntaxError struct {
	File string
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string {
	if e.Line > 0 {
		return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Msg
	}
	return e.File + ": " + e.Msg
}

// syntaxError turns the yaml parser's "yaml: line 7: what" into a
// SyntaxError; the parser exposes the line only in its message.
func syntaxError(file string, err error) *SyntaxError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, what, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				line, msg = n, what
			}
		}
	}
	return &SyntaxError{File: file, Line: line, Msg: msg}
}
