package githubapp

import (
	"net/http"
	"sync"

	"github.com/gohugoio/httpcache"
)

// GitHub answers a GET that carries the ETag of what the client has with
// 304 Not Modified when nothing changed, and a 304 does not count against
// the installation's primary rate limit. The cache below keeps GitHub's
// answers and revalidates each one on every use: stagehand never acts on an
// answer it did not confirm (a branch head a minute old could be the wrong
// base), it only saves GitHub sending, and charging for, the same body.

// newCachingTransport revalidates every GET against what it kept.
func newCachingTransport(next http.RoundTripper) http.RoundTripper {
	t := &httpcache.Transport{Transport: next, Cache: newBoundedCache(2048)}
	return revalidate{t}
}

// revalidate asks for a response no older than now, so that the cache
// always sends its validator rather than answering from memory.
type revalidate struct{ next http.RoundTripper }

func (r revalidate) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet {
		return r.next.RoundTrip(req)
	}
	req = req.Clone(req.Context()) // a RoundTripper must not modify the request
	req.Header.Set("Cache-Control", "max-age=0")
	return r.next.RoundTrip(req)
}

// boundedCache is httpcache's Cache in memory, forgetting everything when
// it holds max answers: what is forgotten costs one full answer again.
type boundedCache struct {
	mu  sync.Mutex
	max int
	m   map[string][]byte
}

func newBoundedCache(max int) *boundedCache {
	return &boundedCache{max: max, m: map[string][]byte{}}
}

func (c *boundedCache) Get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[key]
	return b, ok
}

func (c *boundedCache) Set(key string, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; !ok && len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[key] = b
}

func (c *boundedCache) Delete(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
}
