package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// ECR does not call webhooks itself: an EventBridge rule forwards "ECR Image
// Action" events to an API destination, whose connection adds an API-key
// header (or Basic auth, which is the same check on Authorization). No
// signature exists.
var ecr = vendor{
	off: offWhenEmpty("ECRKey", func(c Config) string { return c.ECRKey }),
	authenticate: func(_ context.Context, cfg Config, h http.Header, _ string, _ []byte) error {
		header := cfg.ECRHeader
		if header == "" {
			header = DefaultECRHeader
		}
		return headerSecret("ecr", h, header, cfg.ECRKey)
	},
	mediaTypes: []string{mediaJSON},
	parse:      parseECR,
}

type ecrEvent struct {
	Source     string `json:"source"`
	DetailType string `json:"detail-type"`
	Account    string `json:"account"`
	Region     string `json:"region"`
	Time       stamp  `json:"time"`
	Detail     struct {
		Result         string `json:"result"`
		RepositoryName string `json:"repository-name"`
		ImageDigest    string `json:"image-digest"`
		ActionType     string `json:"action-type"`
		ImageTag       string `json:"image-tag"`
	} `json:"detail"`
}

func parseECR(_ Config, body []byte) (Result, error) {
	var e ecrEvent
	if err := json.Unmarshal(body, &e); err != nil {
		return Result{}, malformed("ecr", "body is not an EventBridge event: %v", err)
	}
	if e.Source != "aws.ecr" || e.DetailType != "ECR Image Action" {
		return ignored("ecr: %s %s events are not image actions", quote(e.Source), quote(e.DetailType))
	}
	d := e.Detail
	switch {
	case d.ActionType != "PUSH":
		return ignored("ecr: %s actions are not pushes", quote(d.ActionType))
	case d.Result != "SUCCESS":
		return ignored("ecr: push result is %s", quote(d.Result))
	case d.ImageTag == "":
		return ignored("ecr: push has no tag")
	}
	host, why := ecrHost(e.Account, e.Region)
	if why != "" {
		return ignored("ecr: %s", why)
	}
	b := batch{vendor: "ecr"}
	b.push(fields{image: "account/region/detail.repository-name", tag: "detail.image-tag", digest: "detail.image-digest"},
		host+"/"+d.RepositoryName, d.ImageTag, d.ImageDigest, dropBadDigest, e.Time.Time)
	return b.result(), nil
}

// ecrHost is the private registry's host, <account>.dkr.ecr.<region>.amazonaws.com
// (.amazonaws.com.cn in the China regions), or why there is none.
func ecrHost(account, region string) (host, why string) {
	if len(account) != 12 || strings.Trim(account, "0123456789") != "" {
		return "", fmt.Sprintf("account %s is not a 12-digit AWS account id", quote(account))
	}
	if region == "" || strings.Trim(region, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
		return "", fmt.Sprintf("region %s is not an AWS region", quote(region))
	}
	suffix := ".amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		suffix = ".amazonaws.com.cn"
	}
	return account + ".dkr.ecr." + region + suffix, ""
}
