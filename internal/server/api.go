package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/stagehand-dev/stagehand/internal/work"
)

// API answers the read-only history API; work.API is one.
type API interface {
	Apps(ctx context.Context) ([]work.AppView, error)
	History(ctx context.Context, app string, limit int) (work.AppHistory, error)
}

// apiRoutes serves GET /api/v1/apps and GET /api/v1/apps/{app}/history.
func (s *Server) apiRoutes(r chi.Router) {
	if s.opts.API == nil {
		return
	}
	r.Get("/api/v1/apps", func(w http.ResponseWriter, r *http.Request) {
		apps, err := s.opts.API.Apps(r.Context())
		s.writeJSON(w, apps, err)
	})
	r.Get("/api/v1/apps/{app}/history", func(w http.ResponseWriter, r *http.Request) {
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		h, err := s.opts.API.History(r.Context(), chi.URLParam(r, "app"), limit)
		s.writeJSON(w, h, err)
	})
}

func (s *Server) writeJSON(w http.ResponseWriter, v any, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err != nil {
		code := http.StatusInternalServerError
		if errors.Is(err, work.ErrUnknownApp) {
			code = http.StatusNotFound
		} else {
			s.log.Error("history API", "err", err)
		}
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
		return
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
