// Package distribution runs the real CNCF Distribution registry (v3, the
// registry:3 image) in the test process, so that stagehand's tests receive
// the notifications a registry users run sends, not payloads we wrote
// ourselves. A hand-written payload can only echo what we already believe
// about the sender; this one is made by Distribution's own code: its
// notification queue, its retrying sink, its field names, its blob events.
//
// The registry keeps its storage in memory and serves plain HTTP on
// 127.0.0.1 without auth. With WithEndpoint it notifies a URL through
// Distribution's own endpoint (queue, retrying sink with circuit breaker,
// one POST per event, Content-Type
// application/vnd.docker.distribution.events.v2+json), with the headers,
// timeout, threshold and backoff the options give:
//
//	rec := distribution.NewRecorder(t) // or stagehand's own webhook server
//	reg := distribution.NewTest(t,
//		distribution.WithEndpoint(rec.URL()+"/webhooks/registry/distribution"),
//		distribution.WithHeader("Authorization", "Bearer s3cret"))
//	p, err := reg.PushImage(ctx, "app:v1") // random image, digest checked
//	d, err := rec.Wait(ctx, distribution.ManifestPush("app", "v1"))
//
// Events name the registry as the pushing client addressed it:
// request.host is reg.Host(), "127.0.0.1:PORT". Push, PushAt, PushImage
// and PushIndex push with go-containerregistry, as CI does; Distribution
// then sends a push event per new blob (layers and config, media type
// application/octet-stream), one per manifest (with target.tag when pushed
// by tag; an index's images are pushed by digest, without), and pull
// events for every HEAD the client makes, including the check Push makes
// after pushing.
//
// Distribution notifies a manifest push before it points the tag at the
// manifest, so a receiver that resolves the tag on receipt may find it
// missing or still at the digest before; WithTagDelay makes that happen
// every time.
//
// Distribution logs through the process-wide logrus logger (its own
// logger is in an internal package), so the first registry silences it for
// the whole test binary; set STAGEHAND_TEST_DISTRIBUTION_LOG=1 to see it.
// Close stops the notification goroutines that Distribution's own shutdown
// leaves running, reaching them by reflection: an upgrade of Distribution
// that moves them makes New fail with ErrInternals, and this package's
// tests check that Close leaves no goroutine behind.
//
// This is test support. It pulls in Distribution with its Redis client,
// OpenTelemetry exporters and gRPC; only _test.go files and other
// test-support packages may import it, never anything cmd/stagehand links
// (TestNotInProduct checks).
package distribution
