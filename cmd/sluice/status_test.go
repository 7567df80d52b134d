package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/planner"
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
