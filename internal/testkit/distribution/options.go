package distribution

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Option configures a Registry. Options can fail, and New rejects
// conflicting ones rather than letting the last one win silently.
type Option func(*options) error

// ErrOptions reports unusable options.
var ErrOptions = errors.New("distribution: invalid options")

type options struct {
	endpoint  string      // notification URL; "" means no notifications
	headers   http.Header // sent with every notification
	timeout   time.Duration
	threshold int
	backoff   time.Duration
	tagDelay  time.Duration // before each tag write; 0 means none

	set map[string]bool // single-valued options already given
}

// defaultOptions holds every default in one place. The notification
// defaults are Distribution's own (notifications.EndpointConfig.defaults),
// spelled out so a test reads what it gets.
func defaultOptions() *options {
	return &options{
		headers:   http.Header{},
		timeout:   time.Second,
		threshold: 10,
		backoff:   time.Second,
		set:       map[string]bool{},
	}
}

func makeOptions(opts ...Option) (*options, error) {
	o := defaultOptions()
	var errs []error
	for _, opt := range opts {
		if err := opt(o); err != nil {
			errs = append(errs, err)
		}
	}
	if o.endpoint == "" {
		for _, opt := range []string{"WithHeader", "WithTimeout", "WithThreshold", "WithBackoff"} {
			if o.set[opt] {
				errs = append(errs, fmt.Errorf("%s without WithEndpoint: there is nothing to notify", opt))
			}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrOptions, errors.Join(errs...))
	}
	return o, nil
}

// once rejects a single-valued option given twice.
func (o *options) once(opt string) error {
	if o.set[opt] {
		return fmt.Errorf("%s given more than once", opt)
	}
	o.set[opt] = true
	return nil
}

// WithEndpoint makes the registry notify rawURL (http or https) of what
// happens to it, through Distribution's own notification endpoint: an
// in-memory queue, a retrying sink with a circuit breaker, and one POST per
// event. Without it the registry notifies no one.
func WithEndpoint(rawURL string) Option {
	return func(o *options) error {
		if err := o.once("WithEndpoint"); err != nil {
			return err
		}
		u, err := url.Parse(rawURL)
		if err != nil {
			return fmt.Errorf("WithEndpoint: %w", err)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("WithEndpoint: %q is not an http(s) URL", rawURL)
		}
		o.endpoint = rawURL
		return nil
	}
}

// WithHeader adds a static header to every notification, as the
// registry's notifications.endpoints[].headers does; "Authorization",
// "Bearer s3cret" is the usual one. It may be given more than once.
func WithHeader(key, value string) Option {
	return func(o *options) error {
		if key == "" {
			return errors.New("WithHeader: empty key")
		}
		o.set["WithHeader"] = true
		o.headers.Add(key, value)
		return nil
	}
}

// WithTimeout bounds each notification request (default 1s).
func WithTimeout(d time.Duration) Option {
	return func(o *options) error {
		if err := o.once("WithTimeout"); err != nil {
			return err
		}
		if d <= 0 {
			return fmt.Errorf("WithTimeout: %s is not positive", d)
		}
		o.timeout = d
		return nil
	}
}

// WithThreshold sets how many failed attempts the circuit breaker allows,
// back to back and without waiting, before it waits the backoff between
// attempts (default 10).
func WithThreshold(n int) Option {
	return func(o *options) error {
		if err := o.once("WithThreshold"); err != nil {
			return err
		}
		if n <= 0 {
			return fmt.Errorf("WithThreshold: %d is not positive", n)
		}
		o.threshold = n
		return nil
	}
}

// WithBackoff sets the wait between attempts once the breaker has tripped
// (default 1s).
func WithBackoff(d time.Duration) Option {
	return func(o *options) error {
		if err := o.once("WithBackoff"); err != nil {
			return err
		}
		if d <= 0 {
			return fmt.Errorf("WithBackoff: %s is not positive", d)
		}
		o.backoff = d
		return nil
	}
}

// WithTagDelay makes the registry wait d before each write of where a tag
// points. Distribution notifies a manifest push before it writes the tag,
// so a receiver that resolves the tag on receipt then finds it missing, or
// at the digest before, every time rather than once in a while (as on slow
// storage).
func WithTagDelay(d time.Duration) Option {
	return func(o *options) error {
		if err := o.once("WithTagDelay"); err != nil {
			return err
		}
		if d <= 0 {
			return fmt.Errorf("WithTagDelay: %s is not positive", d)
		}
		o.tagDelay = d
		return nil
	}
}
