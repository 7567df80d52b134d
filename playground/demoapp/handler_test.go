package demoapp_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicehq/sluice/playground/demoapp"
)

// answer is what a test reads of one response.
type answer struct {
	Status int
	Detail *demoapp.Detail
	Text   string
}

// do sends method path to the server at url and returns the answer,
// decoding /catalogDetail bodies.
func do(t *testing.T, client *http.Client, method, url string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	got := answer{Status: resp.StatusCode}
	if strings.HasSuffix(req.URL.Path, "/catalogDetail") {
		got.Detail = &demoapp.Detail{}
		if err := json.Unmarshal(body, got.Detail); err != nil {
			t.Fatalf("%s %s: %v: %q", method, url, err, body)
		}
	} else {
		got.Text = strings.TrimSpace(string(body))
	}
	return got
}

func TestHandler(t *testing.T) {
	vendors := []string{"ABC.com", "XYZ.com"}
	type request struct {
		Method, Path string
		Want         answer
	}
	tests := []struct {
		name     string
		version  string
		failing  bool
		requests []request
	}{
		{
			name:    "a healthy app serves its version",
			version: "2.0",
			requests: []request{
				{"GET", "/catalogDetail", answer{Status: 200, Detail: &demoapp.Detail{Version: "2.0", Vendors: vendors}}},
				{"GET", "/healthz", answer{Status: 200, Text: "ok"}},
			},
		},
		{
			name:    "an app without version reports latest",
			version: "",
			requests: []request{
				{"GET", "/catalogDetail", answer{Status: 200, Detail: &demoapp.Detail{Version: "latest", Vendors: vendors}}},
			},
		},
		{
			name:    "an app failing from the start answers 500 but stays healthy",
			version: "3.0",
			failing: true,
			requests: []request{
				{"GET", "/catalogDetail", answer{Status: 500, Detail: &demoapp.Detail{Version: "3.0", Error: "fault injected"}}},
				{"GET", "/healthz", answer{Status: 200, Text: "ok"}},
			},
		},
		{
			name:    "an injected fault makes every later request fail",
			version: "2.0",
			requests: []request{
				{"GET", "/catalogDetail", answer{Status: 200, Detail: &demoapp.Detail{Version: "2.0", Vendors: vendors}}},
				{"GET", "/injectFault", answer{Status: 200, Text: "fault injected"}},
				{"GET", "/catalogDetail", answer{Status: 500, Detail: &demoapp.Detail{Version: "2.0", Error: "fault injected"}}},
				{"GET", "/catalogDetail", answer{Status: 500, Detail: &demoapp.Detail{Version: "2.0", Error: "fault injected"}}},
			},
		},
		{
			name:    "a fault can be posted too",
			version: "2.0",
			requests: []request{
				{"POST", "/injectFault", answer{Status: 200, Text: "fault injected"}},
				{"GET", "/catalogDetail", answer{Status: 500, Detail: &demoapp.Detail{Version: "2.0", Error: "fault injected"}}},
			},
		},
		{
			name:    "unknown paths and methods are refused",
			version: "2.0",
			requests: []request{
				{"GET", "/nothing", answer{Status: 404, Text: "404 page not found"}},
				{"DELETE", "/injectFault", answer{Status: 405, Text: "Method Not Allowed"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := httptest.NewServer(demoapp.Handler(tt.version, tt.failing))
			defer server.Close()
			var want, got []answer
			for _, r := range tt.requests {
				want = append(want, r.Want)
				got = append(got, do(t, server.Client(), r.Method, server.URL+r.Path))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("answers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHandlersKeepTheirOwnFaults(t *testing.T) {
	faulty := httptest.NewServer(demoapp.Handler("2.0", false))
	defer faulty.Close()
	healthy := httptest.NewServer(demoapp.Handler("2.0", false))
	defer healthy.Close()
	do(t, faulty.Client(), "GET", faulty.URL+"/injectFault")
	got := []int{
		do(t, faulty.Client(), "GET", faulty.URL+"/catalogDetail").Status,
		do(t, healthy.Client(), "GET", healthy.URL+"/catalogDetail").Status,
	}
	if diff := cmp.Diff([]int{500, 200}, got); diff != "" {
		t.Errorf("statuses of the faulty and the healthy app (-want +got):\n%s", diff)
	}
}
