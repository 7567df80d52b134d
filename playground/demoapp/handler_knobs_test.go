package demoapp_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sluicehq/sluice/playground/demoapp"
)

// TestInjectFaultAtARateFailsThatFractionOfAnswers: 2000 answers at a rate
// of 5 % fail 100 times on average, with a standard deviation under 10; the
// bounds are five of them away.
func TestInjectFaultAtARateFailsThatFractionOfAnswers(t *testing.T) {
	server := httptest.NewServer(demoapp.Handler("2.0", true))
	defer server.Close()
	client := server.Client()
	if got := do(t, client, http.MethodGet, server.URL+"/injectFault?rate=0.05"); got.Status != http.StatusOK {
		t.Fatalf("/injectFault?rate=0.05 answered %+v", got)
	}
	failed := 0
	for range 2000 {
		if do(t, client, http.MethodGet, server.URL+"/catalogDetail").Status == http.StatusInternalServerError {
			failed++
		}
	}
	if failed < 50 || failed > 150 {
		t.Errorf("%d of 2000 answers failed at a rate of 5 %%, want about 100", failed)
	}
	do(t, client, http.MethodPost, server.URL+"/injectFault?rate=0")
	if got := do(t, client, http.MethodGet, server.URL+"/catalogDetail"); got.Status != http.StatusOK {
		t.Errorf("after rate=0 /catalogDetail answered %d, want 200: a rate of 0 heals", got.Status)
	}
}

func TestInjectLatencyDelaysTheAnswers(t *testing.T) {
	server := httptest.NewServer(demoapp.Handler("2.0", false))
	defer server.Close()
	client := server.Client()
	timed := func() time.Duration {
		start := time.Now()
		if got := do(t, client, http.MethodGet, server.URL+"/catalogDetail"); got.Status != http.StatusOK {
			t.Fatalf("/catalogDetail answered %d", got.Status)
		}
		return time.Since(start)
	}
	if got := do(t, client, http.MethodGet, server.URL+"/injectLatency?fraction=1&extra=150ms"); got.Status != http.StatusOK || got.Text != "latency injected" {
		t.Fatalf("/injectLatency answered %+v", got)
	}
	if took := timed(); took < 150*time.Millisecond {
		t.Errorf("with fraction=1 extra=150ms an answer took %s", took)
	}
	do(t, client, http.MethodGet, server.URL+"/injectLatency?fraction=0")
	if took := timed(); took >= 150*time.Millisecond {
		t.Errorf("with fraction=0 an answer took %s", took)
	}
}

func TestInjectKnobsRefuseValuesOutOfRange(t *testing.T) {
	server := httptest.NewServer(demoapp.Handler("2.0", false))
	defer server.Close()
	for _, path := range []string{
		"/injectFault?rate=1.5", "/injectFault?rate=NaN", "/injectLatency?fraction=-1&extra=1s",
		"/injectLatency?fraction=0.1&extra=1h", "/injectLatency?fraction=0.1&extra=soon", "/injectLatency",
	} {
		if got := do(t, server.Client(), http.MethodGet, server.URL+path); got.Status != http.StatusBadRequest {
			t.Errorf("%s answered %d, want 400", path, got.Status)
		}
	}
	if got := do(t, server.Client(), http.MethodGet, server.URL+"/catalogDetail"); got.Status != http.StatusOK {
		t.Errorf("/catalogDetail answered %d after refused knobs, want 200", got.Status)
	}
}
