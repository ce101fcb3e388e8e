package command

import "testing"

func TestMutatesAndTargetStage(t *testing.T) {
	tests := []struct {
		body    string
		ctx     Context
		mutates bool
		stage   string
	}{
		{"/promote web to prod", onIssue, true, "prod"},
		{"/promote", onPR, true, ""}, // the next stage after staging: the caller resolves it
		{"/promote to prod", onPR, true, "prod"},
		{"/rollback web prod", onIssue, true, "prod"},
		{"/hold web preprod reason", onIssue, true, "preprod"},
		{"/release web staging", onIssue, true, "staging"},
		{"/stagehand help", onIssue, false, ""},
	}
	for _, tc := range tests {
		r := Parse(tc.body, tc.ctx)
		if r.Verdict != Run {
			t.Fatalf("Parse(%q) = %v, want run", tc.body, r.Verdict)
		}
		if got := r.Command.Mutates(); got != tc.mutates {
			t.Errorf("%q: Mutates() = %v, want %v", tc.body, got, tc.mutates)
		}
		if got := r.Command.TargetStage(); got != tc.stage {
			t.Errorf("%q: TargetStage() = %q, want %q", tc.body, got, tc.stage)
		}
	}
	if (Command{}).Mutates() {
		t.Error("the zero Command mutates")
	}
}

func TestTargetKind(t *testing.T) {
	tests := []struct {
		target string
		want   TargetKind
	}{
		{"", TargetNone},
		{digest, TargetDigest},
		{"1.4.2", TargetTag},
		{"v1", TargetTag},
		{"abcdef", TargetTag},           // 6 hex: too short for a commit
		{"abcdef0", TargetTagOrCommit},  // 7 hex
		{"20240611", TargetTagOrCommit}, // a build number is hex too
		{"0a1b2c3d4e5f60718293a4b5c6d7e8f901234567", TargetTagOrCommit}, // 40
		{"0a1b2c3d4e5f60718293a4b5c6d7e8f9012345678", TargetTag},        // 41
		{"ABCDEF0", TargetTag}, // commits are printed in lower case
	}
	for _, tc := range tests {
		if got := (Command{Kind: KindRollback, Target: tc.target}).TargetKind(); got != tc.want {
			t.Errorf("TargetKind(%q) = %v, want %v", tc.target, got, tc.want)
		}
	}
}

func TestVerdictString(t *testing.T) {
	for v, want := range map[Verdict]string{Ignore: "ignore", Reply: "reply", Run: "run", Verdict(9): "verdict(?)"} {
		if got := v.String(); got != want {
			t.Errorf("Verdict(%d).String() = %q, want %q", int(v), got, want)
		}
	}
}
