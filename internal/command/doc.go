// Package command reads stagehand's comment commands (/promote, /rollback,
// /hold, /release, /stagehand help) from issue and pull request comments.
//
// It only decides: Parse turns a comment and what the caller knows about it
// into a Result that says ignore it, reply with usage help, or run a command.
// Permissions, GitHub and the promotion engine belong to the caller, and so
// does what a name means: the <app> of /promote may name an app or a group
// of apps (.stagehand.yaml keeps the two apart), which the engine tells
// apart.
//
// Parsing follows Atlantis: a cheap screen first (action, author, the first
// word of the first line), so ordinary conversation is ignored without a
// word; then a strict parse, so a comment that is clearly meant for
// stagehand but is wrong gets a reply naming the mistake rather than silence
// or a guess.
package command
