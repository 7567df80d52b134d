package loadgen

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseCurl(t *testing.T) {
	get := func(url string, edit func(*curlCommand)) curlCommand {
		c := curlCommand{method: "GET", url: url, header: http.Header{}}
		if edit != nil {
			edit(&c)
		}
		return c
	}
	tests := []struct {
		name    string
		line    string
		want    curlCommand
		wantErr bool
	}{
		{
			name: "silent and fail combined",
			line: "curl -sf http://detail-canary.flagger:3000/catalogDetail",
			want: get("http://detail-canary.flagger:3000/catalogDetail", func(c *curlCommand) { c.fail = true }),
		},
		{
			name: "silent alone does not fail on HTTP errors",
			line: "curl -s http://x/",
			want: get("http://x/", nil),
		},
		{
			name: "a Host header becomes the host",
			line: "curl -sS --fail -H 'Host: detail.example.com' -H 'X-Test: 1' http://127.0.0.1:8080/",
			want: get("http://127.0.0.1:8080/", func(c *curlCommand) {
				c.fail, c.host = true, "detail.example.com"
				c.header.Set("X-Test", "1")
			}),
		},
		{
			name: "values glued to short flags",
			line: "curl -m5 -XPOST -HX-A:b x:80/p",
			want: get("http://x:80/p", func(c *curlCommand) {
				c.method, c.timeout = "POST", 5*time.Second
				c.header.Set("X-A", "b")
			}),
		},
		{
			name: "long flags with values",
			line: "curl --silent --location --max-time 0.5 --request HEAD --header 'Host: h' --output /dev/null http://x/",
			want: get("http://x/", func(c *curlCommand) {
				c.method, c.timeout, c.location, c.host, c.discard = "HEAD", 500*time.Millisecond, true, "h", true
			}),
		},
		{name: "a flag the load tester does not understand", line: "curl -k http://x/", wantErr: true},
		{name: "a long flag the load tester does not understand", line: "curl --data x http://x/", wantErr: true},
		{name: "an output file", line: "curl -o out.json http://x/", wantErr: true},
		{name: "a flag without its value", line: "curl http://x/ -H", wantErr: true},
		{name: "two URLs", line: "curl http://x/ http://y/", wantErr: true},
		{name: "no URL", line: "curl -sf", wantErr: true},
		{name: "a bad timeout", line: "curl -m soon http://x/", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			words, err := splitWords(tt.line)
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseCurl(words)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseCurl(%q) error = %v, want error %v", tt.line, err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(curlCommand{})); diff != "" {
				t.Errorf("parseCurl(%q) (-want +got):\n%s", tt.line, diff)
			}
		})
	}
}
