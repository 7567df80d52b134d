package main

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"

	"github.com/spf13/pflag"

	"github.com/sluicehq/sluice/forge"
)

// githubAppFlags authenticate as a GitHub App instead of with a token: one
// installation token, refreshed before it expires, serves Git over HTTPS
// (user x-access-token) and the forge's REST API.
type githubAppFlags struct {
	id, installationID int64
	keyFile            string
	// apiURL is --forge-api-url, set by run; zero: derived from --repo.
	apiURL string

	once   sync.Once
	source *forge.AppTokenSource
	err    error
}

func (f *githubAppFlags) register(fs *pflag.FlagSet) {
	fs.Int64Var(&f.id, "github-app-id", 0, "authenticate as this GitHub App instead of with a token (with --github-app-installation-id and --github-app-private-key-file); its installation token serves Git and the forge API")
	fs.Int64Var(&f.installationID, "github-app-installation-id", 0, "installation of the GitHub App on the repository's owner")
	fs.StringVar(&f.keyFile, "github-app-private-key-file", "", "PEM private key of the GitHub App, read once at start")
}

// enabled reports whether any App flag is set.
func (f *githubAppFlags) enabled() bool {
	return f.id != 0 || f.installationID != 0 || f.keyFile != ""
}

// tokens returns the App's token source for the repository, built once.
// It exchanges a first token at once, so that a wrong key, App or
// installation fails at start with an error that names the flag.
func (f *githubAppFlags) tokens(repo string) (*forge.AppTokenSource, error) {
	f.once.Do(func() { f.source, f.err = f.build(repo) })
	return f.source, f.err
}

func (f *githubAppFlags) build(repo string) (*forge.AppTokenSource, error) {
	switch {
	case f.id <= 0:
		return nil, errors.New("--github-app-id is required with the other --github-app-* flags")
	case f.installationID <= 0:
		return nil, errors.New("--github-app-installation-id is required with --github-app-id")
	case f.keyFile == "":
		return nil, errors.New("--github-app-private-key-file is required with --github-app-id")
	}
	pemData, err := os.ReadFile(f.keyFile)
	if err != nil {
		return nil, fmt.Errorf("--github-app-private-key-file: %w", err)
	}
	key, err := forge.ParseAppPrivateKey(pemData)
	if err != nil {
		return nil, fmt.Errorf("--github-app-private-key-file %s: %w", f.keyFile, err)
	}
	apiURL := f.apiURL
	if apiURL == "" {
		if apiURL, _, _, err = forge.ParseRepository(repo); err != nil {
			return nil, fmt.Errorf("--github-app-id: the API URL: %w (set --forge-api-url)", err)
		}
	}
	source, err := forge.NewAppTokenSource(forge.AppOptions{APIURL: apiURL, AppID: f.id, InstallationID: f.installationID, PrivateKey: key})
	if err != nil {
		return nil, fmt.Errorf("--github-app-id: %w", err)
	}
	if _, err := source.Token(); err != nil {
		return nil, f.explain(err)
	}
	return source, nil
}

// explain names the flag a refused exchange most likely points at.
func (f *githubAppFlags) explain(err error) error {
	var appErr *forge.AppError
	if errors.As(err, &appErr) {
		switch appErr.Status {
		case http.StatusUnauthorized:
			return fmt.Errorf("--github-app-private-key-file %s: the forge refused the JWT it signed: is it the private key of App %d (--github-app-id)? %w", f.keyFile, f.id, err)
		case http.StatusNotFound:
			return fmt.Errorf("--github-app-installation-id %d: no such installation of App %d: %w", f.installationID, f.id, err)
		}
	}
	return fmt.Errorf("--github-app-id: %w", err)
}
