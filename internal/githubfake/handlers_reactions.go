package githubfake

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// reactionContents are the reactions GitHub knows.
var reactionContents = []string{"+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"}

func (s *Server) reactionJSON(r *reaction) map[string]any {
	return map[string]any{
		"id":         r.ID,
		"node_id":    nodeID("Reaction", r.ID),
		"user":       s.user(r.User),
		"content":    r.Content,
		"created_at": stamp(r.CreatedAt),
	}
}

func (s *Server) commentByID(id int64) *comment {
	for _, cm := range s.comments {
		if cm.ID == id {
			return cm
		}
	}
	return nil
}

// createCommentReaction adds the actor's reaction to an issue comment. The
// same reaction twice is GitHub's 200 with the one already there.
func (s *Server) createCommentReaction(ctx context.Context, c *call) reply {
	id, err := strconv.ParseInt(c.params["comment_id"], 10, 64)
	if err != nil || s.commentByID(id) == nil {
		return notFound()
	}
	var req struct {
		Content string `json:"content"`
	}
	if err := decodeBody(c, &req); err != nil {
		return apiError(http.StatusBadRequest, "Problems parsing JSON")
	}
	if !slices.Contains(reactionContents, req.Content) {
		return validationFailed(fieldError{Resource: "Reaction", Field: "content", Code: "invalid"})
	}
	for _, r := range s.reactions {
		if r.Comment == id && r.User == c.actor && r.Content == req.Content {
			return ok(s.reactionJSON(r))
		}
	}
	r := &reaction{ID: s.newID(), Comment: id, User: c.actor, Content: req.Content, CreatedAt: time.Now().UTC().Truncate(time.Second)}
	s.reactions = append(s.reactions, r)
	return created(s.reactionJSON(r))
}
