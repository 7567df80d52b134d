package loadgen_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sluicehq/sluice/playground/loadgen"
)

// counting is a test server that answers every n-th request with 500 and
// the others with 200, and counts the requests by Host header.
type counting struct {
	failEvery int64
	served    atomic.Int64
	mu        sync.Mutex
	hosts     map[string]int
}

func (c *counting) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := c.served.Add(1)
	c.mu.Lock()
	if c.hosts == nil {
		c.hosts = map[string]int{}
	}
	c.hosts[r.Host]++
	c.mu.Unlock()
	if c.failEvery > 0 && n%c.failEvery == 0 {
		http.Error(w, "failed", http.StatusInternalServerError)
		return
	}
	_, _ = w.Write([]byte("ok"))
}

func TestRunCountsTheAnswers(t *testing.T) {
	tests := []struct {
		name      string
		failEvery int64
		opts      loadgen.Options
		want      loadgen.Report
	}{
		{
			name: "a number of requests by several workers",
			opts: loadgen.Options{Requests: 60, Concurrency: 4},
			want: loadgen.Report{Total: 60, Codes: map[int]int{200: 60}},
		},
		{
			name:      "every status is counted",
			failEvery: 3,
			opts:      loadgen.Options{Requests: 30, Concurrency: 1},
			want:      loadgen.Report{Total: 30, Codes: map[int]int{200: 20, 500: 10}},
		},
		{
			name: "more workers than requests",
			opts: loadgen.Options{Requests: 2, Concurrency: 8},
			want: loadgen.Report{Total: 2, Codes: map[int]int{200: 2}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := httptest.NewServer(&counting{failEvery: tt.failEvery})
			defer server.Close()
			tt.opts.URL = server.URL + "/catalogDetail"
			got, err := loadgen.Run(context.Background(), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(loadgen.Report{}, "Elapsed")); diff != "" {
				t.Errorf("report (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRunHoldsTheRate(t *testing.T) {
	handler := &counting{}
	server := httptest.NewServer(handler)
	defer server.Close()
	// 40 requests per second for a second: request i waits until i/40 s, so
	// at most 40 can start within the second, and only a very slow machine
	// sends fewer than half of them.
	report, err := loadgen.Run(context.Background(), loadgen.Options{
		URL: server.URL, Rate: 40, Concurrency: 4, Duration: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if report.Total < 20 || report.Total > 41 {
		t.Errorf("sent %d requests at 40/s in 1s, want 20 to 41", report.Total)
	}
	if diff := cmp.Diff(map[int]int{200: report.Total}, report.Codes); diff != "" {
		t.Errorf("codes (-want +got):\n%s", diff)
	}
	if got := int(handler.served.Load()); got != report.Total {
		t.Errorf("server saw %d requests, report says %d", got, report.Total)
	}
}

func TestRunSendsTheHostHeader(t *testing.T) {
	handler := &counting{}
	server := httptest.NewServer(handler)
	defer server.Close()
	_, err := loadgen.Run(context.Background(), loadgen.Options{URL: server.URL, Host: "detail.example.com", Requests: 3})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"detail.example.com": 3}, handler.hosts); diff != "" {
		t.Errorf("requests by host (-want +got):\n%s", diff)
	}
}

func TestRunCountsRequestsWithoutAnswerAsErrors(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer server.Close()
	got, err := loadgen.Run(context.Background(), loadgen.Options{URL: server.URL, Requests: 5, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := loadgen.Report{Total: 5, Codes: map[int]int{}, Errors: 5}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(loadgen.Report{}, "Elapsed")); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
}

func TestRunStopsWhenTheContextEnds(t *testing.T) {
	server := httptest.NewServer(&counting{})
	defer server.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	report, err := loadgen.Run(ctx, loadgen.Options{URL: server.URL, Rate: 20, Duration: time.Hour})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run error = %v, want the context's", err)
	}
	if report.Total == 0 || report.Errors != 0 {
		t.Errorf("report = %+v, want some answers and no errors", report)
	}
}

func TestRunRefusesOptionsItCannotRun(t *testing.T) {
	tests := []struct {
		name string
		opts loadgen.Options
	}{
		{name: "no URL", opts: loadgen.Options{Requests: 1}},
		{name: "a relative URL", opts: loadgen.Options{URL: "/catalogDetail", Requests: 1}},
		{name: "a URL of another scheme", opts: loadgen.Options{URL: "ftp://x/", Requests: 1}},
		{name: "a run without end", opts: loadgen.Options{URL: "http://x/"}},
		{name: "a negative rate", opts: loadgen.Options{URL: "http://x/", Requests: 1, Rate: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			report, err := loadgen.Run(context.Background(), tt.opts)
			if err == nil {
				t.Fatalf("Run(%+v) = %+v, want an error", tt.opts, report)
			}
		})
	}
}
