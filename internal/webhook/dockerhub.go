package webhook

import (
	"encoding/json"
	"strings"
)

// Docker Hub signs nothing and sends no header we could check, so the only
// credential is an unguessable token in the URL path. It sends no digest.
var dockerHub = vendor{
	off:          offWhenEmpty("DockerHubToken", func(c Config) string { return c.DockerHubToken }),
	authenticate: tokenInPath("dockerhub", func(c Config) string { return c.DockerHubToken }),
	mediaTypes:   []string{mediaJSON},
	parse:        parseDockerHub,
}

type dockerHubPayload struct {
	PushData *struct {
		Tag      string `json:"tag"`
		PushedAt stamp  `json:"pushed_at"` // unix seconds
	} `json:"push_data"`
	Repository *struct {
		RepoName string `json:"repo_name"`
	} `json:"repository"`
}

// parseDockerHub: a body without repository is not Docker Hub's (every
// webhook it sends is a push to a repository); anything else that cannot
// be used is ignored.
func parseDockerHub(_ Config, body []byte) (Result, error) {
	var p dockerHubPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return Result{}, malformed("dockerhub", "body is not a Docker Hub webhook: %v", err)
	}
	if p.Repository == nil {
		return Result{}, malformed("dockerhub", "repository is missing")
	}
	if p.Repository.RepoName == "" {
		return ignored("dockerhub: repository.repo_name is missing")
	}
	if p.PushData == nil || p.PushData.Tag == "" {
		return ignored("dockerhub: push has no tag")
	}
	repo := p.Repository.RepoName
	if !strings.Contains(repo, "/") {
		repo = "library/" + repo // official images: "nginx" is library/nginx
	}
	b := batch{vendor: "dockerhub"}
	b.push(fields{image: "repository.repo_name", tag: "push_data.tag"}, "docker.io/"+repo, p.PushData.Tag, "", dropBadDigest, p.PushData.PushedAt.Time)
	return b.result(), nil
}
