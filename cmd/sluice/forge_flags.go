package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/sluicehq/sluice/forge"
	"github.com/sluicehq/sluice/reconciler"
)

// forgeFlags are run's flags for writing verdicts back to Git.
type forgeFlags struct {
	kind                string
	apiURL              string
	tokenFile, tokenEnv string
	statusURL           string
	commitChecks        string
}

func (f *forgeFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.kind, "forge", "", `where commit statuses and revert pull requests go: "github" (github.com, GitHub Enterprise, the playground's emulator); empty writes nothing back`)
	fs.StringVar(&f.apiURL, "forge-api-url", "", "REST API base of the forge (default: derived from --repo, e.g. https://api.github.com/)")
	fs.StringVar(&f.tokenFile, "forge-token-file", "", "file holding the forge API token (default: the Git token)")
	fs.StringVar(&f.tokenEnv, "forge-token-env", "", "environment variable holding the forge API token (default: the Git token)")
	fs.StringVar(&f.commitChecks, "commit-checks", string(reconciler.CommitChecksStatuses), `how verdicts are written on commits: "statuses" (commit statuses, any token), "check-runs" (Check Runs with a summary of the rollout; a GitHub App only) or "both"`)
	fs.StringVar(&f.statusURL, "status-url", "", "details link of every commit status, with {namespace}, {name} and {commit} filled in (e.g. a dashboard); empty: none")
}

// forge returns the Forge of the flags and the link of a commit, or nil
// without --forge. The repository is the one --repo names.
func (f *forgeFlags) forge(git *syncFlags) (reconciler.Forge, func(string) string, error) {
	if _, err := f.checks(); err != nil {
		return nil, nil, err
	}
	switch f.kind {
	case "":
		return nil, nil, nil
	case "github":
	default:
		return nil, nil, fmt.Errorf("--forge %q: want github or nothing", f.kind)
	}
	apiURL, owner, repo, err := forge.ParseRepository(git.repo)
	if err != nil {
		return nil, nil, fmt.Errorf("--forge github: %w", err)
	}
	if f.apiURL != "" {
		apiURL = f.apiURL
	}
	// The token is read before every request, as the Git token is, so a
	// rotated Secret is used without a restart; a missing one fails now.
	tokenFile, tokenEnv := orElse(f.tokenFile, git.tokenFile), orElse(f.tokenEnv, git.tokenEnv)
	source := func() (string, error) { return readToken(tokenFile, tokenEnv) }
	var appID int64
	if git.app.enabled() && f.tokenFile == "" && f.tokenEnv == "" {
		app, err := git.app.tokens(git.repo) // the App's installation token, as Git's
		if err != nil {
			return nil, nil, err
		}
		source, appID = app.Token, git.app.id
	}
	if _, err := source(); err != nil {
		return nil, nil, fmt.Errorf("--forge github: %w", err)
	}
	if checks, _ := f.checks(); checks != reconciler.CommitChecksStatuses && !(git.app.enabled() && f.tokenFile == "" && f.tokenEnv == "") {
		return nil, nil, fmt.Errorf("--commit-checks %s: GitHub lets only a GitHub App write Check Runs: set --github-app-id, --github-app-installation-id and --github-app-private-key-file (without --forge-token-file or --forge-token-env), or keep --commit-checks statuses", checks)
	}
	gh, err := forge.NewGitHub(forge.GitHubOptions{APIURL: apiURL, Owner: owner, Repo: repo, TokenSource: source, AppID: appID})
	if err != nil {
		return nil, nil, err
	}
	web := "https://github.com/"
	if strings.TrimSuffix(apiURL, "/")+"/" != forge.DefaultAPIURL {
		web = strings.TrimSuffix(strings.TrimSuffix(apiURL, "/"), "api/v3") // GitHub Enterprise and the emulator
	}
	commitURL := func(sha string) string { return web + owner + "/" + repo + "/commit/" + sha }
	return gh, commitURL, nil
}

// checks is the value of --commit-checks.
func (f *forgeFlags) checks() (reconciler.CommitChecks, error) {
	checks, err := reconciler.ParseCommitChecks(f.commitChecks)
	if err != nil {
		return "", fmt.Errorf("--commit-checks %w", err)
	}
	return checks, nil
}

// readToken reads a token from a file or an environment variable.
func readToken(file, env string) (string, error) {
	switch {
	case file != "":
		data, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("token file: %w", err)
		}
		return strings.TrimSpace(string(data)), nil
	case env != "":
		if v := os.Getenv(env); v != "" {
			return v, nil
		}
		return "", fmt.Errorf("token: environment variable %s is empty", env)
	}
	return "", errors.New("a token is required: --forge-token-file, --forge-token-env, --token-file or --token-env")
}

func orElse(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
