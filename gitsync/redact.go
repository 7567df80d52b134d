package gitsync

import (
	"net/url"
	"strings"
)

// RedactURL returns rawURL with the password of its user information replaced
// by "***": https://user:token@host/repo.git reads
// https://user:***@host/repo.git. A URL without a password, an scp-like
// address (git@host:org/repo.git) and a local path are returned unchanged.
// A string that does not parse as a URL but holds "user:secret@" has the
// secret replaced all the same, so the result is always safe to log.
func RedactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err == nil && u.Opaque == "" {
		return redactParsedURL(rawURL, u)
	}
	return redactUserinfo(rawURL)
}

// redactParsedURL redacts the password of a URL that parsed.
func redactParsedURL(rawURL string, u *url.URL) string {
	if u.User == nil {
		return rawURL
	}
	if _, hasPassword := u.User.Password(); !hasPassword {
		return rawURL
	}
	userinfo := url.User(u.User.Username()).String() + ":***@"
	bare := *u
	bare.User = nil
	s := bare.String()
	if prefix := u.Scheme + "://"; strings.HasPrefix(s, prefix) {
		return prefix + userinfo + strings.TrimPrefix(s, prefix)
	}
	return redactUserinfo(rawURL)
}

// redactUserinfo replaces what follows the first colon of the user
// information (the text before the last "@" of the address, after any
// "scheme://") by "***". It is the fallback for strings url.Parse rejects.
func redactUserinfo(s string) string {
	prefix, rest := "", s
	if i := strings.Index(s, "://"); i >= 0 {
		prefix, rest = s[:i+len("://")], s[i+len("://"):]
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return s
	}
	user, _, hasPassword := strings.Cut(rest[:at], ":")
	if !hasPassword {
		return s
	}
	return prefix + user + ":***" + rest[at:]
}
