package loadgen_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicehq/sluice/playground/loadgen"
)

func TestParseHey(t *testing.T) {
	const url = "http://detail-canary.flagger:3000/catalogDetail"
	tests := []struct {
		name    string
		cmd     string
		want    loadgen.Options
		wantErr bool
	}{
		{
			name: "the rate is per worker in hey and total in Options",
			cmd:  "hey -z 1m -q 10 -c 2 " + url,
			want: loadgen.Options{URL: url, Method: "GET", Rate: 20, Concurrency: 2, Duration: time.Minute, Timeout: 20 * time.Second},
		},
		{
			name: "without -z hey sends -n requests",
			cmd:  "hey -n 100 -c 5 " + url,
			want: loadgen.Options{URL: url, Method: "GET", Concurrency: 5, Requests: 100, Timeout: 20 * time.Second},
		},
		{
			name: "hey's defaults: 200 requests by 50 workers without a rate limit",
			cmd:  "hey " + url,
			want: loadgen.Options{URL: url, Method: "GET", Concurrency: 50, Requests: 200, Timeout: 20 * time.Second},
		},
		{
			name: "-z wins over -n",
			cmd:  "hey -n 10 -c 1 -z 30s " + url,
			want: loadgen.Options{URL: url, Method: "GET", Concurrency: 1, Duration: 30 * time.Second, Timeout: 20 * time.Second},
		},
		{
			name: "headers, host, method, accept and timeout",
			cmd:  `/usr/local/bin/hey -z=5s -c 1 -m post -t 3 -A application/json -H "X-A: 1" -H 'Host: detail.example.com' http://127.0.0.1:8080/`,
			want: loadgen.Options{
				URL: "http://127.0.0.1:8080/", Host: "detail.example.com", Method: "POST", Concurrency: 1,
				Duration: 5 * time.Second, Timeout: 3 * time.Second,
				Header: http.Header{"X-A": {"1"}, "Accept": {"application/json"}},
			},
		},
		{
			name: "-host wins over a Host header",
			cmd:  `hey -z 1s -c 1 -host a.example.com -H "Host: b.example.com" http://x/`,
			want: loadgen.Options{URL: "http://x/", Host: "a.example.com", Method: "GET", Concurrency: 1, Duration: time.Second, Timeout: 20 * time.Second},
		},
		{
			name: "-t 0 means no timeout",
			cmd:  "hey -z 1s -c 1 -t 0 http://x/",
			want: loadgen.Options{URL: "http://x/", Method: "GET", Concurrency: 1, Duration: time.Second, Timeout: 24 * time.Hour},
		},
		{name: "not hey", cmd: "curl http://x/", wantErr: true},
		{name: "an empty command", cmd: "", wantErr: true},
		{name: "no URL", cmd: "hey -z 1m", wantErr: true},
		{name: "flags after the URL", cmd: "hey http://x/ -z 1m", wantErr: true},
		{name: "a flag hey has but the load generator does not run", cmd: "hey -d body http://x/", wantErr: true},
		{name: "fewer requests than workers", cmd: "hey -n 1 -c 2 http://x/", wantErr: true},
		{name: "no workers", cmd: "hey -c 0 -z 1s http://x/", wantErr: true},
		{name: "a URL without scheme", cmd: "hey -z 1s detail:3000/", wantErr: true},
		{name: "shell syntax", cmd: "hey -z 1s http://x/ > out", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := loadgen.ParseHey(tt.cmd)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseHey(%q) error = %v, want error %v", tt.cmd, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseHey(%q) (-want +got):\n%s", tt.cmd, diff)
			}
		})
	}
}
