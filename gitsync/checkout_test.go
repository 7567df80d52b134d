package gitsync

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"
)

// history is an origin with four commits: first (tagged v1), middle and
// second on main, feature on a branch of its own started from first.
type history struct {
	origin                         *origin
	first, middle, second, feature string
}

func newHistory(t *testing.T, root string) history {
	t.Helper()
	o := newOrigin(t, root, "origin")
	h := history{origin: o}
	h.first = o.commit(map[string]string{"a.yaml": "first\n"})
	o.git("tag", "-a", "v1", "-m", "release 1")
	o.git("checkout", "-q", "-b", "feature")
	h.feature = o.commit(map[string]string{"a.yaml": "feature\n"})
	o.git("checkout", "-q", "main")
	h.middle = o.commit(map[string]string{"a.yaml": "middle\n"})
	h.second = o.commit(map[string]string{"a.yaml": "second\n"})
	return h
}

func TestCheckoutFetchesTheRefAskedFor(t *testing.T) {
	root := t.TempDir()
	h := newHistory(t, root)
	srv := newHTTPServer(t, root)
	contents := map[string]string{h.first: "first\n", h.middle: "middle\n", h.second: "second\n", h.feature: "feature\n"}

	cases := []struct {
		name        string
		ref         func(h history) string
		wantCommit  func(h history) string
		wantRef     plumbing.ReferenceName
		wantCommits int // in the checkout's repository
	}{
		{
			name:       "a branch name checks out the tip of that branch",
			ref:        func(h history) string { return "feature" },
			wantCommit: func(h history) string { return h.feature },
			wantRef:    "refs/heads/feature", wantCommits: 1,
		},
		{
			name:       "a full reference name checks out that reference",
			ref:        func(h history) string { return "refs/heads/main" },
			wantCommit: func(h history) string { return h.second },
			wantRef:    "refs/heads/main", wantCommits: 1,
		},
		{
			name:       "an annotated tag checks out the commit it points to",
			ref:        func(h history) string { return "v1" },
			wantCommit: func(h history) string { return h.first },
			wantRef:    "refs/tags/v1", wantCommits: 1,
		},
		{
			name:        "the full SHA of a branch tip is fetched alone",
			ref:         func(h history) string { return h.second },
			wantCommit:  func(h history) string { return h.second },
			wantCommits: 1,
		},
		{
			name:        "a short SHA fetches the whole history to find the commit",
			ref:         func(h history) string { return h.first[:7] },
			wantCommit:  func(h history) string { return h.first },
			wantCommits: 4,
		},
		{
			name:        "the full SHA of an older commit fetches the whole history when the server does not serve commits by SHA",
			ref:         func(h history) string { return h.middle },
			wantCommit:  func(h history) string { return h.middle },
			wantCommits: 4,
		},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			work := t.TempDir()
			repo := mustNew(t, Options{URL: srv.URL + "/origin", Branch: "main", Dir: work})

			got, err := repo.Checkout(context.Background(), tt.ref(h))
			if err != nil {
				t.Fatal(err)
			}
			commit := tt.wantCommit(h)
			want := Checkout{Commit: commit, Dir: filepath.Join(work, commit), Ref: string(tt.wantRef)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("checkout (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(map[string]string{"a.yaml": contents[commit]}, treeFiles(t, got.Dir)); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			if n := commitCount(t, got.Dir); n != tt.wantCommits {
				t.Errorf("the checkout's repository holds %d commits, want %d", n, tt.wantCommits)
			}
		})
	}
}

func TestCheckoutOfAMissingRefIsANotFoundError(t *testing.T) {
	root := t.TempDir()
	newHistory(t, root)
	srv := newHTTPServer(t, root)

	for _, ref := range []string{"no-such-branch", "0000000", "refs/heads/nope", ""} {
		t.Run("ref "+ref, func(t *testing.T) {
			work := t.TempDir()
			repo := mustNew(t, Options{URL: srv.URL + "/origin", Branch: "main", Dir: work})
			_, err := repo.Checkout(context.Background(), ref)
			t.Log(err)
			var gitErr *Error
			if !errors.As(err, &gitErr) || gitErr.Kind != KindNotFound {
				t.Fatalf("Checkout(%q) returned %v, want an *Error of kind not found", ref, err)
			}
			if names := dirNames(t, work); len(names) != 0 {
				t.Errorf("a failed checkout left %v in the work directory", names)
			}
		})
	}
}

func TestCheckoutFetchesACommitAloneWhenTheServerServesCommitsBySHA(t *testing.T) {
	root := t.TempDir()
	h := newHistory(t, root)
	h.origin.git("config", "uploadpack.allowReachableSHA1InWant", "true")
	repo := mustNew(t, Options{URL: "file://" + h.origin.dir, Branch: "main", Dir: t.TempDir()})

	got, err := repo.Checkout(context.Background(), h.middle)
	if err != nil {
		t.Fatal(err)
	}
	if got.Commit != h.middle {
		t.Errorf("checked out %s, want %s", got.Commit, h.middle)
	}
	if n := commitCount(t, got.Dir); n != 1 {
		t.Errorf("the checkout's repository holds %d commits, want 1", n)
	}
}

func TestCheckoutAndPollShareCheckoutsAndPollKeepsThoseOfCheckout(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	h := newHistory(t, root)
	srv := newHTTPServer(t, root)
	work := t.TempDir()
	repo := mustNew(t, Options{URL: srv.URL + "/origin", Branch: "main", Dir: work})

	polled, _, err := repo.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The head is already checked out: no second fetch.
	same, err := repo.Checkout(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	if same.Dir != polled.Dir || repo.Stats().Fetches != 1 {
		t.Errorf("Checkout of the polled head gave %s after %d fetches, want %s after 1", same.Dir, repo.Stats().Fetches, polled.Dir)
	}

	planned, err := repo.Checkout(ctx, "v1")
	if err != nil {
		t.Fatal(err)
	}
	var current string
	for _, content := range []string{"third\n", "fourth\n", "fifth\n"} {
		current = h.origin.commit(map[string]string{"a.yaml": content})
		if _, _, err := repo.Poll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	previous := h.origin.git("rev-parse", "HEAD~1")
	if diff := cmp.Diff(map[string]string{"a.yaml": "first\n"}, treeFiles(t, planned.Dir)); diff != "" {
		t.Errorf("the checkout of v1 after polls moved on (-want +got):\n%s", diff)
	}
	// Poll keeps its current and previous checkouts, and both of
	// Checkout's, the polled head included; the third commit is gone.
	if diff := cmp.Diff(sorted(h.first, h.second, previous, current), dirNames(t, work)); diff != "" {
		t.Errorf("work directory (-want +got):\n%s", diff)
	}
}

func TestResolveTargetPicksAReferenceOrACommit(t *testing.T) {
	const (
		tip    = "1111111111111111111111111111111111111111"
		tagObj = "2222222222222222222222222222222222222222"
		tagged = "3333333333333333333333333333333333333abc"
		other  = "4444444444444444444444444444444444444444"
	)
	adv := advertisement{
		refs: map[plumbing.ReferenceName]plumbing.Hash{
			"refs/heads/main":     plumbing.NewHash(tip),
			"refs/heads/release":  plumbing.NewHash(tip),
			"refs/tags/v1":        plumbing.NewHash(tagObj),
			"refs/heads/deadbeef": plumbing.NewHash(other),
		},
		peeled: map[plumbing.ReferenceName]plumbing.Hash{"refs/tags/v1": plumbing.NewHash(tagged)},
	}
	withExactSHA := adv
	withExactSHA.exactSHA = true

	cases := []struct {
		name    string
		adv     advertisement
		ref     string
		want    target
		wantErr bool
	}{
		{name: "a branch name is that branch", adv: adv, ref: "main",
			want: target{fetchRef: "refs/heads/main", checkoutRef: "refs/heads/main", commit: tip}},
		{name: "a tag name is that tag, peeled to its commit", adv: adv, ref: "v1",
			want: target{fetchRef: "refs/tags/v1", checkoutRef: "refs/tags/v1", commit: tagged}},
		{name: "a full reference name is that reference", adv: adv, ref: "refs/tags/v1",
			want: target{fetchRef: "refs/tags/v1", checkoutRef: "refs/tags/v1", commit: tagged}},
		{name: "a branch named like a SHA wins over the SHA", adv: adv, ref: "deadbeef",
			want: target{fetchRef: "refs/heads/deadbeef", checkoutRef: "refs/heads/deadbeef", commit: other}},
		{name: "a tip SHA fetches the first branch at that tip", adv: adv, ref: tip,
			want: target{fetchRef: "refs/heads/main", commit: tip}},
		{name: "an upper-case tip SHA of a tag fetches the tag", adv: adv, ref: "3333333333333333333333333333333333333ABC",
			want: target{fetchRef: "refs/tags/v1", commit: tagged}},
		{name: "a SHA below the tips is fetched alone when the server allows it", adv: withExactSHA, ref: "5555555555555555555555555555555555555555",
			want: target{commit: "5555555555555555555555555555555555555555", bySHA: true}},
		{name: "a SHA below the tips is looked up in the full history otherwise", adv: adv, ref: "5555555555555555555555555555555555555555",
			want: target{commit: "5555555555555555555555555555555555555555", prefix: "5555555555555555555555555555555555555555"}},
		{name: "an abbreviated SHA is looked up in the full history, in lower case", adv: withExactSHA, ref: "ABCDEF1",
			want: target{prefix: "abcdef1"}},
		{name: "three hex digits are too few", adv: adv, ref: "abc", wantErr: true},
		{name: "a name that is neither is not found", adv: adv, ref: "nope", wantErr: true},
		{name: "an empty ref is not found", adv: adv, ref: "", wantErr: true},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolveTarget(tt.adv, tt.ref)
			if (err != nil) != tt.wantErr {
				t.Fatalf("resolveTarget(%q) error = %v, want error %v", tt.ref, err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, errNotFound) {
					t.Errorf("error %v does not wrap errNotFound", err)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(target{})); diff != "" {
				t.Errorf("target (-want +got):\n%s", diff)
			}
		})
	}
}
