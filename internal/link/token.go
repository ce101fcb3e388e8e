package link

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

const (
	// MaxTokenLen bounds a token: Verify refuses longer ones unread, and
	// Sign refuses claims that would not fit.
	MaxTokenLen = 1024
	version     = "v1"
)

// payload is the signed JSON; its field order is the wire order.
type payload struct {
	Repo   string `json:"repo,omitempty"`
	App    string `json:"app"`
	From   string `json:"from"`
	To     string `json:"to"`
	Digest string `json:"digest"`
	Exp    int64  `json:"exp"`
	ID     string `json:"id"`
}

// Sign makes a token for c. A zero Expires becomes now plus DefaultTTL; an
// empty ID becomes a fresh random nonce. Expires is kept to the second.
func Sign(key []byte, c Claims) (string, error) {
	if len(key) == 0 {
		return "", ErrKey
	}
	if c.Expires.IsZero() {
		c.Expires = time.Now().Add(DefaultTTL)
	}
	if c.ID == "" {
		c.ID = newID()
	}
	if err := c.check(); err != nil {
		return "", err
	}
	js, err := json.Marshal(payload{Repo: c.Repo, App: c.App, From: c.From, To: c.To, Digest: c.Digest, Exp: c.Expires.Unix(), ID: c.ID})
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrClaims, err)
	}
	token := seal(key, purposeLink, append([]byte(version), js...))
	if len(token) > MaxTokenLen {
		return "", fmt.Errorf("%w: names too long for a %d-byte token", ErrClaims, MaxTokenLen)
	}
	return token, nil
}

// Verify checks token against key at time now and returns its claims.
// Errors wrap ErrKey, ErrMalformed, ErrSignature or ErrExpired. With
// ErrExpired the claims are returned too: they are authentic, and the page
// can say which promotion's link ran out. A link is valid while now is
// before Expires, which comes back in UTC.
func Verify(key []byte, token string, now time.Time) (Claims, error) {
	if len(key) == 0 {
		return Claims{}, ErrKey
	}
	if len(token) > MaxTokenLen {
		return Claims{}, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, MaxTokenLen)
	}
	raw, err := unseal(key, purposeLink, token)
	if err != nil {
		return Claims{}, err
	}
	c, err := parsePayload(raw)
	if err != nil {
		// Signed with our key yet unreadable: a version this one does not know.
		return Claims{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if !now.Before(c.Expires) {
		return c, fmt.Errorf("%w at %s", ErrExpired, c.Expires.Format(time.RFC3339))
	}
	return c, nil
}

// parsePayload reads a "v1" payload strictly: known keys only, nothing
// after the object, and claims Sign would have accepted.
func parsePayload(raw []byte) (Claims, error) {
	js, ok := bytes.CutPrefix(raw, []byte(version))
	if !ok {
		return Claims{}, errors.New("unknown payload version")
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	var p payload
	if err := dec.Decode(&p); err != nil {
		return Claims{}, fmt.Errorf("payload: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Claims{}, errors.New("payload: data after the object")
	}
	c := Claims{Repo: p.Repo, App: p.App, From: p.From, To: p.To, Digest: p.Digest, Expires: time.Unix(p.Exp, 0).UTC(), ID: p.ID}
	if err := c.check(); err != nil {
		return Claims{}, err
	}
	return c, nil
}

// URL is the link a person clicks: publicURL (with or without a trailing
// slash) + "/promote/" + token.
func URL(publicURL, token string) string {
	return strings.TrimRight(publicURL, "/") + "/promote/" + url.PathEscape(token)
}

// newID is a fresh nonce. crypto/rand.Read never fails (it crashes the
// program if the system's source does), so there is no error to return.
func newID() string {
	b := make([]byte, idLen)
	rand.Read(b)
	return b64.EncodeToString(b)
}
