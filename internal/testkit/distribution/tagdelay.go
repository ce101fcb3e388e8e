package distribution

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
	storagemiddleware "github.com/distribution/distribution/v3/registry/storage/driver/middleware"
)

// Distribution sends a manifest's push event from inside its manifest
// store's Put, and only then points the tag at the manifest (PutManifest in
// registry/handlers/manifests.go). A receiver that resolves the tag as soon
// as the event arrives races that write: it may find the tag missing, or
// still at the digest before. On fast storage the window is short; on an
// object store each write takes milliseconds. tagDelay widens it at will,
// so tests can lose that race every time.

const tagDelayMiddleware = "stagehand-testkit-tag-delay"

var (
	tagDelayOnce sync.Once
	tagDelayErr  error
)

// registerTagDelay registers the storage middleware, once per process:
// Distribution keeps middlewares in a global map that refuses a name twice
// and has no lock, so it happens before any registry that uses it starts.
func registerTagDelay() error {
	tagDelayOnce.Do(func() {
		tagDelayErr = storagemiddleware.Register(tagDelayMiddleware, newTagDelay)
	})
	return tagDelayErr
}

func newTagDelay(_ context.Context, d storagedriver.StorageDriver, opts map[string]any) (storagedriver.StorageDriver, error) {
	delay, ok := opts["delay"].(time.Duration)
	if !ok || delay <= 0 {
		return nil, fmt.Errorf("%s: delay %v is not a positive time.Duration", tagDelayMiddleware, opts["delay"])
	}
	return tagDelay{StorageDriver: d, delay: delay}, nil
}

// tagDelay waits before it writes where a tag points:
// <root>/v2/repositories/<name>/_manifests/tags/<tag>/current/link.
type tagDelay struct {
	storagedriver.StorageDriver
	delay time.Duration
}

func (d tagDelay) PutContent(ctx context.Context, path string, content []byte) error {
	if strings.Contains(path, "/_manifests/tags/") && strings.HasSuffix(path, "/current/link") {
		t := time.NewTimer(d.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return d.StorageDriver.PutContent(ctx, path, content)
}
