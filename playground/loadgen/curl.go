package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// curlCommand is what the load tester understands of a curl command line.
type curlCommand struct {
	method string
	url    string
	header http.Header
	host   string
	// fail is -f: an HTTP error (400 and above) fails the command.
	fail bool
	// location is -L: redirects are followed.
	location bool
	// timeout is -m; zero means none.
	timeout time.Duration
	// discard is -o /dev/null: the body is not part of the output.
	discard bool
}

// parseCurl reads the words of a curl command: one URL (http:// is assumed
// when it names no scheme) and the flags -s/--silent, -S/--show-error,
// -f/--fail, -L/--location, -H/--header, -X/--request, -m/--max-time and
// -o/--output /dev/null, short ones combinable (-sSf) and their values glued
// or not (-m5, -m 5). Anything else is an error.
func parseCurl(words []string) (curlCommand, error) {
	c := curlCommand{method: http.MethodGet, header: http.Header{}}
	for i := 1; i < len(words); i++ {
		word := words[i]
		value := func() (string, error) {
			if i+1 == len(words) {
				return "", fmt.Errorf("%s needs a value", word)
			}
			i++
			return words[i], nil
		}
		var err error
		switch {
		case strings.HasPrefix(word, "--"):
			err = c.longFlag(word, value)
		case strings.HasPrefix(word, "-") && len(word) > 1:
			err = c.shortFlags(word, value)
		case c.url != "":
			return c, fmt.Errorf("more than one URL: %q and %q", c.url, word)
		case strings.Contains(word, "://"):
			c.url = word
		default:
			c.url = "http://" + word
		}
		if err != nil {
			return c, err
		}
	}
	if c.url == "" {
		return c, errors.New("no URL")
	}
	return c, nil
}

// longFlag applies one --flag, reading its value with value.
func (c *curlCommand) longFlag(flag string, value func() (string, error)) error {
	switch flag {
	case "--silent", "--show-error":
		return nil
	case "--fail":
		c.fail = true
		return nil
	case "--location":
		c.location = true
		return nil
	}
	short, ok := map[string]byte{"--header": 'H', "--request": 'X', "--max-time": 'm', "--output": 'o'}[flag]
	if !ok {
		return fmt.Errorf("unsupported curl flag %s", flag)
	}
	v, err := value()
	if err != nil {
		return err
	}
	return c.valueFlag(short, v)
}

// shortFlags applies a cluster of short flags such as -sSf or -m5, reading
// the value of its last flag with value when the cluster does not hold it.
func (c *curlCommand) shortFlags(cluster string, value func() (string, error)) error {
	for j := 1; j < len(cluster); j++ {
		switch flag := cluster[j]; flag {
		case 's', 'S':
		case 'f':
			c.fail = true
		case 'L':
			c.location = true
		case 'H', 'X', 'm', 'o':
			v := cluster[j+1:]
			if v == "" {
				var err error
				if v, err = value(); err != nil {
					return err
				}
			}
			return c.valueFlag(flag, v)
		default:
			return fmt.Errorf("unsupported curl flag -%c", flag)
		}
	}
	return nil
}

// valueFlag applies a flag that takes a value.
func (c *curlCommand) valueFlag(flag byte, v string) error {
	switch flag {
	case 'H':
		name, val, ok := strings.Cut(v, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return fmt.Errorf("header %q: want Name: value", v)
		}
		if strings.EqualFold(name, "Host") {
			c.host = strings.TrimSpace(val)
		} else {
			c.header.Add(name, strings.TrimSpace(val))
		}
	case 'X':
		c.method = v
	case 'm':
		seconds, err := strconv.ParseFloat(v, 64)
		if err != nil || seconds <= 0 {
			return fmt.Errorf("-m %q: want a positive number of seconds", v)
		}
		c.timeout = time.Duration(seconds * float64(time.Second))
	case 'o':
		if v != "/dev/null" {
			return fmt.Errorf("-o %s: only /dev/null is supported: the load tester writes no files", v)
		}
		c.discard = true
	}
	return nil
}

// maxOutput bounds the part of a body that a command's output keeps.
const maxOutput = 16 << 10

// run sends the request and returns the command's output, or an error when
// curl would have exited non-zero: no response, or with -f an HTTP error.
func (c curlCommand) run(ctx context.Context, transport http.RoundTripper) (string, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, c.method, c.url, nil)
	if err != nil {
		return "", err
	}
	req.Header = c.header.Clone()
	if c.host != "" {
		req.Host = c.host
	}
	client := &http.Client{Transport: transport}
	if !c.location {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxOutput))
	if err != nil {
		return "", fmt.Errorf("read the answer: %w", err)
	}
	if c.fail && resp.StatusCode >= 400 {
		return "", fmt.Errorf("%s %s: the server answered %s", c.method, c.url, resp.Status)
	}
	if c.discard {
		return "", nil
	}
	return string(body), nil
}
