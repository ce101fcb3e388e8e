package config

import (
	"reflect"
	"testing"
	"time"
)

func TestParseVerify(t *testing.T) {
	for _, tc := range []struct {
		name, add string
		want      Stage
	}{
		{"contexts, timeout, hold", "    verify:\n      - context: kustomization/apps-staging\n      - context: argocd/web-staging\n    verify_timeout: 20m\n    on_failure: hold\n",
			Stage{Name: "staging", Mode: AutoMerge, Verify: []string{"kustomization/apps-staging", "argocd/web-staging"}, VerifyTimeout: 20 * time.Minute, OnFailure: HoldStage}},
		{"defaults", "    verify:\n      - context: health\n",
			Stage{Name: "staging", Mode: AutoMerge, Verify: []string{"health"}, VerifyTimeout: DefaultVerifyTimeout, OnFailure: Stop}},
		{"stop", "    verify:\n      - context: health\n    on_failure: stop\n",
			Stage{Name: "staging", Mode: AutoMerge, Verify: []string{"health"}, VerifyTimeout: DefaultVerifyTimeout, OnFailure: Stop}},
		{"none", "", Stage{Name: "staging", Mode: AutoMerge}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := mustParse(t, edit("    mode: auto-merge\n", "    mode: auto-merge\n"+tc.add))
			if got := cfg.Stages[0]; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("staging = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// Line 4 is the first line added after staging's mode.
var badVerify = []badFile{
	{"empty verify", verifyEdit("    verify: []\n"), []string{
		"c.yaml:4:13: verify: is empty; list the statuses that say the stage runs healthy (- context: kustomization/apps-staging), or remove verify",
	}},
	{"verify not a list", verifyEdit("    verify: health\n"), []string{
		`c.yaml:4:13: verify: want a list (- item lines), found the string "health"`,
	}},
	{"item without context", verifyEdit("    verify:\n      - name: health\n"), []string{
		`c.yaml:5:9: unknown key "name" in verify 1; allowed keys are context`,
		`c.yaml:5:9: verify 1 lacks context:`,
	}},
	{"item is a string", verifyEdit("    verify:\n      - health\n"), []string{
		`c.yaml:5:9: verify 1: want a mapping (key: value lines), found the string "health"`,
	}},
	{"repeated context", verifyEdit("    verify:\n      - context: health\n      - context: health\n"), []string{
		`c.yaml:6:18: context: "health" is already listed (line 5)`,
	}},
	{"empty context", verifyEdit("    verify:\n      - context: \"\"\n"), []string{
		`c.yaml:5:18: context: is empty`,
	}},
	{"timeout without verify", verifyEdit("    verify_timeout: 20m\n"), []string{
		"c.yaml:4:5: verify_timeout: only a stage with verify: waits for its statuses; add verify: or remove verify_timeout",
	}},
	{"on_failure without verify", verifyEdit("    on_failure: hold\n"), []string{
		"c.yaml:4:5: on_failure: only a stage with verify: can fail its health gate; add verify: or remove on_failure",
	}},
	{"timeout without unit", verifyEdit("    verify:\n      - context: health\n    verify_timeout: 20\n"), []string{
		"c.yaml:6:21: verify_timeout: 20 has no unit; write a duration such as 20m or 20h",
	}},
	{"timeout not a duration", verifyEdit("    verify:\n      - context: health\n    verify_timeout: soon\n"), []string{
		`c.yaml:6:21: verify_timeout: "soon" is not a duration; write a number with a unit, such as 20m, 1h or 1h30m`,
	}},
	{"timeout not above zero", verifyEdit("    verify:\n      - context: health\n    verify_timeout: 0s\n"), []string{
		`c.yaml:6:21: verify_timeout: "0s" must be longer than zero`,
	}},
	{"unknown on_failure", verifyEdit("    verify:\n      - context: health\n    on_failure: rollback\n"), []string{
		`c.yaml:6:17: on_failure: "rollback" is not a choice; use stop (the image goes no further) or hold (hold the stage too)`,
	}},
	{"typo", verifyEdit("    verfy:\n      - context: health\n"), []string{
		`c.yaml:4:5: unknown key "verfy" in stage "staging"; did you mean verify? allowed keys are name, mode, after, soak, approvers, verify, verify_timeout, on_failure, windows`,
	}},
}

func verifyEdit(add string) string {
	return edit("    mode: auto-merge\n", "    mode: auto-merge\n"+add)
}

func TestParseBadVerify(t *testing.T) {
	for _, tc := range badVerify {
		t.Run(tc.name, func(t *testing.T) {
			checkProblems(t, tc.src, tc.want)
		})
	}
}
