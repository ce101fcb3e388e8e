package manifest

import "strings"

// lineEnds is how a file ends its lines, so a rewrite can end them the same.
type lineEnds struct {
	crlf    bool // every line break is "\r\n"
	noFinal bool // the last line has no line break
}

// splitEnds returns data as "\n"-terminated text (the form kyaml renders)
// and how to turn such text back into the file's own line ends. Mixed line
// ends are left as they are: the "\r" stays part of the line.
func splitEnds(data []byte) (string, lineEnds) {
	s := string(data)
	var e lineEnds
	if n := strings.Count(s, "\n"); n > 0 && strings.Count(s, "\r\n") == n {
		e.crlf = true
		s = strings.ReplaceAll(s, "\r\n", "\n")
	}
	if s != "" && !strings.HasSuffix(s, "\n") {
		e.noFinal = true
		s += "\n"
	}
	return s, e
}

func (e lineEnds) restore(s string) []byte {
	if e.noFinal {
		s = strings.TrimSuffix(s, "\n")
	}
	if e.crlf {
		s = strings.ReplaceAll(s, "\n", "\r\n")
	}
	return []byte(s)
}
