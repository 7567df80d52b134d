package main

import (
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// flagGroup is a heading of `run --help` and the flags under it.
type flagGroup struct {
	title string
	names []string
}

// runFlagGroups sorts run's flags for its help, in the order a user sets
// sluice up. A flag of run in no group is listed under "Other flags" (a
// test keeps that list empty). A name run does not define is skipped.
var runFlagGroups = []flagGroup{
	{"Git and rendering", []string{"repo", "branch", "path", "interval", "work-dir", "username", "token-file", "token-env",
		"ssh-key", "known-hosts", "insecure-ignore-host-key", "git-timeout", "render-timeout", "allow-remote-bases",
		"allow-exec-plugins", "max-file-size", "max-render-size", "max-yaml-alias-nodes"}},
	{"Cluster", []string{"kubeconfig", "namespace", "default-namespace", "owner", "inventory-namespace", "prune",
		"kube-api-qps", "kube-api-burst", "kube-api-timeout", "cache-reads", "leader-elect", "leader-election-namespace", "leader-election-id", "shard-key"}},
	{"Analysis", []string{"prometheus-url", "default-provider", "webhook-allow", "workers"}},
	{"Forge (write-back)", []string{"forge", "forge-api-url", "forge-token-file", "forge-token-env", "commit-checks", "status-url", "forge-timeout",
		"github-app-id", "github-app-installation-id", "github-app-private-key-file"}},
	{"Server", []string{"metrics-addr", "healthz-stall", "webhook-addr", "webhook-secret-file"}},
}

// groupFlagsInHelp makes the help of cmd list its flags under the titles
// of groups.
func groupFlagsInHelp(cmd *cobra.Command, groups []flagGroup) {
	cmd.SetUsageFunc(func(c *cobra.Command) error {
		return writeGroupedUsage(c.OutOrStderr(), c, groups)
	})
}

// writeGroupedUsage writes the usage of cmd with its local flags grouped.
func writeGroupedUsage(out io.Writer, cmd *cobra.Command, groups []flagGroup) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage:\n  %s\n", cmd.UseLine())
	local := cmd.LocalFlags()
	placed := map[string]bool{}
	for _, g := range groups {
		fs := pflag.NewFlagSet(g.title, pflag.ContinueOnError)
		fs.SortFlags = false // the group's order: what a user sets first
		for _, name := range g.names {
			if fl := local.Lookup(name); fl != nil {
				fs.AddFlag(fl)
				placed[name] = true
			}
		}
		if fs.HasFlags() {
			fmt.Fprintf(&b, "\n%s flags:\n%s", g.title, fs.FlagUsages())
		}
	}
	other := pflag.NewFlagSet("other", pflag.ContinueOnError)
	local.VisitAll(func(fl *pflag.Flag) {
		if !placed[fl.Name] {
			other.AddFlag(fl)
		}
	})
	if other.HasFlags() {
		fmt.Fprintf(&b, "\nOther flags:\n%s", other.FlagUsages())
	}
	if inherited := cmd.InheritedFlags(); inherited.HasFlags() {
		fmt.Fprintf(&b, "\nGlobal flags:\n%s", inherited.FlagUsages())
	}
	fmt.Fprintf(&b, "\nEvery flag can also be set with SLUICE_<FLAG>, e.g. SLUICE_REPO; a flag given wins.\n")
	_, err := io.WriteString(out, b.String())
	return err
}

// logEffectiveConfig logs, once, the value every flag of fs has after the
// command line and the environment (SLUICE_<FLAG>) were read, defaults
// included, and which of them were set and how ("flag" or "env"). Secrets
// are redacted (see redactFlag): the log shows what sluice runs with,
// never a credential.
func logEffectiveConfig(log *slog.Logger, fs *pflag.FlagSet) {
	var values, setBy []any
	fs.VisitAll(func(fl *pflag.Flag) {
		if fl.Name == "help" {
			return
		}
		values = append(values, slog.String(fl.Name, redactFlag(fl.Name, flagValue(fl))))
		switch {
		case fl.Changed:
			setBy = append(setBy, slog.String(fl.Name, "flag"))
		case envSet(fl.Name):
			setBy = append(setBy, slog.String(fl.Name, "env"))
		}
	})
	log.Info("Effective configuration", slog.Group("config", values...), slog.Group("set", setBy...))
}

// flagValue is a flag's value as it would be written on a command line.
func flagValue(fl *pflag.Flag) string {
	if slice, ok := fl.Value.(pflag.SliceValue); ok {
		return strings.Join(slice.GetSlice(), ",")
	}
	return fl.Value.String()
}

// envSet says whether the environment variable of flag name is set.
func envSet(name string) bool {
	_, ok := os.LookupEnv("SLUICE_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")))
	return ok
}

// redacted replaces a secret in the effective configuration.
const redacted = "REDACTED"

// secretWords mark a flag whose value is a secret itself, unless the flag
// names where the secret is (a -file or -env flag holds a path or a
// variable's name, which are worth auditing).
var secretWords = []string{"token", "secret", "password", "private-key"}

// redactFlag returns value with any secret in it replaced: the whole value
// of a flag that holds a secret, and the password of a URL (a --repo of
// https://user:token@host/…), in any flag and in each element of a list.
func redactFlag(name, value string) string {
	if value == "" {
		return value
	}
	holdsSecret := slices.ContainsFunc(secretWords, func(w string) bool { return strings.Contains(name, w) })
	if holdsSecret && !strings.HasSuffix(name, "-file") && !strings.HasSuffix(name, "-env") {
		return redacted
	}
	parts := strings.Split(value, ",")
	for i, part := range parts {
		parts[i] = redactURL(part)
	}
	return strings.Join(parts, ",")
}

// redactURL replaces the password of a URL with credentials, and the
// values of query parameters that look like credentials.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return s
	}
	changed := false
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), redacted)
			changed = true
		} else if u.Scheme == "http" || u.Scheme == "https" {
			// https://<token>@github.com/… carries the token as the user;
			// ssh://git@host/… only the account name.
			u.User = url.User(redacted)
			changed = true
		}
	}
	if q := u.Query(); len(q) > 0 {
		for key := range q {
			lower := strings.ToLower(key)
			if slices.ContainsFunc(append(secretWords, "key", "auth", "sig"), func(w string) bool { return strings.Contains(lower, w) }) {
				q.Set(key, redacted)
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	if !changed {
		return s
	}
	return u.String()
}
