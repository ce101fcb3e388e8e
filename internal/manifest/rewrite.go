package manifest

import "fmt"

// Result is the outcome of Rewrite.
type Result struct {
	Out     []byte // the new file; the input itself when nothing changed
	Changed bool
	// Reformatted means the user's formatting could not be kept around the
	// change and Out is kyaml's rendering of the whole file (line ends and
	// final newline still as in the input). Worth saying in the PR.
	Reformatted bool
}

// SetImage returns data with every images: entry matching img.Name pinned to
// img.Tag and img.Digest (keeping newName), adding the entry or images: when
// missing. changed is false and out is data itself when nothing would change.
// Everything else in the file stays as written; see the package doc.
func SetImage(file string, data []byte, img Image) (out []byte, changed bool, err error) {
	r, err := Rewrite(file, data, img)
	if err != nil {
		return nil, false, err
	}
	return r.Out, r.Changed, nil
}

// Rewrite is SetImage that also reports whether the file had to be
// reformatted. On error nothing is returned.
func Rewrite(file string, data []byte, img Image) (Result, error) {
	if err := img.validate(); err != nil {
		return Result{}, err
	}
	doc, top, err := parse(file, data)
	if err != nil {
		return Result{}, err
	}
	l := detectLayout(top, data)
	base, err := render(doc, l)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", file, err)
	}
	changed, err := pin(file, top, img)
	if err != nil {
		return Result{}, err
	}
	if !changed {
		return Result{Out: data}, nil
	}
	theirs, err := render(doc, l)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", file, err)
	}

	text, ends := splitEnds(data)
	if merged, ok := merge3(base, theirs, text); ok {
		out := ends.restore(merged)
		if same(file, out, doc) {
			return Result{Out: out, Changed: true}, nil
		}
	}
	out := ends.restore(theirs)
	if !same(file, out, doc) {
		return Result{}, fmt.Errorf("%s: kyaml cannot render the changed file faithfully", file)
	}
	return Result{Out: out, Changed: true, Reformatted: true}, nil
}
