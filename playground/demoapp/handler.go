// Package demoapp is the demo "detail" service of the playground: a tiny
// HTTP app that tells its version, and that can be told to fail so that a
// canary analysis has something to catch.
//
// The app serves:
//
//	GET /catalogDetail  200 {"version":"2.0","vendors":[…]}, or 500
//	                    {"version":"3.0","error":"…"} once failing
//	GET /injectFault    makes every later /catalogDetail answer 500;
//	                    answers 200 "fault injected" (POST works too)
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
	"net/http"
	"sync/atomic"
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
	if version == "" {
		version = "latest"
	}
	a := &app{version: version}
	a.failing.Store(failing)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /catalogDetail", a.catalogDetail)
	mux.HandleFunc("GET /injectFault", a.injectFault)
	mux.HandleFunc("POST /injectFault", a.injectFault)
	mux.HandleFunc("GET /healthz", healthz)
	return mux
}

// app is the state of one app: its version and whether it fails.
type app struct {
	version string
	failing atomic.Bool
}

func (a *app) catalogDetail(w http.ResponseWriter, _ *http.Request) {
	if a.failing.Load() {
		writeJSON(w, http.StatusInternalServerError, Detail{Version: a.version, Error: "fault injected"})
		return
	}
	writeJSON(w, http.StatusOK, Detail{Version: a.version, Vendors: vendors})
}

func (a *app) injectFault(w http.ResponseWriter, _ *http.Request) {
	a.failing.Store(true)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("fault injected\n"))
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
