// Package promote is stagehand's promotion engine: it turns "this image was
// pushed" and "promote this app to that stage" into at most one living pull
// request per app and stage in the config repository.
//
// Deciding is pure (decide.go: plain values in, a decision out, table-tested);
// doing is thin (engine.go, propose.go, merge.go) and goes through the small
// interfaces in ports.go, which the GitHub App client implements.
package promote
