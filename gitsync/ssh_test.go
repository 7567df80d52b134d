package gitsync

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// sshServer is an SSH server on a loopback port that runs git-upload-pack
// for the exec request of each session, as a Git host does. It accepts one
// client key.
type sshServer struct {
	addr    string
	hostKey ssh.PublicKey
	config  *ssh.ServerConfig
	root    string
	wg      sync.WaitGroup
}

// newSSHServer starts a server that authorizes clientKey; it is closed when
// the test ends.
func newSSHServer(t *testing.T, root string, clientKey ssh.PublicKey) *sshServer {
	t.Helper()
	hostSigner := newSigner(t)
	s := &sshServer{hostKey: hostSigner.PublicKey(), root: root}
	s.config = &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if bytes.Equal(key.Marshal(), clientKey.Marshal()) {
				return nil, nil
			}
			return nil, errors.New("key not authorized")
		},
	}
	s.config.AddHostKey(hostSigner)
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = listener.Addr().String()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serveConn(conn)
			}()
		}
	}()
	t.Cleanup(func() {
		listener.Close()
		s.wg.Wait()
	})
	return s
}

// serveConn runs the SSH handshake and serves the connection's sessions.
func (s *sshServer) serveConn(conn net.Conn) {
	defer conn.Close()
	serverConn, channels, requests, err := ssh.NewServerConn(conn, s.config)
	if err != nil {
		return
	}
	defer serverConn.Close()
	go ssh.DiscardRequests(requests)
	for newChannel := range channels {
		if newChannel.ChannelType() != "session" {
			_ = newChannel.Reject(ssh.UnknownChannelType, "sessions only")
			continue
		}
		channel, channelRequests, err := newChannel.Accept()
		if err != nil {
			return
		}
		s.serveSession(channel, channelRequests)
	}
}

// serveSession runs `git upload-pack <repository>` for an exec request of
// "git-upload-pack '<path>'", wired to the channel, and reports its exit
// status. Other requests (env, pty) are refused.
func (s *sshServer) serveSession(channel ssh.Channel, requests <-chan *ssh.Request) {
	defer channel.Close()
	for req := range requests {
		if req.Type != "exec" {
			_ = req.Reply(false, nil)
			continue
		}
		var exec struct{ Command string }
		if err := ssh.Unmarshal(req.Payload, &exec); err != nil {
			_ = req.Reply(false, nil)
			return
		}
		program, path, _ := strings.Cut(exec.Command, " ")
		if program != "git-upload-pack" {
			_ = req.Reply(false, nil)
			return
		}
		_ = req.Reply(true, nil)
		status := s.uploadPack(channel, strings.Trim(path, "'"))
		_, _ = channel.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
		return
	}
}

// uploadPack runs git upload-pack on the channel and returns its exit status.
func (s *sshServer) uploadPack(channel ssh.Channel, path string) uint32 {
	cmd := exec.Command("git", "upload-pack", path)
	cmd.Env = gitEnv(s.root)
	cmd.Stdout = channel
	cmd.Stderr = channel.Stderr()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 1
	}
	if err := cmd.Start(); err != nil {
		return 1
	}
	// Not waited for: the client may keep its side open after the pack.
	go func() {
		_, _ = io.Copy(stdin, channel)
		stdin.Close()
	}()
	if err := cmd.Wait(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return uint32(exitErr.ExitCode())
		}
		return 1
	}
	return 0
}

// newSigner returns a fresh ed25519 signer.
func newSigner(t *testing.T) ssh.Signer {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return signer
}

// writeClientKey writes a new private key in OpenSSH format, encrypted when
// passphrase is set, and returns its path and public key.
func writeClientKey(t *testing.T, passphrase string) (string, ssh.PublicKey) {
	t.Helper()
	public, private, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(private, "sluice test")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(private, "sluice test", []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sshPublic, err := ssh.NewPublicKey(public)
	if err != nil {
		t.Fatal(err)
	}
	return path, sshPublic
}

// writeKnownHosts writes a known_hosts file that lists key for addr.
func writeKnownHosts(t *testing.T, addr string, key ssh.PublicKey) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize(addr)}, key) + "\n"
	if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPollOverSSH(t *testing.T) {
	root := t.TempDir()
	o := newOrigin(t, root, "origin")
	o.commit(map[string]string{"a.yaml": "0\n"})
	head := o.commit(map[string]string{"a.yaml": "1\n"})
	keyFile, clientKey := writeClientKey(t, "")
	encryptedKeyFile, encryptedClientKey := writeClientKey(t, "open sesame")
	srv := newSSHServer(t, root, clientKey)
	srvEncrypted := newSSHServer(t, root, encryptedClientKey)
	url := "ssh://git@" + srv.addr + o.dir

	cases := []struct {
		name     string
		url      string
		auth     func(t *testing.T) Auth
		wantKind *Kind // nil: success
	}{
		{
			name: "a host listed in known_hosts is trusted",
			url:  url,
			auth: func(t *testing.T) Auth {
				return Auth{SSHKeyFile: keyFile, KnownHostsFile: writeKnownHosts(t, srv.addr, srv.hostKey)}
			},
		},
		{
			name: "an encrypted key is opened with its passphrase",
			url:  "ssh://git@" + srvEncrypted.addr + o.dir,
			auth: func(t *testing.T) Auth {
				return Auth{
					SSHKeyFile:       encryptedKeyFile,
					SSHKeyPassphrase: Secret{File: writeSecret(t, "open sesame\n")},
					KnownHostsFile:   writeKnownHosts(t, srvEncrypted.addr, srvEncrypted.hostKey),
				}
			},
		},
		{
			name: "an unknown host is refused",
			url:  url,
			auth: func(t *testing.T) Auth {
				return Auth{SSHKeyFile: keyFile, KnownHostsFile: writeKnownHosts(t, "127.0.0.2:22", srv.hostKey)}
			},
			wantKind: ptr(KindAuth),
		},
		{
			name: "a host listed with another key is refused",
			url:  url,
			auth: func(t *testing.T) Auth {
				return Auth{SSHKeyFile: keyFile, KnownHostsFile: writeKnownHosts(t, srv.addr, newSigner(t).PublicKey())}
			},
			wantKind: ptr(KindAuth),
		},
		{
			name: "an unknown host is accepted with InsecureIgnoreHostKey",
			url:  url,
			auth: func(t *testing.T) Auth {
				return Auth{SSHKeyFile: keyFile, InsecureIgnoreHostKey: true}
			},
		},
		{
			name: "a key the server does not authorize is an auth error",
			url:  url,
			auth: func(t *testing.T) Auth {
				otherKeyFile, _ := writeClientKey(t, "")
				return Auth{SSHKeyFile: otherKeyFile, KnownHostsFile: writeKnownHosts(t, srv.addr, srv.hostKey)}
			},
			wantKind: ptr(KindAuth),
		},
		{
			name: "a wrong passphrase is an auth error",
			url:  "ssh://git@" + srvEncrypted.addr + o.dir,
			auth: func(t *testing.T) Auth {
				return Auth{
					SSHKeyFile:            encryptedKeyFile,
					SSHKeyPassphrase:      Secret{File: writeSecret(t, "not the passphrase")},
					InsecureIgnoreHostKey: true,
				}
			},
			wantKind: ptr(KindAuth),
		},
		{
			name: "a missing repository is a not-found error",
			url:  url + "-missing",
			auth: func(t *testing.T) Auth {
				return Auth{SSHKeyFile: keyFile, InsecureIgnoreHostKey: true}
			},
			wantKind: ptr(KindNotFound),
		},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			work := t.TempDir()
			repo := mustNew(t, Options{URL: tt.url, Branch: "main", Dir: work, Auth: tt.auth(t)})
			got, _, err := repo.Poll(context.Background())
			if tt.wantKind == nil {
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(map[string]string{"a.yaml": "1\n"}, treeFiles(t, got.Dir)); diff != "" || got.Commit != head {
					t.Errorf("checkout %s, want %s; files (-want +got):\n%s", got.Commit, head, diff)
				}
				if n := commitCount(t, got.Dir); n != 1 {
					t.Errorf("the checkout's repository holds %d commits, want 1 (depth 1)", n)
				}
				return
			}
			t.Log(err)
			var gitErr *Error
			if !errors.As(err, &gitErr) || gitErr.Kind != *tt.wantKind {
				t.Fatalf("Poll returned %v, want an *Error of kind %v", err, *tt.wantKind)
			}
			if strings.Contains(err.Error(), "not the passphrase") {
				t.Errorf("error shows the passphrase: %v", err)
			}
			if names := dirNames(t, work); len(names) != 0 {
				t.Errorf("a failed poll left %v in the work directory", names)
			}
		})
	}
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }
