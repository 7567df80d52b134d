package reconciler_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/forge"
	"github.com/sluicehq/sluice/gitsync"
	"github.com/sluicehq/sluice/playground/forgeemu"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

const forgeToken = "ghp_emulat0r-t0ken"

// forgeRepo is the fleet repository on the forge emulator, which a user
// changes through pull requests, as on GitHub.
type forgeRepo struct {
	t      *testing.T
	srv    *forgeemu.Server
	user   *github.Client
	branch int
	// token is what Git and the REST API accept.
	token string
}

func newForgeRepo(t *testing.T) *forgeRepo { return newForgeRepoWithToken(t, forgeToken) }

// newForgeRepoWithToken is newForgeRepo accepting token.
func newForgeRepoWithToken(t *testing.T, token string) *forgeRepo {
	t.Helper()
	srv, err := forgeemu.New(forgeemu.Options{Dir: t.TempDir(), Owner: "shop", Repo: "fleet", Token: token})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	user := github.NewClient(nil).WithAuthToken(token)
	user.BaseURL, err = user.BaseURL.Parse(srv.APIURL())
	if err != nil {
		t.Fatal(err)
	}
	return &forgeRepo{t: t, srv: srv, user: user, token: token}
}

// push commits files straight onto main.
func (f *forgeRepo) push(msg string, files map[string]string) string {
	f.t.Helper()
	sha, err := f.srv.Commit(context.Background(), forgeemu.Change{Branch: "main", Message: msg, Write: files})
	if err != nil {
		f.t.Fatal(err)
	}
	return sha
}

// mergePR opens a pull request with files on a new branch and merges it,
// as a user does; it returns the merge commit.
func (f *forgeRepo) mergePR(title string, files map[string]string) string {
	f.t.Helper()
	f.branch++
	branch := "change-" + string(rune('a'+f.branch))
	if _, err := f.srv.Commit(context.Background(), forgeemu.Change{Branch: branch, From: "main", Message: title, Write: files}); err != nil {
		f.t.Fatal(err)
	}
	ctx := context.Background()
	pr, _, err := f.user.PullRequests.Create(ctx, "shop", "fleet", &github.NewPullRequest{Title: &title, Head: &branch, Base: github.String("main")})
	if err != nil {
		f.t.Fatal(err)
	}
	return f.merge(pr.GetNumber())
}

func (f *forgeRepo) merge(number int) string {
	f.t.Helper()
	res, _, err := f.user.PullRequests.Merge(context.Background(), "shop", "fleet", number, "", nil)
	if err != nil {
		f.t.Fatalf("merge #%d: %v", number, err)
	}
	return res.GetSHA()
}

// statuses are the commit statuses of sha in the context of the Canary
// detail, oldest first, as "state: description".
func (f *forgeRepo) statuses(ns, sha string) []string {
	f.t.Helper()
	list, _, err := f.user.Repositories.ListStatuses(context.Background(), "shop", "fleet", sha, &github.ListOptions{PerPage: 100})
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, st := range slices.Backward(list) {
		if st.GetContext() == reconciler.StatusContext(ns, "detail") {
			out = append(out, st.GetState()+": "+st.GetDescription())
		}
	}
	return out
}

// injected counts the requests the emulator failed on purpose.
func injected(srv *forgeemu.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Injected {
			n++
		}
	}
	return n
}

func (f *forgeRepo) pulls() []*github.PullRequest {
	f.t.Helper()
	list, _, err := f.user.PullRequests.List(context.Background(), "shop", "fleet", &github.PullRequestListOptions{State: "all"})
	if err != nil {
		f.t.Fatal(err)
	}
	return list
}

// forgeHarness is a sluice that reads Git from the emulator over smart
// HTTP with a token, and writes back to its REST API.
func forgeHarness(t *testing.T, repo *forgeRepo, ns string, logs *logLines, mutate ...func(*reconciler.Options)) *harness {
	t.Helper()
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(repo.token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	source, err := gitsync.New(gitsync.Options{URL: repo.srv.GitURL(), Branch: "main", Dir: t.TempDir(),
		Auth: gitsync.Auth{Password: gitsync.Secret{File: tokenFile}}})
	if err != nil {
		t.Fatal(err)
	}
	gh, err := forge.NewGitHub(forge.GitHubOptions{APIURL: repo.srv.APIURL(), Owner: "shop", Repo: "fleet", Token: repo.token,
		Backoff: func(int) time.Duration { return 10 * time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	return newHarness(t, newGitRepo(t), ns, nil).withSource(source, func(o *reconciler.Options) {
		o.PrometheusURL = playgroundtest.Playground().Prometheus.URL
		o.Forge = gh
		o.Log = slog.New(slog.NewJSONHandler(logs, nil))
		for _, m := range mutate {
			m(o)
		}
	})
}

func seedFiles(t *testing.T, tag string) map[string]string {
	return map[string]string{
		"kustomization.yaml":     "resources: [detail/deployment.yaml, detail/canary.yaml, frontend/config.yaml]\n",
		"detail/deployment.yaml": deploymentYAML(tag),
		"detail/canary.yaml":     seedCanaryYAML(acceptanceTest(t)),
		"frontend/config.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: frontend}\ndata: {replicas: \"2\"}\n",
	}
}

func TestTheSeedWriteBackStatusesARevertPullRequestAndItsMerge(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	exporter := startRequestsExporter(t, ns, "detail")
	repo := newForgeRepo(t)
	first := repo.push("detail 1.0", seedFiles(t, "1.0"))
	var logs logLines
	h := forgeHarness(t, repo, ns, &logs)
	h.settle()
	if got := repo.statuses(ns, first); len(got) != 1 || !strings.HasPrefix(got[0], "success: installed as detail-primary."+ns) {
		t.Errorf("statuses of the first commit = %q, want one success for the install", got)
	}

	// 1. A user merges a PR that changes the image tag to 2.0, then reads
	// the status check on the merge commit.
	merged2 := repo.mergePR("detail 2.0", map[string]string{"detail/deployment.yaml": deploymentYAML("2.0")})
	h.rollUntil("promotion of 2.0", phaseIs(v1alpha1.PhaseSucceeded))
	want := []string{
		"pending: revision ",
		"pending: canary starting — step 0/3",
		"pending: canary weight 5% — step 1/3",
		"pending: canary weight 10% — step 2/3",
		"pending: canary weight 15% — step 3/3",
		"pending: promoting: copying the canary to detail-primary." + ns,
		"success: promoted to detail-primary." + ns,
	}
	got := repo.statuses(ns, merged2)
	t.Logf("statuses of the 2.0 merge commit:\n%s", strings.Join(got, "\n"))
	assertStatusPrefixes(t, want, got)

	// 2. 3.0 fails at weight 5 while the forge answers 500 three times to
	// the failure status: nothing is lost. Meanwhile another app changes.
	merged3 := repo.mergePR("detail 3.0", map[string]string{"detail/deployment.yaml": deploymentYAML("3.0")})
	h.rollUntil("weight 5 for 3.0", func(st v1alpha1.CanaryStatus) bool { return st.CanaryWeight == 5 })
	repo.push("frontend: 3 replicas", map[string]string{"frontend/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: frontend}\ndata: {replicas: \"3\"}\n"})
	repo.srv.FailNext("POST", "/repos/shop/fleet/statuses/", 3, 500)
	exporter.setSuccessRate(0.2)
	st := h.rollUntil("a revert pull request", func(st v1alpha1.CanaryStatus) bool { return st.RevertPullRequest != 0 })
	if st.Phase != v1alpha1.PhaseFailed {
		t.Fatalf("phase %s with a revert pull request, want Failed", st.Phase)
	}
	if n := injected(repo.srv); n != 3 {
		t.Errorf("the forge answered %d injected 500s, want 3: the test did not exercise the retries", n)
	}
	statuses3 := repo.statuses(ns, merged3)
	t.Logf("statuses of the 3.0 merge commit:\n%s", strings.Join(statuses3, "\n"))
	if last := statuses3[len(statuses3)-1]; !strings.HasPrefix(last, "failure: success rate ") || !strings.HasSuffix(last, "% < 99% — rolled back") {
		t.Errorf("last status of the failed commit = %q, want the failure with its success rate", last)
	}

	// The revert pull request: its diff undoes exactly 2.0 → 3.0 in the
	// detail app; the frontend change made since is left alone.
	pr, _, err := repo.user.PullRequests.Get(context.Background(), "shop", "fleet", st.RevertPullRequest)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("revert pull request #%d %q\n%s", pr.GetNumber(), pr.GetTitle(), pr.GetBody())
	if pr.GetHead().GetRef() != "sluice/revert-detail-"+merged3[:7] || pr.GetBase().GetRef() != "main" {
		t.Errorf("revert pull request %s → %s, want sluice/revert-detail-%s → main", pr.GetHead().GetRef(), pr.GetBase().GetRef(), merged3[:7])
	}
	if body := pr.GetBody(); !strings.Contains(body, "success rate") || !strings.Contains(body, "detail/deployment.yaml") || strings.Contains(body, forgeToken) {
		t.Errorf("revert pull request body lacks the reason or the file (or shows the token):\n%s", body)
	}
	files, _, err := repo.user.PullRequests.ListFiles(context.Background(), "shop", "fleet", pr.GetNumber(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].GetFilename() != "detail/deployment.yaml" {
		t.Fatalf("revert pull request changes %d files (%v), want detail/deployment.yaml only", len(files), files)
	}
	patch := files[0].GetPatch()
	if !strings.Contains(patch, "-        image: public.ecr.aws/u2g6w7p2/eks-workshop-demo/detail:3.0") ||
		!strings.Contains(patch, "+        image: public.ecr.aws/u2g6w7p2/eks-workshop-demo/detail:2.0") ||
		files[0].GetAdditions() != 1 || files[0].GetDeletions() != 1 {
		t.Errorf("revert patch is not exactly the image line back to 2.0:\n%s", patch)
	}

	// A restarted sluice re-syncs the failure and opens nothing more.
	restarted := forgeHarness(t, repo, ns, &logs)
	restarted.mustSync()
	restarted.mustSync()
	if n := len(repo.pulls()); n != 3 { // the two merged by the user and the revert
		t.Errorf("%d pull requests after a restart, want 3: the revert is not opened twice", n)
	}

	// 3. The user merges the revert: Git says 2.0 again, which is what
	// runs; nothing rolls out and the merge commit gets a success.
	exporter.setSuccessRate(1)
	revertMerge := repo.merge(pr.GetNumber())
	before := len(logs.messages(t))
	restarted.settle()
	restarted.mustSync()
	after := restarted.canary().Status
	for _, msg := range logs.messages(t)[before:] {
		if strings.HasPrefix(msg, "New revision detected!") {
			t.Errorf("the merged revert started a rollout: %q", msg)
		}
	}
	if got := repo.statuses(ns, revertMerge); len(got) != 1 || !strings.HasPrefix(got[0], "success: primary already runs this revision") {
		t.Errorf("statuses of the revert's merge commit = %q, want one success", got)
	}
	if after.RevertPullRequest != 0 || after.LastAppliedCommit != revertMerge {
		t.Errorf("status after the merged revert: revertPullRequest %d, lastAppliedCommit %s; want 0 and %s", after.RevertPullRequest, after.LastAppliedCommit, revertMerge)
	}
	canary := restarted.deployment("detail")
	if img := canary.Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, ":2.0") || *canary.Spec.Replicas != 0 {
		t.Errorf("canary runs %s with %d replicas after the revert, want 2.0 at zero", img, *canary.Spec.Replicas)
	}
}

// assertStatusPrefixes checks each status starts with the wanted text.
func assertStatusPrefixes(t *testing.T, want, got []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d statuses, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
		return
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("status %d = %q, want it to start with %q", i, got[i], want[i])
		}
	}
}

func TestARetryByAnnotationClosesTheOpenRevertAndPromotes(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	exporter := startRequestsExporter(t, ns, "detail")
	repo := newForgeRepo(t)
	repo.push("detail 1.0", seedFiles(t, "1.0"))
	var logs logLines
	h := forgeHarness(t, repo, ns, &logs)
	h.settle()

	failed := repo.push("detail 2.0", map[string]string{"detail/deployment.yaml": deploymentYAML("2.0")})
	h.rollUntil("weight 5", func(st v1alpha1.CanaryStatus) bool { return st.CanaryWeight == 5 })
	// The forge is down for five calls of five tries: the failure status
	// waits in the Canary's status and is written once it is back.
	repo.srv.FailNext("POST", "/repos/shop/fleet/statuses/", 25, 503)
	exporter.setSuccessRate(0.2)
	st := h.rollUntil("the failure", phaseIs(v1alpha1.PhaseFailed))
	if n := len(st.UndeliveredStatuses); n == 0 || st.UndeliveredStatuses[n-1].State != "failure" {
		t.Errorf("undelivered statuses while the forge is down = %+v, want the failure last", st.UndeliveredStatuses)
	}
	failedPR := h.rollUntil("a revert pull request and every status delivered", func(st v1alpha1.CanaryStatus) bool {
		return st.RevertPullRequest != 0 && len(st.UndeliveredStatuses) == 0
	}).RevertPullRequest
	got := repo.statuses(ns, failed)
	if last := got[len(got)-1]; !strings.HasPrefix(last, "failure: success rate ") || !strings.HasSuffix(last, " — rolled back") {
		t.Errorf("statuses of the failed commit once the forge is back:\n%s\nwant the failure last", strings.Join(got, "\n"))
	}

	// The fix is outside Git (here: the metrics recover, once the failures
	// left the check's 10s window); the retry is a new revision, an
	// annotation in the pod template.
	exporter.setSuccessRate(1)
	time.Sleep(12 * time.Second)
	retried := strings.Replace(deploymentYAML("2.0"), "    metadata: {labels: {app: detail}}", "    metadata: {labels: {app: detail}, annotations: {sluice.dev/retry: \"1\"}}", 1)
	retry := repo.push("detail 2.0: retry", map[string]string{"detail/deployment.yaml": retried})
	st = h.rollUntil("promotion of the retry", phaseIs(v1alpha1.PhaseSucceeded))

	if st.RevertPullRequest != 0 {
		t.Errorf("status still names revert pull request #%d", st.RevertPullRequest)
	}
	pr, _, err := repo.user.PullRequests.Get(context.Background(), "shop", "fleet", failedPR)
	if err != nil {
		t.Fatal(err)
	}
	if pr.GetState() != "closed" || pr.GetMerged() {
		t.Errorf("the superseded revert is %s (merged %v), want closed unmerged", pr.GetState(), pr.GetMerged())
	}
	comments, _, err := repo.user.Issues.ListComments(context.Background(), "shop", "fleet", failedPR, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(comments) != 1 || !strings.Contains(comments[0].GetBody(), "Superseded by commit "+retry) {
		t.Errorf("comments on the superseded revert = %v, want one naming commit %s", comments, retry)
	}
	if got := repo.statuses(ns, retry); len(got) == 0 || !strings.HasPrefix(got[len(got)-1], "success: promoted") {
		t.Errorf("statuses of the retry = %q, want a final success", got)
	}
}

func TestARevertThatConflictsOpensNoPullRequestAndSaysWhy(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	h, repo, failed := failWithTheImageLineChangedSince(t, ns, nil)

	if n := len(repo.pulls()); n != 0 {
		t.Errorf("%d pull requests opened for a revert that conflicts, want none", n)
	}
	var cond *metav1.Condition
	for _, c := range h.canary().Status.Conditions {
		if c.Type == "RevertPullRequest" {
			cond = &c
		}
	}
	if cond == nil || cond.Status != metav1.ConditionFalse || cond.Reason != "Conflict" || !strings.Contains(cond.Message, failed) || !strings.Contains(cond.Message, "detail/deployment.yaml") {
		t.Errorf("RevertPullRequest condition = %+v, want False/Conflict naming %s and detail/deployment.yaml", cond, failed)
	}
	warned := 0
	for _, msg := range h.canaryEvents() {
		if strings.HasPrefix(msg, "No revert pull request for detail."+ns+": revert of "+failed+" not opened") {
			warned++
		}
	}
	if warned != 1 {
		t.Errorf("%d Warning events about the conflicting revert after two more syncs, want exactly 1: %q", warned, h.canaryEvents())
	}
}

func TestARevertThatPartlyConflictsOpensAPullRequestThatSaysWhatItLeft(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	// The failed commit also notes an owner in the Canary's file: that
	// part reverts cleanly.
	h, repo, _ := failWithTheImageLineChangedSince(t, ns, map[string]string{"detail/canary.yaml": "# owner: team-a\n" + seedCanaryYAML(acceptanceTest(t))})

	number := h.canary().Status.RevertPullRequest
	if number == 0 {
		t.Fatalf("no revert pull request; status %+v", h.canary().Status)
	}
	files, _, err := repo.user.PullRequests.ListFiles(context.Background(), "shop", "fleet", number, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].GetFilename() != "detail/canary.yaml" || !strings.Contains(files[0].GetPatch(), "-# owner: team-a") {
		t.Errorf("revert pull request files = %v, want the owner line out of detail/canary.yaml only", files)
	}
	pr, _, err := repo.user.PullRequests.Get(context.Background(), "shop", "fleet", number)
	if err != nil {
		t.Fatal(err)
	}
	if body := pr.GetBody(); !strings.Contains(body, "**Not reverted:**") || !strings.Contains(body, "`detail/deployment.yaml line 12`: the branch changed the same lines since") {
		t.Errorf("the body does not say which file was left:\n%s", body)
	}
}

// failWithTheImageLineChangedSince rolls detail 2.0 (with also) out and
// fails it, after the line of its image changed on main in a way that
// renders the same. It returns the harness after two more syncs, the
// repository and the failed commit.
func failWithTheImageLineChangedSince(t *testing.T, ns string, also map[string]string) (*harness, *forgeRepo, string) {
	t.Helper()
	exporter := startRequestsExporter(t, ns, "detail")
	repo := newForgeRepo(t)
	repo.push("detail 1.0", seedFiles(t, "1.0"))
	var logs logLines
	h := forgeHarness(t, repo, ns, &logs)
	h.settle()

	release := func(comment string) string {
		return strings.Replace(deploymentYAML("2.0"), "detail:2.0\n", "detail:2.0 # "+comment+"\n", 1)
	}
	change := map[string]string{"detail/deployment.yaml": release("release 2.0")}
	for name, content := range also {
		change[name] = content
	}
	failed := repo.push("detail 2.0", change)
	h.rollUntil("weight 5", func(st v1alpha1.CanaryStatus) bool { return st.CanaryWeight == 5 })
	// The same line changes on main, in a way that renders the same: no
	// new revision, but that line can no longer be reverted.
	repo.push("detail 2.0: note", map[string]string{"detail/deployment.yaml": release("release 2.0, tested by QA")})
	h.mustSync()
	exporter.setSuccessRate(0.2)
	h.rollUntil("the failure", phaseIs(v1alpha1.PhaseFailed))
	h.mustSync()
	h.mustSync()
	return h, repo, failed
}

// Regression: a revoked token made sluice retry write-back at every sync,
// forever, with nothing on the Canary to say why.
func TestARefusedTokenHoldsWriteBackWithABackoffAndSaysSo(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	repo := newForgeRepo(t)
	repo.push("detail 1.0", seedFiles(t, "1.0"))
	var logs logLines
	h := forgeHarness(t, repo, ns, &logs, func(o *reconciler.Options) {
		o.ForgeRetryAfter = func(int) time.Duration { return 3 * time.Second }
	})
	h.settle()

	repo.srv.FailNext("POST", "/repos/shop/fleet/statuses/", 1, 401)
	commit := repo.push("detail 2.0", map[string]string{"detail/deployment.yaml": deploymentYAML("2.0")})
	before := len(repo.srv.Requests())
	refusedAt := time.Now()
	for range 5 {
		h.mustSync()
	}
	statusPosts := 0
	for _, r := range repo.srv.Requests()[before:] {
		if r.Method == "POST" && strings.HasPrefix(r.Path, "/repos/shop/fleet/statuses/") {
			statusPosts++
		}
	}
	if time.Since(refusedAt) < 3*time.Second && statusPosts != 1 {
		t.Errorf("%d commit statuses posted during the backoff after a 401, want 1 (the refused one)", statusPosts)
	}
	var cond *metav1.Condition
	for _, c := range h.canary().Status.Conditions {
		if c.Type == "Forge" {
			cond = &c
		}
	}
	if cond == nil || cond.Status != metav1.ConditionFalse || cond.Reason != "Refused" || !strings.Contains(cond.Message, "HTTP 401") {
		t.Errorf("Forge condition = %+v, want False/Refused naming HTTP 401", cond)
	}
	if n := len(h.canary().Status.UndeliveredStatuses); n == 0 {
		t.Error("no status waits while the forge refuses the token")
	}

	// Once the backoff has passed, the statuses go out, in order, and the
	// Forge condition turns True (at the sync that delivers them, or the
	// next one: the condition is written with the sync's status, which
	// a step's delivery can follow).
	time.Sleep(time.Until(refusedAt.Add(3 * time.Second)))
	deadline := time.Now().Add(15 * time.Second)
	forgeTrue := func(st v1alpha1.CanaryStatus) bool {
		return slices.ContainsFunc(st.Conditions, func(c metav1.Condition) bool { return c.Type == "Forge" && c.Status == metav1.ConditionTrue })
	}
	for h.mustSync(); (len(h.canary().Status.UndeliveredStatuses) != 0 || !forgeTrue(h.canary().Status)) && time.Now().Before(deadline); h.mustSync() {
		time.Sleep(200 * time.Millisecond)
	}
	st := h.canary().Status
	if len(st.UndeliveredStatuses) != 0 || !forgeTrue(st) {
		t.Errorf("after the backoff: undelivered %v, conditions %+v; want none and Forge True", st.UndeliveredStatuses, st.Conditions)
	}
	if got := repo.statuses(ns, commit); len(got) == 0 || !strings.HasPrefix(got[0], "pending: revision ") {
		t.Errorf("statuses of the 2.0 commit = %q, want the pending detection first", got)
	}
}
