package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/planner"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// failedCanary is the seed's detail after 3.0 failed at weight 5, with its
// revert pull request open and the failure status not delivered yet.
func failedCanary(now time.Time) *v1alpha1.Canary {
	c := &v1alpha1.Canary{ObjectMeta: metav1.ObjectMeta{Namespace: "flagger", Name: "detail"}}
	c.Spec.TargetRef = v1alpha1.TargetRef{Kind: "Deployment", Name: "detail"}
	c.Default()
	c.Status = v1alpha1.CanaryStatus{
		Phase: v1alpha1.PhaseFailed, FailedChecks: 1, LastTransitionTime: &metav1.Time{Time: now.Add(-90 * time.Second)},
		LastAppliedRevision: "0923d51aaaa", LastAppliedCommit: "9c73dc3bbbb",
		LastPromotedRevision: "e4b1825cccc", LastPromotedCommit: "0efcd88dddd",
		LastFailedRevision: "0923d51aaaa", LastFailedCommit: "9c73dc3bbbb", FailedWeight: 5,
		FailureReason: "success rate 46.85% < 99%", RevertPullRequest: 3,
		UndeliveredStatuses: []v1alpha1.CommitStatusRecord{{Commit: "9c73dc3bbbb", State: "failure"}},
		Conditions:          []metav1.Condition{{Type: "RevertPullRequest", Status: metav1.ConditionTrue, Reason: "Opened", Message: "Revert pull request #3 opened"}},
	}
	return c
}

func TestStatusShowsAFailedCanaryWithItsRevertAndWhatIsUndelivered(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	events := []corev1.Event{
		{Type: "Warning", Message: "Halt detail.flagger advancement success rate 46.85% < 99%", LastTimestamp: metav1.Time{Time: now.Add(-95 * time.Second)}},
		{Type: "Warning", Message: "Canary failed! Scaling down detail.flagger", LastTimestamp: metav1.Time{Time: now.Add(-3 * time.Minute / 2)}},
	}
	var out bytes.Buffer
	if err := printCanary(&out, failedCanary(now), events, now); err != nil {
		t.Fatal(err)
	}
	want := `Canary                flagger/detail (target Deployment detail, provider gatewayapi)
Phase                 Failed, since 90s ago
Canary weight         0%
Failed checks         1 of 1 (threshold)
Primary runs          revision e4b1825 from commit 0efcd88
Last failed           revision 0923d51 from commit 9c73dc3 at weight 5%: success rate 46.85% < 99%
Revert pull request   #3 (open)
Undelivered statuses  1, oldest: failure on 9c73dc3

Conditions:
  RevertPullRequest=True  Opened  Revert pull request #3 opened

Events:
  95s ago  Warning  Halt detail.flagger advancement success rate 46.85% < 99%
  90s ago  Warning  Canary failed! Scaling down detail.flagger
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("status detail (-want +got):\n%s", diff)
	}

	out.Reset()
	if err := printCanaries(&out, []v1alpha1.Canary{*failedCanary(now)}, now); err != nil {
		t.Fatal(err)
	}
	want = `NAMESPACE  NAME    PHASE   WEIGHT  FAILED CHECKS  PRIMARY COMMIT  SINCE    STATE
flagger    detail  Failed  0%      1/1            0efcd88         90s ago  rolled back 9c73dc3: success rate 46.85% < 99%; revert #3 open
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("status list (-want +got):\n%s", diff)
	}
}

func TestStatusListSaysWhoPausedARollout(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	c := failedCanary(now)
	c.Status.Phase, c.Status.CanaryWeight, c.Status.FailedChecks = v1alpha1.PhaseProgressing, 10, 0
	c.Status.Conditions = []metav1.Condition{{Type: planner.ConditionPaused, Status: metav1.ConditionTrue, Reason: "Paused",
		Message: "paused by alice: no rollout step until sluice resume."}}
	var out bytes.Buffer
	if err := printCanaries(&out, []v1alpha1.Canary{*c}, now); err != nil {
		t.Fatal(err)
	}
	want := `NAMESPACE  NAME    PHASE        WEIGHT  FAILED CHECKS  PRIMARY COMMIT  SINCE    STATE
flagger    detail  Progressing  10%     0/1            0efcd88         90s ago  rolling out 9c73dc3, paused by alice: no rollout step until sluice resume
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("status list (-want +got):\n%s", diff)
	}
}

func TestStatusWatchPrintsAgainOnlyWhenACanaryChanged(t *testing.T) {
	now := time.Now()
	progressing := func(weight int32) statusView {
		c := failedCanary(now)
		c.Status.Phase, c.Status.CanaryWeight = v1alpha1.PhaseProgressing, weight
		return statusView{list: []v1alpha1.Canary{*c}}
	}
	// The second look finds the same Canary (only its age grew), the third
	// a new weight; the watch then ends.
	looks := []statusView{progressing(5), progressing(5), progressing(10)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fetch := func(context.Context) (statusView, error) {
		if len(looks) == 0 {
			cancel()
			return statusView{}, ctx.Err()
		}
		view := looks[0]
		looks = looks[1:]
		return view, nil
	}
	var out, errOut bytes.Buffer
	if err := watchStatus(ctx, &out, &errOut, fetch, "", time.Millisecond, false); err != nil {
		t.Fatal(err)
	}
	tables := strings.Split(strings.TrimSpace(out.String()), "\n\n")
	if len(tables) != 2 || !strings.Contains(tables[0], " 5% ") || !strings.Contains(tables[1], " 10% ") {
		t.Errorf("watch printed %d tables, want the one at 5%% and the one at 10%%:\n%s", len(tables), out.String())
	}
	if errOut.Len() > 0 {
		t.Errorf("watch reported errors: %s", errOut.String())
	}
}

func TestStatusWatchOutlivesAFailedLook(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	looks := 0
	fetch := func(context.Context) (statusView, error) {
		looks++
		switch looks {
		case 1:
			return statusView{}, errors.New("list canaries: connection refused")
		case 2:
			return statusView{list: []v1alpha1.Canary{*failedCanary(time.Now())}}, nil
		}
		cancel()
		return statusView{}, ctx.Err()
	}
	var out, errOut bytes.Buffer
	if err := watchStatus(ctx, &out, &errOut, fetch, "json", time.Millisecond, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "connection refused") {
		t.Errorf("the failed look was not reported: %q", errOut.String())
	}
	var list v1alpha1.CanaryList
	if err := json.Unmarshal(out.Bytes(), &list); err != nil || len(list.Items) != 1 {
		t.Errorf("after the failed look the watch printed %q (%v), want the CanaryList", out.String(), err)
	}
}

func TestStatusPrintsCanariesAsJSONAndYAMLObjects(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) // metav1.Time keeps whole seconds
	for _, format := range []string{"json", "yaml"} {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			if err := (statusView{list: []v1alpha1.Canary{*failedCanary(now)}}).print(&out, format, now); err != nil {
				t.Fatal(err)
			}
			var list v1alpha1.CanaryList
			if err := yaml.UnmarshalStrict(out.Bytes(), &list); err != nil { // JSON is YAML
				t.Fatalf("%s output does not decode: %v\n%s", format, err, out.String())
			}
			if list.Kind != "CanaryList" || list.APIVersion != "sluice.dev/v1alpha1" || len(list.Items) != 1 ||
				list.Items[0].Kind != "Canary" || list.Items[0].Status.FailureReason != "success rate 46.85% < 99%" {
				t.Errorf("list as %s: %+v", format, list)
			}
			if format == "json" && !json.Valid(out.Bytes()) {
				t.Errorf("not JSON: %s", out.String())
			}

			out.Reset()
			if err := (statusView{canary: failedCanary(now)}).print(&out, format, now); err != nil {
				t.Fatal(err)
			}
			var canary v1alpha1.Canary
			if err := yaml.UnmarshalStrict(out.Bytes(), &canary); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(failedCanary(now).Status, canary.Status); diff != "" || canary.Kind != "Canary" {
				t.Errorf("canary as %s, kind %q (-want +got status):\n%s", format, canary.Kind, diff)
			}
		})
	}
}

// Regression: events of the same second were listed in the order of their
// random names, "Canary failed!" before the "Halt" that caused it.
func TestStatusOrdersEventsOfTheSameSecondAsTheyWereStored(t *testing.T) {
	second := metav1.NewTime(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	events := []corev1.Event{
		{ObjectMeta: metav1.ObjectMeta{Name: "detail.aaaa", ResourceVersion: "1203"}, Message: "Canary failed! Scaling down detail.flagger", LastTimestamp: second},
		{ObjectMeta: metav1.ObjectMeta{Name: "detail.zzzz", ResourceVersion: "1189"}, Message: "Halt detail.flagger advancement success rate 46.85% < 99%", LastTimestamp: second},
		{ObjectMeta: metav1.ObjectMeta{Name: "detail.mmmm", ResourceVersion: "1195"}, Message: "Rolling back detail.flagger failed checks threshold reached 1", LastTimestamp: second},
		{ObjectMeta: metav1.ObjectMeta{Name: "detail.bbbb", ResourceVersion: "1100"}, Message: "Advance detail.flagger canary weight 5", LastTimestamp: metav1.NewTime(second.Add(-time.Minute))},
	}
	sortEvents(events)
	var got []string
	for _, e := range events {
		got = append(got, e.Message)
	}
	want := []string{
		"Advance detail.flagger canary weight 5",
		"Halt detail.flagger advancement success rate 46.85% < 99%",
		"Rolling back detail.flagger failed checks threshold reached 1",
		"Canary failed! Scaling down detail.flagger",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestStatusWatchFollowsACanaryOnTheAPIServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ns := playgroundtest.Namespace(t)
	config, err := clientcmd.BuildConfigFromFlags("", playgroundtest.Kubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(config, client.Options{Scheme: reconciler.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	if err := reconciler.EnsureCRD(ctx, c); err != nil {
		t.Fatal(err)
	}
	canary := &v1alpha1.Canary{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "detail"}}
	canary.Spec.TargetRef = v1alpha1.TargetRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "detail"}
	canary.Spec.Service.Port = 3000
	if err := c.Create(ctx, canary); err != nil {
		t.Fatal(err)
	}
	setStatus := func(phase v1alpha1.CanaryPhase, weight int32) {
		t.Helper()
		canary.Status.Phase, canary.Status.CanaryWeight = phase, weight
		if err := c.Status().Update(ctx, canary); err != nil {
			t.Fatal(err)
		}
	}
	setStatus(v1alpha1.PhaseProgressing, 5)

	var out syncBuffer
	watchCtx, stopWatch := context.WithCancel(ctx)
	watched := make(chan error, 1)
	go func() {
		cmd := newRootCommand()
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs([]string{"status", "detail", "--watch", "-o", "json", "--interval", "100ms", "--kubeconfig", playgroundtest.Kubeconfig(), "-n", ns})
		watched <- cmd.ExecuteContext(watchCtx)
	}()
	weights := func() []int32 {
		var got []int32
		dec := json.NewDecoder(strings.NewReader(out.String()))
		for {
			var c v1alpha1.Canary
			if dec.Decode(&c) != nil {
				return got
			}
			got = append(got, c.Status.CanaryWeight)
		}
	}
	waitFor := func(n int) {
		t.Helper()
		for len(weights()) < n && ctx.Err() == nil {
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor(1)
	time.Sleep(500 * time.Millisecond) // five looks at an unchanged Canary print nothing
	setStatus(v1alpha1.PhaseProgressing, 10)
	waitFor(2)
	stopWatch()
	if err := <-watched; err != nil {
		t.Errorf("status --watch ended with %v", err)
	}
	if diff := cmp.Diff([]int32{5, 10}, weights()); diff != "" {
		t.Errorf("weights printed by status --watch -o json (-want +got):\n%s\noutput:\n%s", diff, out.String())
	}
}

// syncBuffer is a bytes.Buffer that a command writes while a test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
