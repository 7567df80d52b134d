package forge

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A token read from a file before every request follows a rotation
// without a restart, and neither the old nor the new token shows in an
// error.
func TestATokenSourceIsReadForEveryRequestSoARotatedTokenIsUsed(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	file := filepath.Join(t.TempDir(), "token")
	write := func(token string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(token+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(testToken)
	gh := f.client(GitHubOptions{Retries: -1, TokenSource: func() (string, error) {
		data, err := os.ReadFile(file)
		return strings.TrimSpace(string(data)), err
	}})
	sha := f.head("main")
	status := Status{SHA: sha, Context: "sluice/flagger/detail", State: StatePending, Description: "canary weight 5% — step 1/3"}
	if err := gh.SetStatus(f.ctx, status); err != nil {
		t.Fatal(err)
	}

	// The user rotates the token on the forge: the old one is refused,
	// and says nothing of itself.
	const rotated = "ghp_rotatedForgeContractToken43"
	f.srv.SetToken(rotated)
	err := gh.SetStatus(f.ctx, status)
	var fe *Error
	if !errors.As(err, &fe) || fe.Status != 401 {
		t.Fatalf("SetStatus with the old token = %v, want a 401 *Error", err)
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("the error shows the old token: %v", err)
	}

	// The Secret mount is rewritten: the next call uses the new token.
	write(rotated)
	status.Description = "canary weight 10% — step 2/3"
	if err := gh.SetStatus(f.ctx, status); err != nil {
		t.Fatalf("SetStatus after the token file was rewritten: %v", err)
	}
	if got := f.requests("POST", "/statuses/"+sha); got != 3 {
		t.Errorf("%d status requests reached the forge, want 3", got)
	}
}

// A token source that fails stops the request before it is sent; the
// error names the cause.
func TestATokenSourceThatFailsSendsNothing(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	gh := f.client(GitHubOptions{Retries: -1, TokenSource: func() (string, error) {
		return "", errors.New("token file: open /var/run/secrets/forge/token: no such file or directory")
	}})
	err := gh.SetStatus(f.ctx, Status{SHA: f.head("main"), Context: "sluice/flagger/detail", State: StatePending})
	if err == nil || !strings.Contains(err.Error(), "no such file or directory") {
		t.Errorf("SetStatus = %v, want the token source's error", err)
	}
	if got := f.requests("POST", "/statuses/"+f.head("main")); got != 0 {
		t.Errorf("%d status requests reached the forge, want none", got)
	}
}
