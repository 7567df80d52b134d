// Package loadgen generates HTTP load for the playground: Run sends requests
// at a rate for a while, the way the hey load generator does (ParseHey reads
// a hey command line), and LoadTester is a webhook that speaks Flagger's
// load tester protocol, so that a Canary's rollout and pre-rollout webhooks
// drive load and acceptance checks without a shell. TransportTo sends every
// request to one address, such as the playground gateway's, so that
// in-cluster URLs like http://detail-canary.flagger:3000/ work from outside
// the cluster.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultTimeout bounds each request when Options.Timeout is zero; it is
// hey's default.
const DefaultTimeout = 20 * time.Second

// Options describes a load run.
type Options struct {
	// URL is the http or https URL to request.
	URL string
	// Host is the Host header; zero means the URL's host.
	Host string
	// Method is the request method; zero means GET.
	Method string
	// Header holds headers added to every request; nil means none.
	Header http.Header
	// Rate is the total number of requests per second, shared by all
	// workers: request i is sent no earlier than i/Rate seconds after the
	// start, so the run never exceeds Rate on average since its start (a
	// stall is caught up at once). Zero means as fast as the workers go.
	// Unlike hey's -q, it is not per worker; ParseHey converts.
	Rate float64
	// Concurrency is the number of workers, each with at most one request
	// in flight; zero means 1.
	Concurrency int
	// Duration ends the run after that long: no request starts later, and
	// requests in flight then are waited for. Zero means no time limit.
	Duration time.Duration
	// Requests ends the run once that many requests have been sent; zero
	// means no count limit. Duration and Requests cannot both be zero.
	Requests int
	// Timeout bounds each request when Client has no timeout of its own;
	// zero means DefaultTimeout.
	Timeout time.Duration
	// Client sends the requests. Nil means a client of its own whose
	// connection pool fits Concurrency, which ignores proxy settings of the
	// environment.
	Client *http.Client
}

// Report is the outcome of a run.
type Report struct {
	// Total is the number of requests that ended, with a response or with an
	// error: the sum of Codes and Errors.
	Total int
	// Codes counts the responses by status code; never nil.
	Codes map[int]int
	// Errors counts the requests that got no response (refused, reset,
	// timed out). Requests aborted because ctx ended are not counted.
	Errors int
	// Elapsed is how long the run took.
	Elapsed time.Duration
}

// Run sends requests as opts says and reports what came back. It returns
// when the run ends (Duration elapsed or Requests sent) and every request
// in flight is done. When ctx ends first, requests in flight are aborted and
// Run returns the report so far with ctx's error. Invalid options are an
// error before anything is sent. Responses are read to the end and
// discarded, whatever their status: Run never fails on an answer.
func Run(ctx context.Context, opts Options) (Report, error) {
	if err := opts.check(); err != nil {
		return Report{Codes: map[int]int{}}, err
	}
	opts = opts.withDefaults()
	r := &runner{opts: opts, codes: map[int]int{}}
	runCtx := ctx
	if opts.Duration > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, opts.Duration)
		defer cancel()
	}
	r.start = time.Now()
	var workers sync.WaitGroup
	for range opts.Concurrency {
		workers.Go(func() { r.work(ctx, runCtx) })
	}
	workers.Wait()
	return r.report(), ctx.Err()
}

// check returns an error for options Run cannot use.
func (o Options) check() error {
	u, err := url.Parse(o.URL)
	switch {
	case err != nil:
		return fmt.Errorf("load run: %w", err)
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return fmt.Errorf("load run: URL %q: want an absolute http or https URL", o.URL)
	case o.Rate < 0, o.Concurrency < 0, o.Duration < 0, o.Requests < 0, o.Timeout < 0:
		return errors.New("load run: rate, concurrency, duration, requests and timeout cannot be negative")
	case o.Duration == 0 && o.Requests == 0:
		return errors.New("load run: neither a duration nor a number of requests: the run would never end")
	}
	return nil
}

// withDefaults returns o with its zero values replaced by the defaults.
func (o Options) withDefaults() Options {
	if o.Method == "" {
		o.Method = http.MethodGet
	}
	if o.Concurrency == 0 {
		o.Concurrency = 1
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Client == nil {
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.Proxy = nil
		transport.MaxIdleConnsPerHost = o.Concurrency
		o.Client = &http.Client{Transport: transport}
	}
	return o
}

// runner is the state of one run, shared by its workers.
type runner struct {
	opts  Options
	start time.Time
	// next is the index of the next request to send.
	next atomic.Int64

	mu     sync.Mutex
	codes  map[int]int
	errors int
}

// work sends requests until the run ends: runCtx ends it for new requests,
// ctx for those in flight too.
func (r *runner) work(ctx, runCtx context.Context) {
	for {
		i := r.next.Add(1) - 1
		if r.opts.Requests > 0 && i >= int64(r.opts.Requests) {
			return
		}
		if !r.waitForSlot(runCtx, i) {
			return
		}
		code, err := r.send(ctx)
		if ctx.Err() != nil {
			return
		}
		r.mu.Lock()
		if err != nil {
			r.errors++
		} else {
			r.codes[code]++
		}
		r.mu.Unlock()
	}
}

// waitForSlot waits until request i may be sent and reports whether the run
// still goes on.
func (r *runner) waitForSlot(runCtx context.Context, i int64) bool {
	if r.opts.Rate > 0 {
		at := r.start.Add(time.Duration(float64(i) / r.opts.Rate * float64(time.Second)))
		if r.opts.Duration > 0 && at.Sub(r.start) >= r.opts.Duration {
			return false
		}
		if wait := time.Until(at); wait > 0 {
			timer := time.NewTimer(wait)
			defer timer.Stop()
			select {
			case <-runCtx.Done():
				return false
			case <-timer.C:
			}
		}
	}
	return runCtx.Err() == nil
}

// send sends one request and returns the status of its answer.
func (r *runner) send(ctx context.Context) (int, error) {
	if r.opts.Client.Timeout == 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.opts.Timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, r.opts.Method, r.opts.URL, nil)
	if err != nil {
		return 0, err
	}
	if r.opts.Header != nil {
		req.Header = r.opts.Header.Clone()
	}
	if r.opts.Host != "" {
		req.Host = r.opts.Host
	}
	resp, err := r.opts.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	if err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

// report returns the report of the run so far.
func (r *runner) report() Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	report := Report{Codes: maps.Clone(r.codes), Errors: r.errors, Elapsed: time.Since(r.start)}
	for _, n := range r.codes {
		report.Total += n
	}
	report.Total += r.errors
	return report
}
