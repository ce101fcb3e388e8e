// Package e2e runs `stagehand serve` for end-to-end tests, with everything
// it talks to: a real OCI registry holding an image for every app, the
// GitHub stand-in (every request and response checked against GitHub's
// REST description), the keys Google signs Pub/Sub pushes with, and a
// config repository with one app per sender. It builds the signed
// deliveries each sender makes from that sender's documented payloads
// (testdata/webhook), plays GitHub's side of events and comments, and
// reads what serve shows: its metrics and its log.
//
// It is a package, not the head of one test file, so that every
// end-to-end test shares one harness and the tests read as tests. It is
// test support: the binary people deploy never links it (cmd/stagehand's
// TestProductCarriesNoTestSupport checks). A package cannot import package
// main, so the tests hand Start the command's run function in Options.Run,
// and serve runs in the test process, as the binary would run it:
//
//	w := e2e.Start(t, e2e.Options{Run: run})
//	a := w.App("generic")
//	if code, answer := w.Send(t, w.Deliveries(t)[a.Name]); code != http.StatusAccepted {
//		t.Fatalf("push: %d %q", code, answer)
//	}
//	w.Eventually(t, "the push worked", w.JobsDone(t, "push", 1))
//	w.CheckPinned(t, a, "staging")
//
// Every world stops when its test ends, and fails the test if serve did
// not stop cleanly or ever logged one of Secrets.
package e2e
