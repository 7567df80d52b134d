package gitsync

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
)

// remote is Options.URL taken apart.
type remote struct {
	// url is what go-git is given: the URL without its password, or the
	// absolute form of a local path.
	url string
	// display is the URL for messages, password redacted.
	display  string
	protocol string
	user     string
	password string
	host     string
	port     int
}

// parseRemote reads a URL, an scp-like address or a local path. It fails on
// transports go-git does not know. Its errors never contain the password.
func parseRemote(rawURL string) (remote, error) {
	display := RedactURL(rawURL)
	if rawURL == "" {
		return remote{}, fmt.Errorf("URL: required")
	}
	ep, err := transport.NewEndpoint(rawURL)
	if err != nil {
		// The parser's message quotes the raw URL, password included.
		return remote{}, fmt.Errorf("URL %s: not a URL, an scp-like address or a path", display)
	}
	if _, ok := client.Protocols[ep.Protocol]; !ok {
		return remote{}, fmt.Errorf("URL %s: unsupported transport %q", display, ep.Protocol)
	}
	r := remote{
		url:      rawURL,
		display:  display,
		protocol: ep.Protocol,
		user:     ep.User,
		password: ep.Password,
		host:     ep.Host,
		port:     ep.Port,
	}
	switch {
	case ep.Password != "":
		u, err := url.Parse(rawURL)
		if err != nil {
			return remote{}, fmt.Errorf("URL %s: not a URL", display)
		}
		u.User = url.User(ep.User)
		r.url = u.String()
	case ep.Protocol == "file" && !strings.HasPrefix(rawURL, "file://"):
		r.url = ep.Path
		r.display = ep.Path
	}
	return r, nil
}
