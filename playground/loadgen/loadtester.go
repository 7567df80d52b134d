package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
)

// LoadTesterOptions configures NewLoadTester.
type LoadTesterOptions struct {
	// Transport carries the requests of every command. Nil means a
	// transport of its own that resolves names as usual and ignores proxy
	// settings of the environment. TransportTo(gatewayAddress) sends every
	// request to the playground gateway, which routes in-cluster names such
	// as detail-canary.flagger:3000 by the Host header.
	Transport http.RoundTripper
	// Log receives a line per command started, skipped and finished. Nil
	// discards them.
	Log *slog.Logger
}

// LoadTester is a webhook that speaks the protocol of Flagger's load tester:
// POST a JSON payload {"name", "namespace", "phase", "checksum",
// "metadata": {"type", "cmd"}} and it runs metadata.cmd, without a shell,
// as follows:
//
//   - type "cmd" (or none) with a hey command line (see ParseHey) starts the
//     load run in the background and answers 200 at once. While a run of the
//     same command line is going on, another is not started: the answer is
//     200 and says so. Close stops the runs.
//   - type "bash" with a curl command line (see parseCurl for the flags
//     understood) sends the request and answers 200 with curl's output when
//     curl would exit 0, 500 with the reason when it would not: when there
//     is no response, or, with -f, when the status is 400 or above. As with
//     curl, without -f any response, a 500 included, is a success.
//   - type "bash" with a hey command line runs the load to its end and
//     answers 200 with a summary, as hey exits 0 whatever the answers.
//
// Anything else — another type, another program, shell syntax, a flag the
// load tester does not understand — answers 400 with the reason: nothing is
// run and nothing is faked. A request that is not a POST answers 405, a body
// that is not JSON 400.
//
// The paths /gate/… and /rollback/… are Flagger's manual gates (see
// gates); every other path runs commands as above.
type LoadTester struct {
	transport http.RoundTripper
	log       *slog.Logger
	ctx       context.Context
	cancel    context.CancelFunc
	runs      sync.WaitGroup

	mu      sync.Mutex
	running map[string]bool
	closed  bool
	gates   gates
}

// NewLoadTester returns a load tester; Close it when done.
func NewLoadTester(opts LoadTesterOptions) *LoadTester {
	transport := opts.Transport
	if transport == nil {
		own := http.DefaultTransport.(*http.Transport).Clone()
		own.Proxy = nil
		own.MaxIdleConnsPerHost = 100
		transport = own
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &LoadTester{transport: transport, log: log, ctx: ctx, cancel: cancel, running: map[string]bool{}, gates: gates{open: map[string]bool{}}}
}

// WebhookPayload is the body of a call, as Flagger posts it.
type WebhookPayload struct {
	// Name of the Canary.
	Name string `json:"name"`
	// Namespace of the Canary.
	Namespace string `json:"namespace"`
	// Phase of the Canary.
	Phase string `json:"phase"`
	// Checksum identifies the revision being rolled out.
	Checksum string `json:"checksum"`
	// Metadata of the webhook: "type" and "cmd" for the load tester.
	Metadata map[string]string `json:"metadata"`
}

// maxPayload bounds the body of a call.
const maxPayload = 1 << 20

// ServeHTTP handles one webhook call; see LoadTester.
func (lt *LoadTester) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "the load tester takes POST requests", http.StatusMethodNotAllowed)
		return
	}
	if lt.serveGate(w, r) {
		return
	}
	var payload WebhookPayload
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxPayload)).Decode(&payload); err != nil {
		http.Error(w, "payload: "+err.Error(), http.StatusBadRequest)
		return
	}
	cmd := strings.TrimSpace(payload.Metadata["cmd"])
	if cmd == "" {
		http.Error(w, "payload: metadata.cmd is empty", http.StatusBadRequest)
		return
	}
	canary := payload.Name + "." + payload.Namespace
	switch typ := payload.Metadata["type"]; typ {
	case "", "cmd":
		lt.serveCmd(w, canary, cmd)
	case "bash":
		lt.serveBash(r.Context(), w, canary, cmd)
	default:
		http.Error(w, fmt.Sprintf("metadata.type %q is not supported: want cmd or bash", typ), http.StatusBadRequest)
	}
}

// serveCmd starts a hey command in the background.
func (lt *LoadTester) serveCmd(w http.ResponseWriter, canary, cmd string) {
	opts, err := ParseHey(cmd)
	if err != nil {
		http.Error(w, "type cmd runs hey commands only: "+err.Error(), http.StatusBadRequest)
		return
	}
	started, err := lt.start(canary, cmd, opts)
	switch {
	case err != nil:
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
	case started:
		fmt.Fprintf(w, "command %s started\n", cmd)
	default:
		fmt.Fprintf(w, "command %s already running: not started again\n", cmd)
	}
}

// start starts a run of cmd unless one is going on, and reports whether it
// did.
func (lt *LoadTester) start(canary, cmd string, opts Options) (bool, error) {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	if lt.closed {
		return false, fmt.Errorf("command %s: the load tester is closed", cmd)
	}
	if lt.running[cmd] {
		lt.log.Info("Load test already running", "canary", canary, "cmd", cmd)
		return false, nil
	}
	lt.running[cmd] = true
	opts.Client = &http.Client{Transport: lt.transport}
	lt.log.Info("Load test started", "canary", canary, "cmd", cmd)
	lt.runs.Go(func() {
		report, err := Run(lt.ctx, opts)
		lt.mu.Lock()
		delete(lt.running, cmd)
		lt.mu.Unlock()
		lt.logReport(canary, cmd, report, err)
	})
	return true, nil
}

// logReport logs the outcome of a run.
func (lt *LoadTester) logReport(canary, cmd string, report Report, err error) {
	attrs := []any{"canary", canary, "cmd", cmd, "total", report.Total, "errors", report.Errors, "codes", fmt.Sprint(report.Codes)}
	if err != nil {
		lt.log.Info("Load test stopped", append(attrs, "reason", err.Error())...)
		return
	}
	lt.log.Info("Load test finished", attrs...)
}

// serveBash runs a curl or hey command and answers with its outcome.
func (lt *LoadTester) serveBash(ctx context.Context, w http.ResponseWriter, canary, cmd string) {
	words, err := splitWords(cmd)
	if err != nil {
		http.Error(w, fmt.Sprintf("command %s: %v", cmd, err), http.StatusBadRequest)
		return
	}
	switch program := path.Base(words[0]); program {
	case "curl":
		curl, err := parseCurl(words)
		if err != nil {
			http.Error(w, fmt.Sprintf("command %s: %v", cmd, err), http.StatusBadRequest)
			return
		}
		output, err := curl.run(ctx, lt.transport)
		if err != nil {
			lt.log.Info("Command failed", "canary", canary, "cmd", cmd, "reason", err.Error())
			http.Error(w, fmt.Sprintf("command %s failed: %v", cmd, err), http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte(output))
	case "hey":
		opts, err := ParseHey(cmd)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		opts.Client = &http.Client{Transport: lt.transport}
		report, err := Run(ctx, opts)
		if err != nil {
			http.Error(w, fmt.Sprintf("command %s failed: %v", cmd, err), http.StatusInternalServerError)
			return
		}
		lt.logReport(canary, cmd, report, nil)
		fmt.Fprintf(w, "requests: %d, errors: %d, status codes: %v\n", report.Total, report.Errors, report.Codes)
	default:
		http.Error(w, fmt.Sprintf("command %s: %s is not supported: type bash runs curl and hey only", cmd, program), http.StatusBadRequest)
	}
}

// Running returns the command lines of the runs going on, sorted.
func (lt *LoadTester) Running() []string {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	return slices.Sorted(maps.Keys(lt.running))
}

// Close stops the runs going on and waits for them to end; later calls that
// would start a run answer 503. It is safe to call more than once.
func (lt *LoadTester) Close() {
	lt.mu.Lock()
	lt.closed = true
	lt.mu.Unlock()
	lt.cancel()
	lt.runs.Wait()
}
