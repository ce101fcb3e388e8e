// Package manifest reads and sets an app's image pin in a Kustomize
// kustomization.yaml, a Helm values file (paths to the tag and digest) or
// any YAML file (a path to a full reference): see Target. It is pure over
// bytes: no I/O.
//
// A values or image target only replaces scalars that exist, so it splices
// each new value over the old one's bytes where kyaml found it and checks
// the file parses back to the tree with just those values changed (see
// splice.go). A kustomization may gain an entry or keys, so it is rendered.
//
// Every read and write of YAML goes through sigs.k8s.io/kustomize/kyaml. But
// kyaml re-renders a whole file and loses what people keep in files they
// write by hand: blank lines, a leading "---", the spacing before comments,
// trailing blanks, block scalars, CRLF line ends, a missing final newline. So
// a rewrite is a three-way merge:
//
//	base   = kyaml's rendering of the file as parsed
//	theirs = kyaml's rendering after the images: entry changed
//	orig   = the bytes as written (line ends read as "\n")
//
// base→theirs is exactly the pin change; base→orig is the formatting kyaml
// would lose. Both are line diffs over base. The change's lines pair up by
// indentation and key ("    newTag:"), so "a line changed and one was added"
// are two edits; the formatting's lines pair up by their words whatever the
// spacing. Where the two do not touch, both apply, and a line added at a spot
// where kyaml dropped blank lines goes right after the line it follows. Where
// they touch the same line (typically the newTag line whose comment kyaml
// re-spaced) that line is merged again token by token: a value, the blanks
// around it and flow brackets are separate tokens, and spacing the change
// rewrites anyway yields to it.
//
// The result must parse back to exactly the changed tree (structure, tags,
// values). If the merge conflicts or that check fails, Rewrite returns
// kyaml's own rendering (in the file's line ends) and says so in
// Result.Reformatted rather than write something it cannot vouch for.
//
// Both renderings copy the layout of the file's own sequences, images: first
// (dash at the key's column, or 2 or 4 further in), so that lines kyaml adds
// line up with their neighbours.
package manifest
