//go:build race

package main

// raceEnabled: the race detector slows decoding GitHub's 13 MB description
// twentyfold, and the generator has no concurrency for it to check.
const raceEnabled = true
