// Package demoapp is the demo "detail" service of the playground: a tiny
// HTTP app that tells its version, and that can be told to fail so that a
// canary analysis has something to catch.
//
// The app serves:
//
//	GET /catalogDetail  200 {"version":"2.0","vendors":[…]}, or 500
//	                    {"version":"3.0","error":"…"} once failing
//	GET /injectFault    makes every later /catalogDetail answer 500;
//	                    answers 200 "fault injected" (POST works too);
//	                    ?rate=0.05 fails only that fraction of them, at
//	                    random: the same rate injected into the primary and
//	                    the canary is a shared fault, such as a database
//	                    both use; rate=0 heals
//	GET /injectLatency  ?fraction=0.1&extra=200ms makes that fraction of
//	                    later /catalogDetail answers, at random, wait extra
//	                    longer (at most 10s); answers 200 "latency injected"
//	                    (POST works too); fraction=0 stops it
//	GET /healthz        200 "ok", failing or not
//
// Handler serves it in process. The playground's gateway runs it as real
// local processes instead, one per Deployment, by re-executing its own
// executable with the environment of Command: every program that runs a
// gateway (the sluice command, a test binary's TestMain) calls RunIfChild
// first.
package demoapp

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// Detail is the JSON body of every /catalogDetail answer: a success carries
// Vendors, a failure Error. Version is always set.
type Detail struct {
	// Version is the version of the app that answered, e.g. "2.0".
	Version string `json:"version"`
	// Vendors is the catalog detail itself; empty on failure.
	Vendors []string `json:"vendors,omitempty"`
	// Error says why the app failed; empty on success.
	Error string `json:"error,omitempty"`
}

// vendors is the catalog every version serves.
var vendors = []string{"ABC.com", "XYZ.com"}

// Handler returns the app at version, failing from the start when failing
// is true. An empty version is reported as "latest". Each call returns an
// app with its own fault state: /injectFault on one handler leaves the
// others serving.
func Handler(version string, failing bool) http.Handler {
	return newHandler(version, failing, Latency{})
}

// Latency is the extra wait of a fraction of the answers, as
// /injectLatency sets it. The zero value adds none.
type Latency struct {
	// Fraction is the share of the answers that wait, from 0 to 1.
	Fraction float64
	// Extra is how much longer they wait, at most 10s.
	Extra time.Duration
}

// newHandler is Handler with slow as the latency from the start.
func newHandler(version string, failing bool, slow Latency) http.Handler {
	if version == "" {
		version = "latest"
	}
	a := &app{version: version}
	if failing {
		a.faultRate.Store(math.Float64bits(1))
	}
	a.latency.Store(&latency{fraction: slow.Fraction, extra: slow.Extra})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /catalogDetail", a.catalogDetail)
	mux.HandleFunc("GET /injectFault", a.injectFault)
	mux.HandleFunc("POST /injectFault", a.injectFault)
	mux.HandleFunc("GET /injectLatency", a.injectLatency)
	mux.HandleFunc("POST /injectLatency", a.injectLatency)
	mux.HandleFunc("GET /healthz", healthz)
	return mux
}

// maxExtraLatency bounds the latency /injectLatency may add.
const maxExtraLatency = 10 * time.Second

// app is the state of one app: its version, the fraction of its answers
// that fail and the latency it adds.
type app struct {
	version   string
	faultRate atomic.Uint64 // math.Float64bits of the fraction, 0..1
	latency   atomic.Pointer[latency]
}

// latency is the extra wait of a fraction of the answers.
type latency struct {
	fraction float64
	extra    time.Duration
}

func (a *app) catalogDetail(w http.ResponseWriter, r *http.Request) {
	if l := a.latency.Load(); l.fraction > 0 && rand.Float64() < l.fraction {
		select {
		case <-time.After(l.extra):
		case <-r.Context().Done():
			return
		}
	}
	if rate := math.Float64frombits(a.faultRate.Load()); rate >= 1 || rate > 0 && rand.Float64() < rate {
		writeJSON(w, http.StatusInternalServerError, Detail{Version: a.version, Error: "fault injected"})
		return
	}
	writeJSON(w, http.StatusOK, Detail{Version: a.version, Vendors: vendors})
}

func (a *app) injectFault(w http.ResponseWriter, r *http.Request) {
	rate := 1.0
	if text := r.URL.Query().Get("rate"); text != "" {
		var err error
		if rate, err = fraction(text); err != nil {
			http.Error(w, "rate: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	a.faultRate.Store(math.Float64bits(rate))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("fault injected\n"))
}

func (a *app) injectLatency(w http.ResponseWriter, r *http.Request) {
	query := r.URL.Query()
	share, err := fraction(query.Get("fraction"))
	if err != nil {
		http.Error(w, "fraction: "+err.Error(), http.StatusBadRequest)
		return
	}
	extra, err := time.ParseDuration(query.Get("extra"))
	if share > 0 && (err != nil || extra < 0 || extra > maxExtraLatency) {
		http.Error(w, fmt.Sprintf("extra: want a duration from 0 to %s, such as 200ms", maxExtraLatency), http.StatusBadRequest)
		return
	}
	a.latency.Store(&latency{fraction: share, extra: extra})
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("latency injected\n"))
}

// fraction parses a number from 0 to 1.
func fraction(text string) (float64, error) {
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || !(f >= 0 && f <= 1) {
		return 0, fmt.Errorf("want a number from 0 to 1, not %q", text)
	}
	return f, nil
}

func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
