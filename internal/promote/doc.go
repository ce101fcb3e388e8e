// Package promote is stagehand's promotion engine: it turns "this image was
// pushed" and "promote this app to that stage" into at most one living pull
// request per app and stage in the config repository.
//
// Deciding is pure (decide.go: plain values in, a decision out, table-tested);
// doing is thin (engine.go, propose.go, merge.go) and goes through the small
// interfaces in ports.go, which the GitHub App client implements.
//
// A group of apps (.stagehand.yaml's groups:) moves as one: its request is
// decided app by app by the same rules, and the group's verdict is made of
// theirs (group.go); it writes one commit on one branch per stage
// (stagehand/<group>/<stage>, group_apply.go). The pushes of its apps wait
// in the store for the group's window, and one request of the group's
// takes them all (gather.go).
//
// A stage with verify: has a health gate (verify.go): its merge is
// recorded as verifying and shown on GitHub as a deployment in progress;
// a Verify request, decided like any other, settles the gate from the
// merge commit's statuses, and only a green gate moves the image on
// (verify_apply.go). Every merge is a GitHub deployment of its stage.
//
// A stage's freeze windows are one rule of the plan (write in plan.go, the
// end every proposal shares): an automatic request waits and is scheduled
// for when the windows open, as a soak is; a person's is refused with that
// time unless they --force it. What a PR ships (the images' source
// revisions and the commits between them) is read in apply and rendered in
// its body (ships.go).
package promote
