package loadgen

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"time"
)

// The defaults of hey's flags.
const (
	heyRequests    = 200
	heyConcurrency = 50
	heyTimeout     = 20 // seconds
)

// ParseHey returns the Options of a hey command line such as
//
//	hey -z 1m -q 10 -c 2 http://detail-canary.flagger:3000/catalogDetail
//
// with hey's meaning and defaults: -z duration (when set, -n is ignored),
// -n number of requests (200), -c workers (50), -q rate limit per worker in
// requests per second (none), so that Options.Rate is q × c, -t timeout in
// seconds (20; 0 means none, which Options spells as a day), -m method
// (GET), -H "Name: value" (repeatable; a Host header sets Options.Host),
// -host Host header, -A Accept header. The URL is the last word. Any other
// flag, such as -d, -D, -o, -x or -h2, is an error rather than ignored, and
// so is shell syntax (see the package's tokenizer): nothing runs a shell.
func ParseHey(cmd string) (Options, error) {
	opts, err := parseHey(cmd)
	if err != nil {
		return Options{}, fmt.Errorf("hey command %q: %w", cmd, err)
	}
	return opts, nil
}

func parseHey(cmd string) (Options, error) {
	words, err := splitWords(cmd)
	if err != nil {
		return Options{}, err
	}
	if len(words) == 0 || path.Base(words[0]) != "hey" {
		return Options{}, errors.New("not a hey command")
	}
	var (
		flags   = flag.NewFlagSet("hey", flag.ContinueOnError)
		headers headerFlag
		n       = flags.Int("n", heyRequests, "")
		c       = flags.Int("c", heyConcurrency, "")
		q       = flags.Float64("q", 0, "")
		z       = flags.Duration("z", 0, "")
		t       = flags.Int("t", heyTimeout, "")
		m       = flags.String("m", http.MethodGet, "")
		host    = flags.String("host", "", "")
		accept  = flags.String("A", "", "")
	)
	flags.Var(&headers, "H", "")
	flags.SetOutput(io.Discard)
	if err := flags.Parse(words[1:]); err != nil {
		return Options{}, err
	}
	if flags.NArg() != 1 {
		return Options{}, fmt.Errorf("want one URL after the flags, got %q", flags.Args())
	}
	switch {
	case *c <= 0:
		return Options{}, errors.New("-c must be at least 1")
	case *q < 0, *t < 0, *z < 0:
		return Options{}, errors.New("-q, -t and -z cannot be negative")
	case *z == 0 && *n <= 0:
		return Options{}, errors.New("-n must be at least 1")
	case *z == 0 && *n < *c:
		return Options{}, errors.New("-n cannot be less than -c")
	}
	opts := Options{
		URL:         flags.Arg(0),
		Method:      strings.ToUpper(*m),
		Rate:        *q * float64(*c),
		Concurrency: *c,
		Duration:    *z,
		Timeout:     time.Duration(*t) * time.Second,
		Host:        *host,
	}
	if *z == 0 {
		opts.Requests = *n
	}
	if opts.Timeout == 0 {
		opts.Timeout = 24 * time.Hour
	}
	if len(headers.header) > 0 {
		opts.Header = headers.header
		if h := opts.Header.Get("Host"); h != "" && opts.Host == "" {
			opts.Host = h
		}
		opts.Header.Del("Host")
	}
	if *accept != "" {
		if opts.Header == nil {
			opts.Header = http.Header{}
		}
		opts.Header.Set("Accept", *accept)
	}
	if len(opts.Header) == 0 {
		opts.Header = nil
	}
	return opts, opts.check()
}

// headerFlag collects repeated "Name: value" flags.
type headerFlag struct {
	header http.Header
}

func (h *headerFlag) String() string { return "" }

func (h *headerFlag) Set(value string) error {
	name, val, ok := strings.Cut(value, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return fmt.Errorf("header %q: want Name: value", value)
	}
	if h.header == nil {
		h.header = http.Header{}
	}
	h.header.Add(name, strings.TrimSpace(val))
	return nil
}
