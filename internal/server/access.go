package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
)

// apiRealm names what a bearer token opens, in WWW-Authenticate.
const apiRealm = `Bearer realm="stagehand API"`

// apiAccess lets a request through to the API when the API is open or the
// request carries the token. A closed API with no token set refuses
// everyone, saying how to open it. The answers are JSON, as the API's
// are, so that `stagehand history` can show them.
func (s *Server) apiAccess(next http.Handler) http.Handler {
	// Both sides are hashed before the constant-time compare, so that
	// neither the token's bytes nor its length leak through timing.
	want := sha256.Sum256([]byte(s.opts.APIToken))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.opts.APIOpen {
			next.ServeHTTP(w, r)
			return
		}
		if s.opts.APIToken == "" {
			apiRefuse(w, http.StatusForbidden, "", "the API is closed on this server: start stagehand serve with STAGEHAND_API_TOKEN set and send it as Authorization: Bearer <token>, or with --api-open to let anyone read it")
			return
		}
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		token = strings.TrimSpace(token)
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			apiRefuse(w, http.StatusUnauthorized, apiRealm, "the API needs a token: send Authorization: Bearer <STAGEHAND_API_TOKEN>")
			return
		}
		got := sha256.Sum256([]byte(token))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			apiRefuse(w, http.StatusUnauthorized, apiRealm+`, error="invalid_token"`, "the API token is wrong")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func apiRefuse(w http.ResponseWriter, code int, challenge, msg string) {
	if challenge != "" {
		w.Header().Set("WWW-Authenticate", challenge)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
