package desired

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/vigia-sei/vigia/collectors/probe"
)

// gitHTTPServer serves repositories under root with git's own smart-HTTP server (git http-backend,
// as CGI) behind HTTP basic auth, the way a forge checks an access token.
func gitHTTPServer(t *testing.T, root, user, token string) *httptest.Server {
	t.Helper()
	execPath, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Fatalf("git --exec-path: %v", err)
	}
	backend := &cgi.Handler{
		Path:       filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend"),
		Env:        []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1"},
		InheritEnv: []string{"PATH"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != token {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestHTTPSTokenAuth(t *testing.T) {
	const token = "glpat-s3cr3t-t0k3n-value"
	remote := newGitRepo(t)
	remote.copyTree("testdata/fleet")
	remote.commit("fleet")
	srv := gitHTTPServer(t, filepath.Dir(remote.dir), "oauth2", token)
	repoURL := srv.URL + "/" + filepath.Base(remote.dir)

	t.Run("token in Auth", func(t *testing.T) {
		s := newTestStore(t, Options{URL: repoURL, Auth: Auth{Username: "oauth2", Password: probe.Secret(token)}})
		if err := s.Refresh(t.Context()); err != nil {
			t.Fatalf("Refresh: %v", err)
		}
		if len(s.Instances()) != 3 {
			t.Errorf("instances = %v", s.Instances())
		}
	})
	t.Run("token in the URL is moved out of it", func(t *testing.T) {
		withCreds := strings.Replace(repoURL, "http://", "http://oauth2:"+token+"@", 1)
		s := newTestStore(t, Options{URL: withCreds})
		if err := s.Refresh(t.Context()); err != nil {
			t.Fatalf("Refresh: %v", err)
		}
		if len(s.Instances()) != 3 {
			t.Errorf("instances = %v", s.Instances())
		}
		if strings.Contains(s.logs.String(), token) {
			t.Errorf("token in the log:\n%s", s.logs)
		}
	})
	t.Run("wrong token", func(t *testing.T) {
		s := newTestStore(t, Options{URL: repoURL, Auth: Auth{Username: "oauth2", Password: "wrong-" + token}})
		err := s.Refresh(t.Context())
		if err == nil {
			t.Fatal("Refresh with a wrong token succeeded")
		}
		if !strings.Contains(err.Error(), "check desired.git auth") {
			t.Errorf("error %q does not point at the credentials", err)
		}
		for where, text := range map[string]string{"error": err.Error(), "log": s.logs.String()} {
			if strings.Contains(text, token) {
				t.Errorf("token in the %s: %s", where, text)
			}
		}
		if s.metric(t, "vigia_desired_refresh_success") != 0 || s.metric(t, "vigia_desired_instances") != 0 {
			t.Error("metrics do not report the failure")
		}
	})
}

// sshGitServer is an SSH server that runs git upload-pack for an authorised key, like a forge.
type sshGitServer struct {
	addr    string
	hostKey ssh.PublicKey
	wg      sync.WaitGroup
}

func startSSHGitServer(t *testing.T, root string, authorized ssh.PublicKey) *sshGitServer {
	t.Helper()
	_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(c ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
		if c.User() == "git" && bytes.Equal(k.Marshal(), authorized.Marshal()) {
			return nil, nil
		}
		return nil, errors.New("key not authorised")
	}}
	cfg.AddHostKey(signer)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &sshGitServer{addr: ln.Addr().String(), hostKey: signer.PublicKey()}
	t.Cleanup(func() { ln.Close(); srv.wg.Wait() })
	srv.wg.Add(1)
	go func() {
		defer srv.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			srv.wg.Add(1)
			go func() { defer srv.wg.Done(); serveSSH(conn, cfg, root) }()
		}
	}()
	return srv
}

func serveSSH(conn net.Conn, cfg *ssh.ServerConfig, root string) {
	defer conn.Close()
	sc, chans, reqs, err := ssh.NewServerConn(conn, cfg)
	if err != nil {
		return
	}
	defer sc.Close()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "session only")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			return
		}
		go func() {
			defer ch.Close()
			for req := range creqs {
				if req.Type != "exec" {
					_ = req.Reply(req.Type == "env", nil)
					continue
				}
				var p struct{ Command string }
				if ssh.Unmarshal(req.Payload, &p) != nil {
					_ = req.Reply(false, nil)
					return
				}
				svc, arg, _ := strings.Cut(p.Command, " ")
				if svc != "git-upload-pack" {
					_ = req.Reply(false, nil)
					return
				}
				_ = req.Reply(true, nil)
				dir := filepath.Join(root, filepath.Clean("/"+strings.Trim(arg, "'")))
				cmd := exec.Command("git", "upload-pack", dir)
				cmd.Stdin, cmd.Stdout, cmd.Stderr = ch, ch, ch.Stderr()
				status := uint32(0)
				if err := cmd.Run(); err != nil {
					status = 1
				}
				_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
				return
			}
		}()
	}
}

func TestSSHKeyAuth(t *testing.T) {
	remote := newGitRepo(t)
	remote.copyTree("testdata/fleet")
	rev := remote.commit("fleet")

	const passphrase = "correct horse battery staple"
	clientPub, clientPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKeyWithPassphrase(clientPriv, "vigia", []byte(passphrase))
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	authorized, err := ssh.NewPublicKey(clientPub)
	if err != nil {
		t.Fatal(err)
	}
	srv := startSSHGitServer(t, filepath.Dir(remote.dir), authorized)
	knownHosts := filepath.Join(t.TempDir(), "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize(srv.addr)}, srv.hostKey)
	if err := os.WriteFile(knownHosts, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	repoURL := "ssh://git@" + srv.addr + "/" + filepath.Base(remote.dir)
	auth := Auth{SSHKeyFile: keyFile, SSHKeyPassphrase: passphrase, SSHKnownHosts: knownHosts}

	s := newTestStore(t, Options{URL: repoURL, Auth: auth})
	if err := s.Refresh(t.Context()); err != nil {
		t.Fatalf("Refresh over ssh: %v", err)
	}
	if s.Revision() != rev || len(s.Instances()) != 3 {
		t.Errorf("revision %s, instances %v", s.Revision(), s.Instances())
	}

	t.Run("wrong passphrase", func(t *testing.T) {
		bad := auth
		bad.SSHKeyPassphrase = "wrong"
		_, err := New(Options{URL: repoURL, Auth: bad, CacheDir: t.TempDir()}, nil, nil)
		if err == nil || !strings.Contains(err.Error(), "passphrase") || strings.Contains(err.Error(), "wrong") {
			t.Errorf("New = %v, want an error without the passphrase", err)
		}
	})
	t.Run("unknown host key", func(t *testing.T) {
		other, _, _ := ed25519.GenerateKey(rand.Reader)
		otherPub, _ := ssh.NewPublicKey(other)
		kh := filepath.Join(t.TempDir(), "known_hosts")
		if err := os.WriteFile(kh, []byte(knownhosts.Line([]string{knownhosts.Normalize(srv.addr)}, otherPub)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		a := auth
		a.SSHKnownHosts = kh
		s := newTestStore(t, Options{URL: repoURL, Auth: a})
		err := s.Refresh(t.Context())
		if err == nil || !strings.Contains(err.Error(), "key mismatch") {
			t.Fatalf("Refresh = %v, want a host key mismatch", err)
		}
	})
	t.Run("key not authorised", func(t *testing.T) {
		_, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
		blk, _ := ssh.MarshalPrivateKey(otherPriv, "")
		f := filepath.Join(t.TempDir(), "id_other")
		if err := os.WriteFile(f, pem.EncodeToMemory(blk), 0o600); err != nil {
			t.Fatal(err)
		}
		s := newTestStore(t, Options{URL: repoURL, Auth: Auth{SSHKeyFile: f, SSHKnownHosts: knownHosts}})
		err := s.Refresh(t.Context())
		if err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
			t.Fatalf("Refresh = %v, want an authentication failure", err)
		}
	})
}

func TestBadURLDoesNotLeakCredentials(t *testing.T) {
	for _, raw := range []string{"https://oauth2:s3cr3t-t0k3n@git.example.test/%zz", "https://oauth2:s3cr3t-t0k3n@git example.test/x"} {
		_, err := New(Options{URL: raw}, nil, nil)
		if err == nil {
			t.Errorf("New(%q) accepted a malformed URL", raw)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("error leaks the token: %v", err)
		}
	}
}
