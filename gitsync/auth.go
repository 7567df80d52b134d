package gitsync

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"
)

// Secret says where one credential is read from: a file or an environment
// variable. It holds the name, never the value, so [Options] can be logged.
// The zero Secret is "not set"; setting both File and Env is an error of
// [New]. The value is read again at every remote operation, so a rotated
// file (a re-mounted Kubernetes Secret) takes effect at the next poll.
type Secret struct {
	// File is the path of a file whose content, surrounding white space
	// trimmed, is the value.
	File string
	// Env is the name of an environment variable holding the value,
	// surrounding white space trimmed.
	Env string
}

// IsZero reports whether the Secret names neither a file nor a variable.
func (s Secret) IsZero() bool { return s.File == "" && s.Env == "" }

// validate checks that at most one source is named.
func (s Secret) validate(field string) error {
	if s.File != "" && s.Env != "" {
		return fmt.Errorf("%s: set File or Env, not both", field)
	}
	return nil
}

// read returns the value; a missing file, an unset variable or an empty value
// is an error that names the source, never the value.
func (s Secret) read(field string) (string, error) {
	var value string
	switch {
	case s.File != "":
		content, err := os.ReadFile(s.File)
		if err != nil {
			return "", &credentialsError{field: field, err: err}
		}
		value = strings.TrimSpace(string(content))
	case s.Env != "":
		value = strings.TrimSpace(os.Getenv(s.Env))
		if value == "" {
			return "", &credentialsError{field: field, err: fmt.Errorf("environment variable %s is empty or unset", s.Env)}
		}
	}
	if value == "" {
		return "", &credentialsError{field: field, err: fmt.Errorf("file %s is empty", s.File)}
	}
	return value, nil
}

// Auth says how to authenticate to the remote. The zero Auth is anonymous
// access, right for public https remotes, file:// and local paths; an ssh
// remote needs SSHKeyFile. Fields that do not fit the URL's transport (a
// Password for an ssh remote, a key for an https one, anything for a local
// path) are an error of [New], so a mistake does not pass silently.
type Auth struct {
	// Username is the user of HTTPS basic auth and of SSH. Zero: the user
	// in the URL (https://user@host, ssh://git@host, git@host:path), else
	// "git". GitHub, GitLab and Gitea accept any user name with a token.
	Username string
	// Password is the HTTPS basic-auth password or access token. Zero: no
	// basic auth, unless the URL carries one (https://user:token@host).
	Password Secret
	// PasswordSource, when set instead of Password, returns the HTTPS
	// password at every remote operation: a GitHub App's installation
	// token, which it refreshes before expiry. Its errors are
	// [KindAuth] errors; the values it returns are redacted from errors.
	PasswordSource func() (string, error)
	// SSHKeyFile is the path of a private key (OpenSSH or PEM format),
	// read at every remote operation. Required for ssh remotes.
	SSHKeyFile string
	// SSHKeyPassphrase unlocks an encrypted SSHKeyFile. Zero: the key is
	// not encrypted.
	SSHKeyPassphrase Secret
	// KnownHostsFile is the known_hosts file that lists the SSH server's
	// host key. Zero: the files named by $SSH_KNOWN_HOSTS, else
	// ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts. A host that is not
	// listed, or is listed with another key, is refused with [KindAuth].
	KnownHostsFile string
	// InsecureIgnoreHostKey accepts any SSH host key. Meant for tests and
	// closed networks; it cannot be combined with KnownHostsFile.
	InsecureIgnoreHostKey bool
}

// validate checks that the fields fit the transport of the remote.
func (a Auth) validate(r remote) error {
	if err := a.Password.validate("Auth.Password"); err != nil {
		return err
	}
	if err := a.SSHKeyPassphrase.validate("Auth.SSHKeyPassphrase"); err != nil {
		return err
	}
	sshSet := a.SSHKeyFile != "" || !a.SSHKeyPassphrase.IsZero() || a.KnownHostsFile != "" || a.InsecureIgnoreHostKey
	switch r.protocol {
	case "http", "https":
		if sshSet {
			return fmt.Errorf("Auth: SSH fields are set but the remote is %s", r.protocol)
		}
		if !a.Password.IsZero() && r.password != "" {
			return fmt.Errorf("Auth.Password: set, and the URL carries a password too")
		}
		if a.PasswordSource != nil && (!a.Password.IsZero() || r.password != "") {
			return fmt.Errorf("Auth.PasswordSource: set together with Auth.Password or a password in the URL")
		}
	case "ssh":
		if !a.Password.IsZero() || r.password != "" || a.PasswordSource != nil {
			return fmt.Errorf("Auth.Password: a password is set but the remote is ssh (use Auth.SSHKeyFile)")
		}
		if a.SSHKeyFile == "" {
			return fmt.Errorf("Auth.SSHKeyFile: required for an ssh remote")
		}
		if a.KnownHostsFile != "" && a.InsecureIgnoreHostKey {
			return fmt.Errorf("Auth.InsecureIgnoreHostKey: set together with Auth.KnownHostsFile")
		}
	default:
		if sshSet || !a.Password.IsZero() || a.PasswordSource != nil || a.Username != "" {
			return fmt.Errorf("Auth: set but the %s transport takes no credentials", r.protocol)
		}
	}
	return nil
}

// credentials is what one remote operation authenticates with.
type credentials struct {
	// method is nil for anonymous access.
	method transport.AuthMethod
	// secrets are the values to redact from error messages.
	secrets []string
}

// credentialsError is a credential that could not be read or used.
type credentialsError struct {
	field string
	err   error
}

func (e *credentialsError) Error() string { return e.field + ": " + e.err.Error() }
func (e *credentialsError) Unwrap() error { return e.err }

// credentials reads the secrets named by the options and builds the go-git
// auth method for the remote's transport.
func (r *Repository) credentials() (credentials, error) {
	creds := credentials{secrets: []string{r.remote.password}}
	user := firstNonEmpty(r.auth.Username, r.remote.user, "git")
	switch r.remote.protocol {
	case "http", "https":
		password := r.remote.password
		if !r.auth.Password.IsZero() {
			value, err := r.auth.Password.read("Auth.Password")
			if err != nil {
				return creds, err
			}
			password = value
			creds.secrets = append(creds.secrets, value)
		}
		if r.auth.PasswordSource != nil {
			value, err := r.auth.PasswordSource()
			if err != nil {
				return creds, &credentialsError{field: "Auth.PasswordSource", err: err}
			}
			password = value
			creds.secrets = append(creds.secrets, value)
		}
		if password != "" {
			creds.method = &githttp.BasicAuth{Username: user, Password: password}
		}
	case "ssh":
		method, passphrase, err := r.sshAuth(user)
		creds.secrets = append(creds.secrets, passphrase)
		if err != nil {
			return creds, err
		}
		creds.method = method
	}
	return creds, nil
}

// sshAuth loads the private key and the host key check. It returns the
// passphrase it read, if any, so that the caller can redact it.
func (r *Repository) sshAuth(user string) (transport.AuthMethod, string, error) {
	var passphrase string
	if !r.auth.SSHKeyPassphrase.IsZero() {
		value, err := r.auth.SSHKeyPassphrase.read("Auth.SSHKeyPassphrase")
		if err != nil {
			return nil, "", err
		}
		passphrase = value
	}
	key, err := os.ReadFile(r.auth.SSHKeyFile)
	if err != nil {
		return nil, passphrase, &credentialsError{field: "Auth.SSHKeyFile", err: err}
	}
	method, err := gitssh.NewPublicKeys(user, key, passphrase)
	if err != nil {
		return nil, passphrase, &credentialsError{field: "Auth.SSHKeyFile", err: err}
	}
	check, algorithms, err := r.hostKeyCheck()
	if err != nil {
		return nil, passphrase, &credentialsError{field: "Auth.KnownHostsFile", err: err}
	}
	method.HostKeyCallback = check
	method.HostKeyAlgorithms = algorithms
	return method, passphrase, nil
}

// hostKeyCheck returns the callback that accepts only the host keys listed
// for the remote, and the key algorithms to ask the server for so that it
// presents a key of a listed type.
func (r *Repository) hostKeyCheck() (ssh.HostKeyCallback, []string, error) {
	if r.auth.InsecureIgnoreHostKey {
		return ssh.InsecureIgnoreHostKey(), nil, nil
	}
	var files []string
	if r.auth.KnownHostsFile != "" {
		files = []string{r.auth.KnownHostsFile}
	}
	db, err := gitssh.NewKnownHostsDb(files...)
	if err != nil {
		return nil, nil, err
	}
	port := r.remote.port
	if port == 0 {
		port = gitssh.DefaultPort
	}
	hostPort := net.JoinHostPort(strings.Trim(r.remote.host, "[]"), strconv.Itoa(port))
	return db.HostKeyCallback(), db.HostKeyAlgorithms(hostPort), nil
}

// firstNonEmpty returns the first of values that is not empty.
func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
