package forge

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/google/go-github/v60/github"
)

// maxWait is the longest wait for a rate limit to lift; a longer one ends
// the call with a temporary *Error instead.
const maxWait = time.Minute

// defaultBackoff is 200ms, 400ms, 800ms… up to 10s.
func defaultBackoff(attempt int) time.Duration {
	const base, ceiling = 200 * time.Millisecond, 10 * time.Second
	delay := base
	for i := 1; i < attempt && delay < ceiling; i++ {
		delay *= 2
	}
	return min(delay, ceiling)
}

// call runs attempt until it succeeds, fails in a way another try cannot
// fix, or g.retries retries are spent, waiting between tries; the error
// is an *Error of op. A cancelled context ends the waiting.
func (g *GitHub) call(ctx context.Context, op string, attempt func(context.Context) error) error {
	for retry := 0; ; retry++ {
		err := attempt(ctx)
		if err == nil {
			return nil
		}
		wait, again := retryDelay(err, retry+1, g.backoff, time.Now())
		if !again || retry >= g.retries || ctx.Err() != nil {
			return newError(g.owner+"/"+g.repo, op, err, g.tokens.secrets()...)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return newError(g.owner+"/"+g.repo, op, errors.Join(ctx.Err(), err), g.tokens.secrets()...)
		case <-timer.C:
		}
	}
}

// retryDelay tells whether a failed try is worth another after attempt
// failures, and how long to wait first. It is a pure function of its
// inputs. A cancelled context and a 4xx answer are final. A 429 or 5xx
// answer, a rate limit and an error without an answer wait
// backoff(attempt), or longer when the forge asks for longer (the reset of
// a rate limit, Retry-After); a forge that asks for more than maxWait is
// not retried.
func retryDelay(err error, attempt int, backoff func(int) time.Duration, now time.Time) (time.Duration, bool) {
	var rateLimit *github.RateLimitError
	var abuse *github.AbuseRateLimitError
	var errResp *github.ErrorResponse
	var asked time.Duration
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return 0, false
	case errors.As(err, &rateLimit):
		asked = rateLimit.Rate.Reset.Time.Sub(now)
	case errors.As(err, &abuse):
		asked = abuse.GetRetryAfter()
	case errors.As(err, &errResp) && errResp.Response != nil:
		status := errResp.Response.StatusCode
		if status != http.StatusTooManyRequests && status < 500 {
			return 0, false
		}
		asked = retryAfter(errResp.Response)
	}
	if asked > maxWait {
		return asked, false
	}
	return max(asked, backoff(attempt)), true
}

// retryAfter reads a Retry-After header given in seconds; zero otherwise.
func retryAfter(resp *http.Response) time.Duration {
	seconds, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || seconds < 0 {
		return 0
	}
	return time.Duration(seconds) * time.Second
}
