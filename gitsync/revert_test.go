package gitsync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"
)

// deployment is the manifest of an app's Deployment running image tag,
// with extra labels on the Deployment.
func deployment(app, tag string, labels ...string) string {
	var extra strings.Builder
	for _, label := range labels {
		extra.WriteString("    " + label + "\n")
	}
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
  labels:
    app: %[1]s
%[3]sspec:
  replicas: 2
  selector:
    matchLabels:
      app: %[1]s
  template:
    metadata:
      labels:
        app: %[1]s
    spec:
      containers:
      - name: %[1]s
        image: example.com/%[1]s:%[2]s
        ports:
        - containerPort: 8080
`, app, tag, extra.String())
}

const (
	rootKustomization   = "resources:\n- detail\n- frontend\nlabels:\n- pairs:\n    team: shop\n"
	detailKustomization = "resources:\n- deployment.yaml\n- pdb.yaml\n"
	detailPDB           = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: detail\nspec:\n  minAvailable: 1\n"
)

// fleet is an origin laid out like the seed: two apps and a shared
// kustomization. good promoted detail 2.0, bad (its child) is the failed
// change.
type fleet struct {
	origin    *origin
	good, bad string
}

// newFleet commits detail 1.0, then detail 2.0 (good), then bad's files
// (by default detail 3.0) on main of an origin under root.
func newFleet(t *testing.T, root string, bad map[string]string) fleet {
	t.Helper()
	o := newOrigin(t, root, "origin")
	// Pushes over smart HTTP are served without REMOTE_USER.
	o.git("config", "http.receivepack", "true")
	o.commit(map[string]string{
		"kustomization.yaml":        rootKustomization,
		"detail/kustomization.yaml": detailKustomization,
		"detail/deployment.yaml":    deployment("detail", "1.0"),
		"detail/pdb.yaml":           detailPDB,
		"frontend/deployment.yaml":  deployment("frontend", "1.0"),
	})
	f := fleet{origin: o}
	f.good = o.commit(map[string]string{"detail/deployment.yaml": deployment("detail", "2.0")})
	if bad == nil {
		bad = map[string]string{"detail/deployment.yaml": deployment("detail", "3.0")}
	}
	f.bad = o.commit(bad)
	return f
}

// request is the revert request of the seed for the fleet.
func (f fleet) request(paths ...string) RevertRequest {
	if paths == nil {
		paths = []string{"detail/deployment.yaml", "detail/kustomization.yaml", "kustomization.yaml"}
	}
	return RevertRequest{
		Good: f.good, Bad: f.bad, Paths: paths, Branch: "sluice/revert-detail-" + f.bad[:7],
		Message: "Revert detail to " + f.good[:7],
		Now:     time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
	}
}

// changedLines returns the files and the lines that differ from one
// revision of the origin to another, as git diff tells them.
func (o *origin) changedLines(from, to string) (files, changed []string) {
	o.t.Helper()
	if names := o.git("diff", "--name-only", from, to); names != "" {
		files = strings.Split(names, "\n")
	}
	for _, line := range strings.Split(o.git("diff", "-U0", from, to), "\n") {
		if (strings.HasPrefix(line, "+") || strings.HasPrefix(line, "-")) && !strings.HasPrefix(line, "+++") && !strings.HasPrefix(line, "---") {
			changed = append(changed, line)
		}
	}
	return files, changed
}

// branches lists the branches of the origin.
func (o *origin) branches() []string {
	o.t.Helper()
	return strings.Split(o.git("for-each-ref", "--format=%(refname:short)", "refs/heads/"), "\n")
}

// revertTransports are the ways the tests reach the origin: each fetches
// differently.
var revertTransports = []struct {
	name  string
	url   func(srv *httpServer, o *origin) string
	setup func(o *origin)
}{
	{
		name:  "over file:// from a server that serves commits by SHA, with depth 1",
		url:   func(_ *httpServer, o *origin) string { return "file://" + o.dir },
		setup: func(o *origin) { o.git("config", "uploadpack.allowReachableSHA1InWant", "true") },
	},
	{
		name: "over file:// from a server that does not, with the whole history",
		url:  func(_ *httpServer, o *origin) string { return "file://" + o.dir },
	},
	{
		name: "over smart HTTP",
		url:  func(srv *httpServer, _ *origin) string { return srv.URL + "/origin" },
	},
}

func TestPushRevertUndoesTheFailedChangeOnTopOfTheBranchHead(t *testing.T) {
	for _, tr := range revertTransports {
		t.Run(tr.name, func(t *testing.T) {
			root := t.TempDir()
			f := newFleet(t, root, nil)
			if tr.setup != nil {
				tr.setup(f.origin)
			}
			// Since the failure, another app and a shared line changed.
			head := f.origin.commit(map[string]string{
				"frontend/deployment.yaml": deployment("frontend", "1.1"),
				"kustomization.yaml":       strings.Replace(rootKustomization, "team: shop", "team: retail", 1),
			})
			work := t.TempDir()
			repo := mustNew(t, Options{URL: tr.url(newHTTPServer(t, root), f.origin), Branch: "main", Dir: work})

			req := f.request()
			got, err := repo.PushRevert(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			tip := f.origin.git("rev-parse", "refs/heads/"+req.Branch)
			want := RevertResult{Branch: req.Branch, Commit: tip, Base: head, Files: []string{"detail/deployment.yaml"}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			if parents := f.origin.git("log", "-1", "--format=%P", tip); parents != head {
				t.Errorf("the revert's parents are %q, want the head of main %s", parents, head)
			}
			files, changed := f.origin.changedLines("main", req.Branch)
			if diff := cmp.Diff([]string{"detail/deployment.yaml"}, files); diff != "" {
				t.Errorf("files changed from main (-want +got):\n%s", diff)
			}
			wantChanged := []string{"-        image: example.com/detail:3.0", "+        image: example.com/detail:2.0"}
			if diff := cmp.Diff(wantChanged, changed); diff != "" {
				t.Errorf("lines changed from main (-want +got):\n%s", diff)
			}
			if got := f.origin.git("show", req.Branch+":frontend/deployment.yaml"); !strings.Contains(got, "frontend:1.1") {
				t.Errorf("the frontend change made since the failure is lost:\n%s", got)
			}
			commit := f.origin.git("log", "-1", "--format=%an <%ae>|%cn <%ce>|%at|%B", tip)
			if want := "sluice <sluice@sluice.dev>|sluice <sluice@sluice.dev>|1714564800|Revert detail to " + f.good[:7]; commit != want {
				t.Errorf("commit %q, want %q", commit, want)
			}
			f.origin.git("fsck", "--strict", "--no-dangling")
			if diff := cmp.Diff(Stats{ListRemotes: 1, Fetches: 1, Pushes: 1}, repo.Stats()); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
			if names := dirNames(t, work); len(names) != 0 {
				t.Errorf("PushRevert left %v in the work directory", names)
			}
		})
	}
}

func TestPushRevertKeepsWhatTheBranchDidSinceAndTouchesOnlyThePaths(t *testing.T) {
	cases := []struct {
		name  string
		bad   map[string]string // the failed change, on top of good
		since map[string]string // the branch's changes after it
		paths []string
		want  map[string]string // the revert's files by content, "" deleted
	}{
		{
			name:  "a change to other lines of the same file since the failure is kept",
			since: map[string]string{"detail/deployment.yaml": deployment("detail", "3.0", "tier: backend")},
			want:  map[string]string{"detail/deployment.yaml": deployment("detail", "2.0", "tier: backend")},
		},
		{
			name:  "a file the failed commit created is deleted, its new directory with it",
			bad:   map[string]string{"detail/hpa/hpa.yaml": "kind: HorizontalPodAutoscaler\n", "detail/deployment.yaml": deployment("detail", "3.0")},
			paths: []string{"detail/deployment.yaml", "detail/hpa/hpa.yaml"},
			want:  map[string]string{"detail/hpa/hpa.yaml": "", "detail/deployment.yaml": deployment("detail", "2.0")},
		},
		{
			name:  "a file the failed commit deleted is restored",
			bad:   map[string]string{"detail/pdb.yaml": ""},
			paths: []string{"detail/deployment.yaml", "detail/pdb.yaml"},
			want:  map[string]string{"detail/pdb.yaml": detailPDB},
		},
		{
			name: "a path the failed commit did not change is left as the branch has it",
			since: map[string]string{
				"detail/kustomization.yaml": detailKustomization + "- service.yaml\n",
				"detail/service.yaml":       "kind: Service\n",
			},
			paths: []string{"detail/deployment.yaml", "detail/kustomization.yaml", "detail/service.yaml"},
			want:  map[string]string{"detail/deployment.yaml": deployment("detail", "2.0")},
		},
		{
			name:  "a file the failed commit changed outside the paths is left as the branch has it",
			bad:   map[string]string{"detail/deployment.yaml": deployment("detail", "3.0"), "frontend/deployment.yaml": deployment("frontend", "3.0")},
			paths: []string{"detail/deployment.yaml", "detail/kustomization.yaml"},
			want:  map[string]string{"detail/deployment.yaml": deployment("detail", "2.0")},
		},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			f := newFleet(t, root, tt.bad)
			f.origin.git("config", "uploadpack.allowReachableSHA1InWant", "true")
			head := f.origin.commit(tt.since)
			repo := mustNew(t, Options{URL: "file://" + f.origin.dir, Branch: "main", Dir: t.TempDir()})

			req := f.request(tt.paths...)
			got, err := repo.PushRevert(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if got.Base != head {
				t.Errorf("the revert is based on %s, want the head %s", got.Base, head)
			}
			files := map[string]string{}
			for _, name := range got.Files {
				files[name] = ""
				if strings.TrimSpace(f.origin.git("ls-tree", "--name-only", req.Branch, name)) != "" {
					files[name] = f.origin.git("show", req.Branch+":"+name) + "\n"
				}
			}
			if diff := cmp.Diff(tt.want, files); diff != "" {
				t.Errorf("the revert's files (-want +got):\n%s", diff)
			}
			changedFiles, _ := f.origin.changedLines("main", req.Branch)
			if diff := cmp.Diff(got.Files, changedFiles); diff != "" {
				t.Errorf("Files does not list what git diff main %s does (-Files +git diff):\n%s", req.Branch, diff)
			}
		})
	}
}

func TestPushRevertReportsAConflictAndPushesNothing(t *testing.T) {
	cases := []struct {
		name       string
		bad        map[string]string
		since      map[string]string
		wantReason string // formatted with the failed commit, abbreviated
	}{
		{
			name:       "the branch changed the image line again since the failure",
			since:      map[string]string{"detail/deployment.yaml": deployment("detail", "3.1")},
			wantReason: "the branch changed the same lines since %s",
		},
		{
			name:       "the branch deleted the file since the failure",
			since:      map[string]string{"detail/deployment.yaml": ""},
			wantReason: "the branch deleted the file since %s",
		},
		{
			name:       "the branch changed a file the failed commit created",
			bad:        map[string]string{"detail/deployment.yaml": deployment("detail", "3.0"), "detail/hpa.yaml": "maxReplicas: 4\n"},
			since:      map[string]string{"detail/hpa.yaml": "maxReplicas: 6\n"},
			wantReason: "the branch changed the file since %s, which created it",
		},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			f := newFleet(t, root, tt.bad)
			head := f.origin.commit(tt.since)
			work := t.TempDir()
			repo := mustNew(t, Options{URL: "file://" + f.origin.dir, Branch: "main", Dir: work})

			_, err := repo.PushRevert(context.Background(), f.request("detail/deployment.yaml", "detail/hpa.yaml"))
			var conflict *ConflictError
			if !errors.As(err, &conflict) {
				t.Fatalf("PushRevert returned %v, want a *ConflictError", err)
			}
			path := "detail/deployment.yaml"
			if tt.bad["detail/hpa.yaml"] != "" {
				path = "detail/hpa.yaml"
			}
			want := &ConflictError{Path: path, Base: head, Reason: fmt.Sprintf(tt.wantReason, f.bad[:7])}
			if diff := cmp.Diff(want, conflict); diff != "" {
				t.Errorf("conflict (-want +got):\n%s", diff)
			}
			if want := "revert " + path + ": " + want.Reason; err.Error() != want {
				t.Errorf("message %q, want %q", err.Error(), want)
			}
			if diff := cmp.Diff([]string{"main"}, f.origin.branches()); diff != "" {
				t.Errorf("branches of the origin (-want +got):\n%s", diff)
			}
			if n := repo.Stats().Pushes; n != 0 {
				t.Errorf("%d pushes, want none", n)
			}
			if names := dirNames(t, work); len(names) != 0 {
				t.Errorf("PushRevert left %v in the work directory", names)
			}
		})
	}
}

func TestPushRevertWithNothingToRevertPushesNothing(t *testing.T) {
	cases := []struct {
		name        string
		since       map[string]string
		paths       []string
		wantFetches int64
	}{
		{
			name:  "the branch is back at the promoted content",
			since: map[string]string{"detail/deployment.yaml": deployment("detail", "2.0")},
			paths: []string{"detail/deployment.yaml"}, wantFetches: 1,
		},
		{
			name:  "none of the paths changed from the promoted commit to the failed one",
			paths: []string{"frontend/deployment.yaml", "kustomization.yaml"}, wantFetches: 1,
		},
		{
			name:  "no paths",
			paths: []string{}, wantFetches: 0,
		},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			f := newFleet(t, root, nil)
			f.origin.commit(tt.since)
			repo := mustNew(t, Options{URL: "file://" + f.origin.dir, Branch: "main", Dir: t.TempDir()})

			_, err := repo.PushRevert(context.Background(), f.request(tt.paths...))
			if !errors.Is(err, ErrNothingToRevert) {
				t.Fatalf("PushRevert returned %v, want ErrNothingToRevert", err)
			}
			t.Log(err)
			if diff := cmp.Diff([]string{"main"}, f.origin.branches()); diff != "" {
				t.Errorf("branches of the origin (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(Stats{ListRemotes: 1, Fetches: tt.wantFetches}, repo.Stats()); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPushRevertOfAnExistingBranchPushesNothing(t *testing.T) {
	for _, tr := range revertTransports {
		t.Run(tr.name, func(t *testing.T) {
			ctx := context.Background()
			root := t.TempDir()
			f := newFleet(t, root, map[string]string{
				"detail/deployment.yaml": deployment("detail", "3.0"),
				"detail/pdb.yaml":        "",
			})
			if tr.setup != nil {
				tr.setup(f.origin)
			}
			url := tr.url(newHTTPServer(t, root), f.origin)
			req := f.request("detail/deployment.yaml", "detail/pdb.yaml")
			first, err := mustNew(t, Options{URL: url, Branch: "main", Dir: t.TempDir()}).PushRevert(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			tip := f.origin.git("rev-parse", "refs/heads/"+req.Branch)

			// A restarted sluice asks again, after main moved on.
			f.origin.commit(map[string]string{"frontend/deployment.yaml": deployment("frontend", "1.1")})
			restarted := mustNew(t, Options{URL: url, Branch: "main", Dir: t.TempDir()})
			req.Now = req.Now.Add(time.Hour)
			again, err := restarted.PushRevert(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			want := first
			want.Existed = true
			if diff := cmp.Diff(want, again); diff != "" {
				t.Errorf("second result (-want +got):\n%s", diff)
			}
			if got := f.origin.git("rev-parse", "refs/heads/"+req.Branch); got != tip {
				t.Errorf("the branch moved from %s to %s", tip, got)
			}
			if diff := cmp.Diff(Stats{ListRemotes: 1, Fetches: 1}, restarted.Stats()); diff != "" {
				t.Errorf("stats of the second call (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPushRevertFailsWithATypedErrorThatHidesTheToken(t *testing.T) {
	const token = "s3cr3t-t0ken"
	cases := []struct {
		name     string
		setup    func(t *testing.T, f fleet, srv *httpServer) (Options, RevertRequest)
		wantOp   string
		wantKind Kind
	}{
		{
			name: "a wrong token",
			setup: func(t *testing.T, f fleet, srv *httpServer) (Options, RevertRequest) {
				srv.requireBasicAuth("sluice", "other")
				return Options{URL: strings.Replace(srv.URL, "http://", "http://sluice:"+token+"@", 1) + "/origin"}, f.request()
			},
			wantOp: "ls-remote", wantKind: KindAuth,
		},
		{
			name: "a server that refuses pushes",
			setup: func(t *testing.T, f fleet, srv *httpServer) (Options, RevertRequest) {
				f.origin.git("config", "http.receivepack", "false")
				srv.requireBasicAuth("sluice", token)
				return Options{URL: srv.URL + "/origin", Auth: Auth{Username: "sluice", Password: Secret{File: writeSecret(t, token)}}}, f.request()
			},
			wantOp: "push", wantKind: KindAuth,
		},
		{
			name: "a promoted commit the remote does not have",
			setup: func(t *testing.T, f fleet, srv *httpServer) (Options, RevertRequest) {
				srv.requireBasicAuth("sluice", token)
				req := f.request()
				req.Good = strings.Repeat("ab", 20)
				return Options{URL: strings.Replace(srv.URL, "http://", "http://sluice:"+token+"@", 1) + "/origin"}, req
			},
			wantOp: "fetch", wantKind: KindNotFound,
		},
		{
			name: "a failed commit the remote does not have, asked for by SHA",
			setup: func(t *testing.T, f fleet, srv *httpServer) (Options, RevertRequest) {
				f.origin.git("config", "uploadpack.allowReachableSHA1InWant", "true")
				req := f.request()
				req.Bad = strings.Repeat("AB", 20) // upper case is a SHA too
				return Options{URL: "file://" + f.origin.dir}, req
			},
			wantOp: "fetch", wantKind: KindNotFound,
		},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			f := newFleet(t, root, nil)
			srv := newHTTPServer(t, root)
			opts, req := tt.setup(t, f, srv)
			opts.Branch, opts.Dir = "main", t.TempDir()

			_, err := mustNew(t, opts).PushRevert(context.Background(), req)
			t.Log(err)
			var gitErr *Error
			if !errors.As(err, &gitErr) {
				t.Fatalf("PushRevert returned %v, want an *Error", err)
			}
			if gitErr.Op != tt.wantOp || gitErr.Kind != tt.wantKind || gitErr.Ref != req.Branch {
				t.Errorf("error op %q kind %s ref %q, want op %q kind %s ref %q", gitErr.Op, gitErr.Kind, gitErr.Ref, tt.wantOp, tt.wantKind, req.Branch)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("the error shows the token: %v", err)
			}
			if diff := cmp.Diff([]string{"main"}, f.origin.branches()); diff != "" {
				t.Errorf("branches of the origin (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPushRevertPushesWithTheCredentialsOfTheFetches(t *testing.T) {
	const token = "s3cr3t-t0ken"
	root := t.TempDir()
	f := newFleet(t, root, nil)
	srv := newHTTPServer(t, root)
	srv.requireBasicAuth("sluice", token)
	repo := mustNew(t, Options{URL: srv.URL + "/origin", Branch: "main", Dir: t.TempDir(),
		Auth: Auth{Username: "sluice", Password: Secret{File: writeSecret(t, token)}}})

	got, err := repo.PushRevert(context.Background(), f.request())
	if err != nil {
		t.Fatal(err)
	}
	if tip := f.origin.git("rev-parse", "refs/heads/"+got.Branch); tip != got.Commit {
		t.Errorf("the remote branch is at %s, want the revert %s", tip, got.Commit)
	}
}

func TestPushRevertRefusesABadRequestWithoutContactingTheRemote(t *testing.T) {
	const sha = "0123456789abcdef0123456789abcdef01234567"
	valid := RevertRequest{Good: sha, Bad: sha, Paths: []string{"a.yaml"}, Branch: "sluice/revert"}
	cases := []struct {
		name   string
		mutate func(req *RevertRequest)
	}{
		{"an abbreviated promoted commit", func(req *RevertRequest) { req.Good = sha[:7] }},
		{"a failed commit that is not a SHA", func(req *RevertRequest) { req.Bad = "main" }},
		{"no branch", func(req *RevertRequest) { req.Branch = "" }},
		{"a branch name git refuses", func(req *RevertRequest) { req.Branch = "sluice/..revert" }},
		{"the watched branch", func(req *RevertRequest) { req.Branch = "main" }},
		{"a path with a leading ./", func(req *RevertRequest) { req.Paths = []string{"./a.yaml"} }},
		{"a path out of the repository", func(req *RevertRequest) { req.Paths = []string{"../a.yaml"} }},
		{"an absolute path", func(req *RevertRequest) { req.Paths = []string{"/a.yaml"} }},
		{"an empty path", func(req *RevertRequest) { req.Paths = []string{""} }},
		{"a path into .git", func(req *RevertRequest) { req.Paths = []string{".git/config"} }},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			repo := mustNew(t, Options{URL: "file:///nonexistent", Branch: "main", Dir: t.TempDir()})
			req := valid
			req.Paths = append([]string(nil), valid.Paths...)
			tt.mutate(&req)
			_, err := repo.PushRevert(context.Background(), req)
			t.Log(err)
			var gitErr *Error
			if err == nil || errors.As(err, &gitErr) {
				t.Fatalf("PushRevert returned %v, want a plain error", err)
			}
			if diff := cmp.Diff(Stats{}, repo.Stats()); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRevertRefSpecsFetchAsLittleAsTheServerAllows(t *testing.T) {
	const (
		head  = "1111111111111111111111111111111111111111"
		tip   = "2222222222222222222222222222222222222222"
		older = "3333333333333333333333333333333333333333"
	)
	adv := advertisement{
		refs: map[plumbing.ReferenceName]plumbing.Hash{
			"refs/heads/main":    plumbing.NewHash(head),
			"refs/heads/feature": plumbing.NewHash(tip),
		},
		shallow: true,
	}
	withExactSHA := adv
	withExactSHA.exactSHA = true
	full := []config.RefSpec{"+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"}

	cases := []struct {
		name      string
		adv       advertisement
		commits   []string
		want      []config.RefSpec
		wantDepth int
	}{
		{name: "tips are fetched by their references, with depth 1", adv: adv, commits: []string{head, tip},
			want: []config.RefSpec{"+refs/heads/main:refs/remotes/origin/main", "+refs/heads/feature:refs/remotes/origin/feature"}, wantDepth: 1},
		{name: "other commits are fetched by SHA when the server allows it", adv: withExactSHA, commits: []string{older, tip},
			want: []config.RefSpec{"+refs/heads/main:refs/remotes/origin/main", older + ":refs/sluice/revert-0", "+refs/heads/feature:refs/remotes/origin/feature"}, wantDepth: 1},
		{name: "other commits need the whole history otherwise", adv: adv, commits: []string{tip, older},
			want: full, wantDepth: 0},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got, depth := revertRefSpecs(tt.adv, "main", tt.commits...)
			if diff := cmp.Diff(tt.want, got); diff != "" || depth != tt.wantDepth {
				t.Errorf("depth %d, want %d; refspecs (-want +got):\n%s", depth, tt.wantDepth, diff)
			}
		})
	}
}

func TestPushRevertPartialRevertsWhatItCanAndListsTheConflicts(t *testing.T) {
	root := t.TempDir()
	// The failed commit changed the image and the PDB; since, the branch
	// changed the image line again: only the PDB can be reverted.
	f := newFleet(t, root, map[string]string{
		"detail/deployment.yaml": deployment("detail", "3.0"),
		"detail/pdb.yaml":        strings.Replace(detailPDB, "minAvailable: 1", "minAvailable: 2", 1),
	})
	head := f.origin.commit(map[string]string{"detail/deployment.yaml": deployment("detail", "3.1")})
	repo := mustNew(t, Options{URL: "file://" + f.origin.dir, Branch: "main", Dir: t.TempDir()})
	req := f.request("detail/deployment.yaml", "detail/pdb.yaml")

	if _, err := repo.PushRevert(context.Background(), req); err == nil {
		t.Fatal("a revert with a conflict and without Partial pushed something")
	}
	req.Partial = true
	res, err := repo.PushRevert(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := []ConflictError{{Path: "detail/deployment.yaml", Base: head, Reason: "the branch changed the same lines since " + f.bad[:7]}}
	if diff := cmp.Diff(want, res.Conflicts); diff != "" {
		t.Errorf("conflicts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"detail/pdb.yaml"}, res.Files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	files, _ := f.origin.changedLines(head, res.Commit)
	if diff := cmp.Diff([]string{"detail/pdb.yaml"}, files); diff != "" {
		t.Errorf("files the pushed commit changes (-want +got):\n%s", diff)
	}
}
