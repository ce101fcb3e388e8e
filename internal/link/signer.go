package link

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// MinSecret is the shortest link secret accepted, in bytes: the size of
// the HMAC-SHA256 key it becomes.
const MinSecret = 32

// Signer makes one-click promotion links: <public URL>/promote/<token>.
type Signer struct {
	publicURL string
	key       []byte
	secure    bool   // the public URL is https: cookies are Secure
	prefix    string // the public URL's path, without a trailing slash
}

// NewSigner checks that publicURL is an absolute http or https URL and
// that key is at least MinSecret bytes.
func NewSigner(publicURL string, key []byte) (Signer, error) {
	var errs []error
	u, err := url.Parse(publicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		errs = append(errs, fmt.Errorf("STAGEHAND_PUBLIC_URL %q is not an absolute http:// or https:// URL such as https://stagehand.example.com", publicURL))
	}
	if len(key) < MinSecret {
		errs = append(errs, fmt.Errorf("STAGEHAND_LINK_SECRET is %d bytes; it must be at least %d (for example: openssl rand -base64 48)", len(key), MinSecret))
	}
	if err := errors.Join(errs...); err != nil {
		return Signer{}, err
	}
	// Behind a proxy that serves stagehand under a path, the browser's
	// path to the pages starts with it, and the cookies' paths must too.
	return Signer{publicURL: publicURL, key: key, secure: u.Scheme == "https", prefix: strings.TrimRight(u.Path, "/")}, nil
}

// Link returns a link that promotes app's digest from stage `from` to stage
// `to`, valid for DefaultTTL. It is "" only for claims Sign refuses, which
// stagehand's validated config and digests never make.
func (s Signer) Link(app, from, to, digest string) string {
	return s.LinkIn("", app, from, to, digest)
}

// LinkIn is Link of a promotion in config repository repo (owner/name),
// for a stagehand that serves several.
func (s Signer) LinkIn(repo, app, from, to, digest string) string {
	tok, err := Sign(s.key, Claims{Repo: repo, App: app, From: from, To: to, Digest: digest})
	if err != nil {
		return ""
	}
	return URL(s.publicURL, tok)
}

func (s Signer) pages() string { return s.prefix + "/promote/" }

func (s Signer) signInURL(token string) string {
	return strings.TrimRight(s.publicURL, "/") + "/oauth/login?" + url.Values{"link": {token}}.Encode()
}

func (s Signer) callbackURL() string { return strings.TrimRight(s.publicURL, "/") + CallbackPath }

func (s Signer) requestURL(token, id string) string {
	return URL(s.publicURL, token) + "/requests/" + url.PathEscape(id)
}
