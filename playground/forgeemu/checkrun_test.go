package forgeemu

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/sluicehq/sluice/forge"
)

// checkRunServer is an emulator with a GitHub App for the Check Run tests:
// app writes with an installation token, personal reads and writes with
// the personal token, sha is the commit on main.
type checkRunServer struct {
	srv      *Server
	app      *github.Client
	personal *github.Client
	token    string
	sha      string
	ctx      context.Context
}

// startCheckRunServer starts an emulator with an App and one commit on
// main, and mints an installation token.
func startCheckRunServer(t *testing.T) *checkRunServer {
	t.Helper()
	srv, key := startAppServer(t, time.Hour)
	sha := commit(t, srv, Change{Branch: "main", Message: "initial", Write: map[string]string{"app.yaml": "image: shop:1.0\n"}})
	jwt, err := forge.SignAppJWT(key, 42, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	status, answer := mint(t, srv, "7", jwt)
	if status != http.StatusCreated {
		t.Fatalf("minting a token: %d %v", status, answer)
	}
	return &checkRunServer{
		srv:      srv,
		app:      newClient(t, srv, answer["token"].(string)),
		personal: newClient(t, srv, testToken),
		token:    answer["token"].(string),
		sha:      sha,
		ctx:      context.Background(),
	}
}

// create creates a Check Run with the App's token and fails the test on
// error.
func (c *checkRunServer) create(t *testing.T, opts github.CreateCheckRunOptions) *github.CheckRun {
	t.Helper()
	run, _, err := c.app.Checks.CreateCheckRun(c.ctx, testOwner, testRepo, opts)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// send sends a raw request with the App's token and returns the status and
// the fields the first entry of a 422's errors list names.
func (c *checkRunServer) send(t *testing.T, method, path, body string) (status int, field string) {
	t.Helper()
	resp, answer := rawRequest(t, method, c.srv.APIURL()+path, "Bearer "+c.token, body)
	var decoded struct{ Errors []fieldError }
	_ = json.Unmarshal([]byte(answer), &decoded)
	if len(decoded.Errors) > 0 {
		field = decoded.Errors[0].Field
	}
	return resp.StatusCode, field
}

// itoa is a decimal id.
func itoa(id int64) string { return strconv.FormatInt(id, 10) }
