package main

import (
	"flag"
	"io"
	"os"
	"strings"
	"testing"
)

// TestServeAccessDefaults: a fresh serve, with nothing set, keeps the API
// closed and its metrics on the loopback interface.
func TestServeAccessDefaults(t *testing.T) {
	for _, k := range []string{"STAGEHAND_API_TOKEN", "STAGEHAND_API_OPEN", "STAGEHAND_METRICS_ADDR"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	var f serveFlags
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	f.register(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if f.apiToken != "" || f.apiOpen || apiAccess(f) != "closed" {
		t.Errorf("API token %q, open %v: want closed", f.apiToken, f.apiOpen)
	}
	if f.metricsAddr != "127.0.0.1:9090" {
		t.Errorf("metrics on %q, want 127.0.0.1:9090", f.metricsAddr)
	}
}

func TestServeAccessSettings(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string // "" for no problem
	}{
		{"a token", nil, []string{"--api-token", "0123456789abcdef0123"}, ""},
		{"open", nil, []string{"--api-open"}, ""},
		{"open from the environment", map[string]string{"STAGEHAND_API_OPEN": "true"}, nil, ""},
		{"both", nil, []string{"--api-open", "--api-token", "0123456789abcdef0123"}, "are both set"},
		{"a short token", nil, []string{"--api-token", "short-SECRET"}, "STAGEHAND_API_TOKEN is 12 bytes; it must be at least 16"},
		{"not a boolean", map[string]string{"STAGEHAND_API_OPEN": "yes please"}, nil, "STAGEHAND_API_OPEN is not true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"STAGEHAND_API_TOKEN", "STAGEHAND_API_OPEN"} {
				t.Setenv(k, tt.env[k])
				if _, ok := tt.env[k]; !ok {
					os.Unsetenv(k)
				}
			}
			var f serveFlags
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			f.register(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			f.secret = "set"
			var problems []string
			for _, err := range f.check() {
				problems = append(problems, err.Error())
			}
			got := strings.Join(problems, "\n")
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("problems %q, want ~%q", got, tt.want)
			}
			if strings.Contains(got, "SECRET") {
				t.Errorf("a problem repeats the token: %q", got)
			}
		})
	}
}
