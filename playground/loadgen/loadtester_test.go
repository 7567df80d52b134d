package loadgen_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicehq/sluice/playground/loadgen"
)

// post calls the load tester at url with payload (a string is sent as it
// is) and returns the status and body of the answer.
func post(t *testing.T, url string, payload any) (int, string) {
	t.Helper()
	body, ok := payload.(string)
	if !ok {
		data, err := json.Marshal(payload)
		if err != nil {
			t.Fatal(err)
		}
		body = string(data)
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, strings.TrimSpace(string(answer))
}

// hook returns the payload Flagger posts for a webhook with this metadata.
func hook(metadata map[string]string) loadgen.WebhookPayload {
	return loadgen.WebhookPayload{Name: "detail", Namespace: "flagger", Phase: "Progressing", Checksum: "abc", Metadata: metadata}
}

// newLoadTester serves a load tester whose requests all go to the app
// handler, whatever their URL's host.
func newLoadTester(t *testing.T, app http.Handler) (*loadgen.LoadTester, string) {
	t.Helper()
	appServer := httptest.NewServer(app)
	t.Cleanup(appServer.Close)
	lt := loadgen.NewLoadTester(loadgen.LoadTesterOptions{
		Transport: loadgen.TransportTo(strings.TrimPrefix(appServer.URL, "http://")),
	})
	t.Cleanup(lt.Close)
	ltServer := httptest.NewServer(lt)
	t.Cleanup(ltServer.Close)
	return lt, ltServer.URL
}

func TestLoadTesterStartsAHeyRunOnceWhileItRuns(t *testing.T) {
	app := &counting{}
	lt, url := newLoadTester(t, app)
	const cmd = "hey -z 1s -q 20 -c 1 http://detail-canary.flagger:3000/catalogDetail"
	payload := hook(map[string]string{"type": "cmd", "cmd": cmd})

	type call struct {
		Status  int
		Started bool
	}
	var got []call
	for range 2 {
		status, body := post(t, url, payload)
		got = append(got, call{status, strings.HasSuffix(body, "started")})
	}
	if diff := cmp.Diff([]call{{200, true}, {200, false}}, got); diff != "" {
		t.Errorf("two calls with the same command (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{cmd}, lt.Running()); diff != "" {
		t.Errorf("running (-want +got):\n%s", diff)
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(lt.Running()) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if running := lt.Running(); len(running) > 0 {
		t.Fatalf("still running 15s after a 1s run: %q", running)
	}
	// One run of 1s at 20/s sends at most 20 requests; two would send more.
	if n := app.served.Load(); n == 0 || n > 20 {
		t.Errorf("the app served %d requests, want 1 to 20 from one run", n)
	}
	if diff := cmp.Diff(map[string]int{"detail-canary.flagger:3000": int(app.served.Load())}, app.hosts); diff != "" {
		t.Errorf("requests by host (-want +got):\n%s", diff)
	}
	if status, body := post(t, url, payload); status != 200 || !strings.HasSuffix(body, "started") {
		t.Errorf("a call after the run ended answered %d %q, want the command started again", status, body)
	}
}

func TestLoadTesterAnswers(t *testing.T) {
	app := http.NewServeMux()
	app.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "fine") })
	app.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "broken", 500) })
	app.HandleFunc("/host", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, r.Host) })
	app.HandleFunc("/hangup", func(w http.ResponseWriter, r *http.Request) {
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	})
	_, url := newLoadTester(t, app)

	type answer struct {
		Status int
		Body   string
	}
	bash := func(cmd string) loadgen.WebhookPayload { return hook(map[string]string{"type": "bash", "cmd": cmd}) }
	tests := []struct {
		name    string
		payload any
		want    answer
	}{
		{
			name:    "curl -sf of a healthy app passes with its output",
			payload: bash("curl -sf http://detail-canary.flagger:3000/ok"),
			want:    answer{200, "fine"},
		},
		{
			name:    "curl -sf of a failing app fails",
			payload: bash("curl -sf http://detail-canary.flagger:3000/fail"),
			want:    answer{500, "command curl -sf http://detail-canary.flagger:3000/fail failed: GET http://detail-canary.flagger:3000/fail: the server answered 500 Internal Server Error"},
		},
		{
			name:    "curl -s of a failing app passes, as curl exits 0 without -f",
			payload: bash("curl -s http://detail-canary.flagger:3000/fail"),
			want:    answer{200, "broken"},
		},
		{
			name:    "curl sends the Host header it is given",
			payload: bash("curl -sf -H 'Host: detail.example.com' http://127.0.0.1:1/host"),
			want:    answer{200, "detail.example.com"},
		},
		{
			name:    "curl without an answer fails",
			payload: bash("curl -s http://detail-canary.flagger:3000/hangup"),
			want:    answer{500, `command curl -s http://detail-canary.flagger:3000/hangup failed: Get "http://detail-canary.flagger:3000/hangup": EOF`},
		},
		{
			name:    "hey as bash runs to its end",
			payload: bash("hey -n 4 -c 2 http://detail-canary.flagger:3000/ok"),
			want:    answer{200, "requests: 4, errors: 0, status codes: map[200:4]"},
		},
		{
			name:    "another program is refused",
			payload: bash("rm -rf /"),
			want:    answer{400, "command rm -rf /: rm is not supported: type bash runs curl and hey only"},
		},
		{
			name:    "shell syntax is refused",
			payload: bash("curl -s http://x/ok | grep fine"),
			want:    answer{400, `command curl -s http://x/ok | grep fine: shell syntax '|' is not supported: the load tester runs commands without a shell`},
		},
		{
			name:    "type cmd runs hey only",
			payload: hook(map[string]string{"type": "cmd", "cmd": "curl -sf http://x/ok"}),
			want:    answer{400, `type cmd runs hey commands only: hey command "curl -sf http://x/ok": not a hey command`},
		},
		{
			name:    "an unknown type is refused",
			payload: hook(map[string]string{"type": "concord", "cmd": "x"}),
			want:    answer{400, `metadata.type "concord" is not supported: want cmd or bash`},
		},
		{
			name:    "a payload without command is refused",
			payload: hook(nil),
			want:    answer{400, "payload: metadata.cmd is empty"},
		},
		{
			name:    "a body that is not JSON is refused",
			payload: "cmd=hey",
			want:    answer{400, "payload: invalid character 'c' looking for beginning of value"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := post(t, url, tt.payload)
			if diff := cmp.Diff(tt.want, answer{status, body}); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadTesterTakesPostOnly(t *testing.T) {
	_, url := newLoadTester(t, http.NotFoundHandler())
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET answered %d, want 405", resp.StatusCode)
	}
}

func TestLoadTesterStartsNothingOnceClosed(t *testing.T) {
	lt, url := newLoadTester(t, &counting{})
	lt.Close()
	status, body := post(t, url, hook(map[string]string{"cmd": "hey -z 1s -c 1 http://x/"}))
	want := "command hey -z 1s -c 1 http://x/: the load tester is closed"
	if diff := cmp.Diff([]any{503, want}, []any{status, body}); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
}
