package manifest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// ErrBadPath means a YAML path in the config does not parse.
var ErrBadPath = errors.New("invalid YAML path")

// Path is a parsed YAML path such as image.tag or
// spec.template.spec.containers[name=web].image: dotted mapping keys, [n]
// list indexes and [key=value] selectors that pick the one list item whose
// key has that value.
type Path struct {
	text  string
	steps []step
}

type step struct {
	key      string // a mapping key; "" for an index or a selector
	index    int    // with key and field empty
	field    string // a selector's key
	fieldVal string // a selector's value
}

func (s step) String() string {
	switch {
	case s.key != "":
		return s.key
	case s.field != "":
		return "[" + s.field + "=" + s.fieldVal + "]"
	}
	return "[" + strconv.Itoa(s.index) + "]"
}

func (p Path) String() string { return p.text }

// ParsePath parses a YAML path. Keys hold no whitespace, dots or brackets,
// since a path is written on one line of the config and read by people.
func ParsePath(s string) (Path, error) {
	p := Path{text: s}
	bad := func(at int, format string, args ...any) (Path, error) {
		return Path{}, fmt.Errorf("%w %q: at character %d: %s", ErrBadPath, s, at+1, fmt.Sprintf(format, args...))
	}
	if s == "" {
		return Path{}, fmt.Errorf("%w: empty", ErrBadPath)
	}
	for i, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return bad(i, "whitespace or a control character")
		}
	}
	i := 0
	for i < len(s) {
		switch c := s[i]; {
		case c == '[':
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return bad(i, "[ without ]")
			}
			inner := s[i+1 : i+end]
			if strings.ContainsAny(inner, "[") {
				return bad(i, "[ inside [ ]")
			}
			if k, v, ok := strings.Cut(inner, "="); ok {
				if k == "" || v == "" || strings.ContainsAny(k, ".") {
					return bad(i, "a selector is [key=value], as in [name=web]")
				}
				p.steps = append(p.steps, step{field: k, fieldVal: v})
			} else {
				n, err := strconv.Atoi(inner)
				if err != nil || n < 0 || inner != strconv.Itoa(n) {
					return bad(i, "%q is neither an index such as [0] nor a selector such as [name=web]", "["+inner+"]")
				}
				p.steps = append(p.steps, step{index: n})
			}
			i += end + 1
			if i < len(s) && s[i] != '.' && s[i] != '[' {
				return bad(i, "a dot or [ goes after ]")
			}
			if i < len(s) && s[i] == '.' {
				if why := afterDot(s, i); why != "" {
					return bad(i, "%s", why)
				}
				i++
			}
		case c == '.':
			return bad(i, "an empty key")
		case c == ']':
			return bad(i, "] without [")
		default:
			end := strings.IndexAny(s[i:], ".[]")
			if end < 0 {
				end = len(s) - i
			}
			p.steps = append(p.steps, step{key: s[i : i+end]})
			i += end
			if i < len(s) && s[i] == '.' {
				if why := afterDot(s, i); why != "" {
					return bad(i, "%s", why)
				}
				i++
			}
		}
	}
	return p, nil
}

// afterDot says what is wrong with the dot at s[i], or "".
func afterDot(s string, i int) string {
	switch {
	case i+1 == len(s):
		return "the path ends with a dot"
	case s[i+1] == '[':
		return "write key[0] or key[name=web], without a dot before ["
	}
	return ""
}
