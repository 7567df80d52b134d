package forge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
)

func TestRetryDelay(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	backoff := func(attempt int) time.Duration { return time.Duration(attempt) * time.Second }
	answer := func(status int, retryAfter string) *http.Response {
		header := http.Header{}
		if retryAfter != "" {
			header.Set("Retry-After", retryAfter)
		}
		return &http.Response{StatusCode: status, Header: header}
	}
	cases := []struct {
		name      string
		err       error
		attempt   int
		wantWait  time.Duration
		wantRetry bool
	}{
		{"a transport error backs off", errors.New("connection reset"), 2, 2 * time.Second, true},
		{"a 500 backs off", &github.ErrorResponse{Response: answer(500, "")}, 1, time.Second, true},
		{"a 503 honours a longer Retry-After", &github.ErrorResponse{Response: answer(503, "7")}, 1, 7 * time.Second, true},
		{"a 429 backs off", &github.ErrorResponse{Response: answer(429, "")}, 3, 3 * time.Second, true},
		{"a 429 asking for more than a minute gives up", &github.ErrorResponse{Response: answer(429, "3600")}, 1, time.Hour, false},
		{"a 422 is final", &github.ErrorResponse{Response: answer(422, "")}, 1, 0, false},
		{"a 404 is final", &github.ErrorResponse{Response: answer(404, "")}, 1, 0, false},
		{"a 401 is final", &github.ErrorResponse{Response: answer(401, "")}, 1, 0, false},
		{"a rate limit waits for its reset", &github.RateLimitError{Rate: github.Rate{Reset: github.Timestamp{Time: now.Add(30 * time.Second)}}}, 1, 30 * time.Second, true},
		{"a rate limit an hour away gives up", &github.RateLimitError{Rate: github.Rate{Reset: github.Timestamp{Time: now.Add(time.Hour)}}}, 1, time.Hour, false},
		{"a secondary rate limit waits as asked", &github.AbuseRateLimitError{RetryAfter: durationPtr(20 * time.Second)}, 1, 20 * time.Second, true},
		{"a cancelled context is final", fmt.Errorf("get: %w", context.Canceled), 1, 0, false},
		{"a deadline is final", context.DeadlineExceeded, 1, 0, false},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			wait, retry := retryDelay(tt.err, tt.attempt, backoff, now)
			if wait != tt.wantWait || retry != tt.wantRetry {
				t.Errorf("retryDelay = %v, %t; want %v, %t", wait, retry, tt.wantWait, tt.wantRetry)
			}
		})
	}
}

func TestDefaultBackoffDoublesUpToTenSeconds(t *testing.T) {
	t.Parallel()
	var got []time.Duration
	for attempt := 1; attempt <= 8; attempt++ {
		got = append(got, defaultBackoff(attempt))
	}
	want := []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond, 3200 * time.Millisecond, 6400 * time.Millisecond, 10 * time.Second, 10 * time.Second}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("backoff = %v, want %v", got, want)
	}
}

func TestATooManyRequestsAnswerIsRetried(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	f.srv.FailNext(http.MethodGet, "/repos/flagger/workshop/pulls/", 2, http.StatusTooManyRequests)
	_, err := f.gh.PullRequest(f.ctx, 1)
	var forgeErr *Error
	if !errors.As(err, &forgeErr) || forgeErr.Status != http.StatusNotFound {
		t.Errorf("PullRequest(1) = %v, want the 404 behind two 429s", err)
	}
	if n := f.requests(http.MethodGet, "/pulls/1"); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

func TestACancelledContextStopsTheRetries(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	f.srv.FailNext(http.MethodGet, "/repos/flagger/workshop/pulls/", 100, http.StatusBadGateway)
	gh := f.client(GitHubOptions{Retries: 100, Backoff: func(int) time.Duration { return time.Hour }})
	ctx, cancel := context.WithTimeout(f.ctx, 100*time.Millisecond)
	defer cancel()

	start := time.Now()
	_, err := gh.PullRequest(ctx, 1)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.HasSuffix(err.Error(), "502 forgeemu: injected failure 502 (retries stopped: context deadline exceeded)") {
		t.Errorf("error = %v, want the last answer and the context's error", err)
	}
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("returned after %v, want soon after the deadline", elapsed)
	}
	if n := f.requests(http.MethodGet, "/pulls/1"); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// durationPtr is a pointer to d.
func durationPtr(d time.Duration) *time.Duration { return &d }
