package webhook

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestStamp: the times vendors write read as the instant they mean, in
// UTC; anything else is "no time", never an error that costs the push.
func TestStamp(t *testing.T) {
	tests := []struct {
		json string
		want time.Time
	}{
		{`"2006-01-02T15:04:05Z"`, at("2006-01-02T15:04:05Z")},                     // Distribution's docs
		{`"2017-11-17T16:52:01.343145347Z"`, at("2017-11-17T16:52:01.343145347Z")}, // ACR
		{`"2021-02-26T19:13:55.749+01:00"`, at("2021-02-26T18:13:55.749Z")},        // any offset, to UTC
		{`"2016-11-10T23:57:49.664+0000"`, at("2016-11-10T23:57:49.664Z")},         // Nexus
		{`"2016-11-10T23:57:49-0130"`, at("2016-11-11T01:27:49Z")},                 // Nexus-like, no fraction
		{`1417566161`, at("2014-12-03T00:22:41Z")},                                 // Docker Hub, Harbor
		{`1.417566161e+09`, at("2014-12-03T00:22:41Z")},                            // the same as a float
		{`1680501893.5`, at("2023-04-03T06:04:53.5Z")},                             // fractions of a second
		{`"0001-01-01T00:00:00Z"`, time.Time{}},                                    // GitHub's placeholder
		{`null`, time.Time{}},
		{`""`, time.Time{}},
		{`"yesterday"`, time.Time{}},
		{`"1417566161"`, time.Time{}}, // a number in a string is not a time
		{`0`, time.Time{}},
		{`-5`, time.Time{}},
		{`1e300`, time.Time{}},
		{`true`, time.Time{}},
		{`{"seconds":1}`, time.Time{}},
		{`[1417566161]`, time.Time{}},
	}
	for _, tt := range tests {
		var v struct {
			At stamp `json:"at"`
		}
		if err := json.Unmarshal([]byte(`{"at":`+tt.json+`}`), &v); err != nil {
			t.Errorf("%s: %v, want no error", tt.json, err)
			continue
		}
		if !v.At.Equal(tt.want) || v.At.Location() != time.UTC {
			t.Errorf("%s: %v, want %v in UTC", tt.json, v.At.Time, tt.want)
		}
	}
}

// TestPushedAtShapes: push times the vendor examples do not show.
func TestPushedAtShapes(t *testing.T) {
	tests := []struct {
		name, vendor, body string
		want               []Push
		ignored            string
	}{
		{"generic pushed_at", "generic", `{"image":"ghcr.io/acme/web","tag":"1","pushed_at":"2026-03-01T13:00:00+01:00"}`,
			[]Push{{Image: "ghcr.io/acme/web", Tag: "1", PushedAt: at("2026-03-01T12:00:00Z")}}, ""},
		{"generic pushed_at not RFC 3339", "generic", `{"image":"ghcr.io/acme/web","tag":"1","pushed_at":"1772366400"}`,
			nil, `generic: pushed_at "1772366400" is not an RFC 3339 time`},
		{"docker hub time as a float", "dockerhub", `{"push_data":{"tag":"1","pushed_at":1.417566161e+09},"repository":{"repo_name":"acme/web"}}`,
			[]Push{{Image: "docker.io/acme/web", Tag: "1", PushedAt: at("2014-12-03T00:22:41Z")}}, ""},
		{"docker hub time as a string", "dockerhub", `{"push_data":{"tag":"1","pushed_at":"soon"},"repository":{"repo_name":"acme/web"}}`,
			[]Push{{Image: "docker.io/acme/web", Tag: "1"}}, ""},
		{"each event of a batch has its own time", "distribution", `{"events":[
			{"action":"push","timestamp":"2026-03-01T12:00:02Z","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","repository":"acme/web","tag":"1.1"},"request":{"host":"r.example.com"}},
			{"action":"push","timestamp":"2026-03-01T12:00:01Z","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","repository":"acme/web","tag":"1.0"},"request":{"host":"r.example.com"}}]}`,
			[]Push{{Image: "r.example.com/acme/web", Tag: "1.1", PushedAt: at("2026-03-01T12:00:02Z")}, {Image: "r.example.com/acme/web", Tag: "1.0", PushedAt: at("2026-03-01T12:00:01Z")}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.body)
			h, token := credentials(t, tt.vendor, body)
			got, err := ParseRegistry(context.Background(), testConfig(), tt.vendor, h, token, body)
			if err != nil {
				t.Fatal(err)
			}
			for i := range tt.want {
				tt.want[i].Vendor = tt.vendor
			}
			if !reflect.DeepEqual(got.Pushes, tt.want) || got.Ignored != tt.ignored && tt.want == nil {
				t.Errorf("got %+v\nwant %+v %q", got, tt.want, tt.ignored)
			}
		})
	}
}

// FuzzStamp: no input makes reading a time fail or panic, and a time read
// is in UTC.
func FuzzStamp(f *testing.F) {
	for _, s := range []string{`"2006-01-02T15:04:05Z"`, `"2016-11-10T23:57:49.664+0000"`, `1417566161`, `1.5e9`, `null`, `"x"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got := parseStamp(b)
		if !got.IsZero() && got.Location() != time.UTC {
			t.Fatalf("%q read as %v, not in UTC", b, got)
		}
	})
}
