package planner

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// now is the time of every decision in the table tests.
var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// at is now+d as a status time.
func at(d time.Duration) *metav1.Time {
	t := metav1.NewTime(now.Add(d))
	return &t
}

// initialized is a Canary whose primary runs rev1.
func initialized() v1alpha1.CanaryStatus {
	return v1alpha1.CanaryStatus{
		Phase: v1alpha1.PhaseInitialized, LastTransitionTime: at(-time.Hour),
		LastAppliedRevision: "rev1aaaaaa", LastAppliedCommit: "c1c1c1c1c1", LastAppliedCommitShort: "c1c1c1c",
		LastPromotedRevision: "rev1aaaaaa", LastPromotedCommit: "c1c1c1c1c1",
	}
}

// progressing is the analysis of rev2 at weight after iterations steps, the
// last one a minute ago: the next is due now.
func progressing(weight, iterations int32) v1alpha1.CanaryStatus {
	st := initialized()
	st.Phase, st.LastTransitionTime = v1alpha1.PhaseProgressing, at(-10*time.Minute)
	st.LastAppliedRevision, st.LastAppliedCommit, st.LastAppliedCommitShort = "rev2bbbbbb", "c2c2c2c2c2", "c2c2c2c"
	st.CanaryWeight, st.Iterations, st.LastStepTime = weight, iterations, at(-time.Minute)
	return st
}

// in is a status in another phase.
func in(phase v1alpha1.CanaryPhase, st v1alpha1.CanaryStatus) v1alpha1.CanaryStatus {
	st.Phase = phase
	return st
}

// moved records a phase change made now.
func moved(st *v1alpha1.CanaryStatus, phase v1alpha1.CanaryPhase) {
	st.Phase, st.LastTransitionTime = phase, at(0)
}

// applied records rev on the canary.
func applied(st *v1alpha1.CanaryStatus, revision, commit string) {
	st.LastAppliedRevision, st.LastAppliedCommit, st.LastAppliedCommitShort = revision, commit, short(commit)
}

// failed is the status a rollback of rev2 leaves.
func failed(st *v1alpha1.CanaryStatus) {
	moved(st, v1alpha1.PhaseFailed)
	st.CanaryWeight, st.LastFailedRevision, st.LastStepTime, st.NotReadySince = 0, "rev2bbbbbb", nil, nil
	st.LastFailedCommit = st.LastAppliedCommit
}

// observe is the seed Canary with st, Git asking for rev2, everything
// ready and the route as the status says.
func observe(st v1alpha1.CanaryStatus, edits ...func(*RolloutObservation)) RolloutObservation {
	obs := RolloutObservation{
		Name: "detail", Namespace: "flagger", Spec: seedSpec(), Status: st,
		Revision: "rev2bbbbbb", Commit: "c2c2c2c2c2", CanaryReady: true, PrimaryReady: true,
		Weights: &Weights{Primary: 100 - st.CanaryWeight, Canary: st.CanaryWeight}, Now: now,
	}
	for _, edit := range edits {
		edit(&obs)
	}
	return obs
}

// The edits of an observation.
func revision(rev, commit string) func(*RolloutObservation) {
	return func(obs *RolloutObservation) { obs.Revision, obs.Commit = rev, commit }
}

func withSpec(edit func(*v1alpha1.CanarySpec)) func(*RolloutObservation) {
	return func(obs *RolloutObservation) { edit(&obs.Spec) }
}

func withHook(name, kind string) func(*RolloutObservation) {
	return func(obs *RolloutObservation) {
		obs.Spec.Analysis.Webhooks = append(obs.Spec.Analysis.Webhooks, v1alpha1.CanaryWebhook{Name: name, Type: kind, URL: "http://loadtester/"})
	}
}

func withThreshold(n int32) func(*RolloutObservation) {
	return withSpec(func(s *v1alpha1.CanarySpec) { s.Analysis.Threshold = n })
}

// checked sets the results of the checks, as given.
func checked(results ...any) func(*RolloutObservation) {
	return func(obs *RolloutObservation) {
		obs.Checks = &StepChecks{}
		for _, res := range results {
			switch res := res.(type) {
			case MetricVerdict:
				obs.Checks.Metrics = append(obs.Checks.Metrics, res)
			case WebhookResult:
				obs.Checks.Webhooks = append(obs.Checks.Webhooks, res)
			}
		}
	}
}

// stepChecked is a step whose rollout webhook and metrics all passed but
// for results, which come first and so win over the passing ones.
func stepChecked(results ...any) func(*RolloutObservation) {
	return checked(append(results, loadTest(true, ""), metric(v1alpha1.MetricRequestSuccessRate, VerdictPass, ""), metric(v1alpha1.MetricRequestDuration, VerdictPass, ""))...)
}

func metric(name string, verdict Verdict, message string) MetricVerdict {
	return MetricVerdict{Name: name, Verdict: verdict, Message: message}
}

func webhook(name, kind string, passed bool, message string) WebhookResult {
	return WebhookResult{Name: name, Type: kind, Passed: passed, Message: message}
}

func loadTest(passed bool, message string) WebhookResult {
	return webhook("load-test", v1alpha1.WebhookRollout, passed, message)
}

func acceptanceTest(passed bool, message string) WebhookResult {
	return webhook("acceptance-test", v1alpha1.WebhookPreRollout, passed, message)
}

func canaryNotReady(obs *RolloutObservation) {
	obs.CanaryReady, obs.CanaryNotReady = false, "detail.flagger not ready: waiting for rollout to finish: 1 of 2 updated replicas are available"
}

func primaryNotReady(obs *RolloutObservation) {
	obs.PrimaryReady, obs.PrimaryNotReady = false, "detail-primary.flagger not ready: waiting for rollout to finish: 1 of 2 updated replicas are available"
}

func normal(text string) Message  { return Message{Text: text} }
func warning(text string) Message { return Message{Warning: true, Text: text} }

func info(text string) Message { return Message{Text: text} }

// decided is what a table case expects of a decision, the commit statuses
// and conditions aside (TestDecideRolloutCommitStatuses and
// TestDecideRolloutKeepsThePromotedCondition check them).
type decided struct {
	actions  []Action
	messages []Message
	// status edits the observed status into the wanted one; nil wants it
	// unchanged.
	status  func(*v1alpha1.CanaryStatus)
	requeue time.Duration
}

type rolloutCase struct {
	name string
	obs  RolloutObservation
	want decided
}

func runRolloutCases(t *testing.T, tests []rolloutCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := RolloutDecision{Actions: tt.want.actions, Messages: tt.want.messages, RequeueAfter: tt.want.requeue, Status: *tt.obs.Status.DeepCopy()}
			if tt.want.status != nil {
				tt.want.status(&want.Status)
			}
			got := DecideRollout(tt.obs)
			if statuses := got.CommitStatuses; len(statuses) > 0 && statuses[len(statuses)-1].State == CommitFailure {
				// The reason a rollback records is the one its failure
				// status tells the forge (each case's is in
				// TestDecideRolloutCommitStatuses).
				if desc := statuses[len(statuses)-1].Description; got.Status.FailureReason+" — rolled back" != desc {
					t.Errorf("failureReason %q, want the failure status's description %q without \" — rolled back\"", got.Status.FailureReason, desc)
				}
				if got.Status.FailedWeight != tt.obs.Status.CanaryWeight {
					t.Errorf("failedWeight %d, want the weight the rollout failed at, %d", got.Status.FailedWeight, tt.obs.Status.CanaryWeight)
				}
				want.Status.FailureReason, want.Status.FailedWeight = got.Status.FailureReason, got.Status.FailedWeight
				// A rollback records the failure on the primary before it
				// acts (intent first), with that same reason.
				record := RecordFailure{Revision: tt.obs.Status.LastAppliedRevision, Commit: tt.obs.Status.LastAppliedCommit, Reason: got.Status.FailureReason}
				want.Actions = append([]Action{record}, want.Actions...)
			}
			opts := cmp.Options{
				cmpopts.IgnoreFields(RolloutDecision{}, "CommitStatuses"),
				cmpopts.IgnoreFields(RolloutDecision{}, "RequestHandled"), // TestDecideRolloutSaysWhenARequestIsHandled
				cmpopts.IgnoreFields(Message{}, "Alert"),                  // TestMilestonesAreAlerts
				cmpopts.IgnoreFields(v1alpha1.CanaryStatus{}, "Conditions"),
				cmpopts.IgnoreFields(v1alpha1.CanaryStatus{}, "LastChecks"), // TestDecideRolloutRecordsTheLastChecks
				cmpopts.EquateEmpty(),
			}
			if diff := cmp.Diff(want, got, opts); diff != "" {
				t.Errorf("DecideRollout (-want +got):\n%s", diff)
			}
		})
	}
}

var newRevisionScalesUp = decided{
	actions:  []Action{ApplyCanary{Revision: "rev2bbbbbb", Commit: "c2c2c2c2c2"}, ScaleUpCanary{}},
	messages: []Message{normal("New revision detected! Scaling up detail.flagger")},
	status: func(st *v1alpha1.CanaryStatus) {
		moved(st, v1alpha1.PhaseProgressing)
		applied(st, "rev2bbbbbb", "c2c2c2c2c2")
		st.CanaryWeight, st.FailedChecks, st.Iterations, st.AnalysisErrors = 0, 0, 0, 0
		st.PendingRevision, st.PendingCommit, st.LastStepTime = "", "", at(0)
	},
	requeue: time.Minute,
}

func TestDecideRolloutStartsANewRevision(t *testing.T) {
	runRolloutCases(t, []rolloutCase{
		{
			name: "a new revision scales the canary up and starts progressing, the first step an interval later",
			obs:  observe(initialized()),
			want: newRevisionScalesUp,
		},
		{
			name: "a revision the sync recorded as pending starts and is pending no more",
			obs: observe(func() v1alpha1.CanaryStatus {
				st := in(v1alpha1.PhaseWaiting, initialized())
				st.PendingRevision, st.PendingCommit = "rev2bbbbbb", "c2c2c2c2c2"
				return st
			}()),
			want: newRevisionScalesUp,
		},
		{
			name: "a new revision after a failed one starts with its counters reset",
			obs: observe(func() v1alpha1.CanaryStatus {
				st := in(v1alpha1.PhaseFailed, initialized())
				applied(&st, "rev3cccccc", "c3c3c3c3c3")
				st.LastFailedRevision, st.FailedChecks, st.Iterations, st.AnalysisErrors = "rev3cccccc", 1, 1, 2
				return st
			}()),
			want: newRevisionScalesUp,
		},
		{
			name: "the revision the primary runs never starts a canary",
			obs:  observe(initialized(), revision("rev1aaaaaa", "c1c1c1c1c1")),
			want: decided{},
		},
		{
			name: "the revision the primary runs, from a revert commit, never starts a canary either",
			obs:  observe(in(v1alpha1.PhaseFailed, initialized()), revision("rev1aaaaaa", "c4c4c4c4c4")),
			want: decided{},
		},
		{
			name: "the revision that failed last does not start again: Failed stays Failed",
			obs: observe(func() v1alpha1.CanaryStatus {
				st := in(v1alpha1.PhaseFailed, initialized())
				applied(&st, "rev2bbbbbb", "c2c2c2c2c2")
				st.LastFailedRevision, st.FailedChecks = "rev2bbbbbb", 1
				return st
			}()),
			want: decided{},
		},
		{
			name: "the revision that failed last, recorded as pending by the sync, goes back to Failed",
			obs: observe(func() v1alpha1.CanaryStatus {
				st := in(v1alpha1.PhaseWaiting, initialized())
				st.LastFailedRevision, st.PendingRevision, st.PendingCommit = "rev2bbbbbb", "rev2bbbbbb", "c2c2c2c2c2"
				return st
			}()),
			want: decided{status: func(st *v1alpha1.CanaryStatus) {
				moved(st, v1alpha1.PhaseFailed)
				st.PendingRevision, st.PendingCommit = "", ""
			}},
		},
		{
			name: "a pending revision withdrawn from Git goes back to Initialized",
			obs: observe(func() v1alpha1.CanaryStatus {
				st := in(v1alpha1.PhaseWaiting, initialized())
				st.PendingRevision, st.PendingCommit = "rev2bbbbbb", "c2c2c2c2c2"
				return st
			}(), revision("rev1aaaaaa", "c3c3c3c3c3")),
			want: decided{
				messages: []Message{normal("Pending revision rev2bbb of detail.flagger withdrawn: Git is back at the revision the primary runs")},
				status: func(st *v1alpha1.CanaryStatus) {
					moved(st, v1alpha1.PhaseInitialized)
					st.PendingRevision, st.PendingCommit = "", ""
				},
			},
		},
		{
			name: "a Canary whose primary was never installed is left to DecideSync",
			obs:  observe(v1alpha1.CanaryStatus{Phase: v1alpha1.PhaseInitializing}),
			want: decided{},
		},
		{
			name: "no revision decides nothing",
			obs:  observe(initialized(), revision("", "")),
			want: decided{},
		},
	})
}

func TestDecideRolloutGates(t *testing.T) {
	waiting := func(lastAsked time.Duration) v1alpha1.CanaryStatus {
		st := in(v1alpha1.PhaseWaiting, initialized())
		st.PendingRevision, st.PendingCommit, st.LastStepTime = "rev2bbbbbb", "c2c2c2c2c2", at(-lastAsked)
		return st
	}
	waitingPromotion := in(v1alpha1.PhaseWaitingPromotion, progressing(15, 3))
	runRolloutCases(t, []rolloutCase{
		{
			name: "confirm-rollout is asked before a new revision starts, alone",
			obs:  observe(initialized(), withHook("approve", v1alpha1.WebhookConfirmRollout)),
			want: decided{actions: []Action{RunChecks{Webhooks: []string{v1alpha1.WebhookConfirmRollout}}}},
		},
		{
			name: "a new revision waits in phase Waiting while confirm-rollout fails, without failing",
			obs: observe(initialized(), withHook("approve", v1alpha1.WebhookConfirmRollout),
				checked(webhook("approve", v1alpha1.WebhookConfirmRollout, false, "status 403"))),
			want: decided{
				messages: []Message{warning("Halt detail.flagger advancement waiting for approval approve")},
				status: func(st *v1alpha1.CanaryStatus) {
					moved(st, v1alpha1.PhaseWaiting)
					st.PendingRevision, st.PendingCommit, st.LastStepTime = "rev2bbbbbb", "c2c2c2c2c2", at(0)
				},
				requeue: time.Minute,
			},
		},
		{
			name: "confirm-rollout is asked again only an interval later",
			obs:  observe(waiting(20*time.Second), withHook("approve", v1alpha1.WebhookConfirmRollout)),
			want: decided{requeue: 40 * time.Second},
		},
		{
			name: "confirm-rollout failing again says nothing new",
			obs: observe(waiting(time.Minute), withHook("approve", v1alpha1.WebhookConfirmRollout),
				checked(webhook("approve", v1alpha1.WebhookConfirmRollout, false, "status 403"))),
			want: decided{status: func(st *v1alpha1.CanaryStatus) { st.LastStepTime = at(0) }, requeue: time.Minute},
		},
		{
			name: "confirm-rollout approving after a wait starts the rollout",
			obs: observe(waiting(time.Minute), withHook("approve", v1alpha1.WebhookConfirmRollout),
				checked(webhook("approve", v1alpha1.WebhookConfirmRollout, true, ""))),
			want: decided{
				actions:  newRevisionScalesUp.actions,
				messages: append([]Message{normal("Confirm-rollout check approve passed")}, newRevisionScalesUp.messages...),
				status:   newRevisionScalesUp.status,
				requeue:  time.Minute,
			},
		},
		{
			name: "confirm-traffic-increase is asked with the checks of a step that would increase the weight",
			obs:  observe(progressing(5, 1), withHook("more", v1alpha1.WebhookConfirmTrafficIncrease)),
			want: decided{actions: []Action{RunChecks{Metrics: true, Webhooks: []string{v1alpha1.WebhookRollout, v1alpha1.WebhookConfirmTrafficIncrease}}}},
		},
		{
			name: "confirm-traffic-increase holds the weight without failing",
			obs: observe(progressing(5, 1), withHook("more", v1alpha1.WebhookConfirmTrafficIncrease),
				stepChecked(webhook("more", v1alpha1.WebhookConfirmTrafficIncrease, false, "status 403"))),
			want: decided{
				messages: []Message{warning("Halt detail.flagger advancement waiting for traffic increase approval more")},
				status:   func(st *v1alpha1.CanaryStatus) { st.LastStepTime = at(0) },
				requeue:  time.Minute,
			},
		},
		{
			name: "confirm-traffic-increase approving lets the weight advance",
			obs: observe(progressing(5, 1), withHook("more", v1alpha1.WebhookConfirmTrafficIncrease),
				stepChecked(webhook("more", v1alpha1.WebhookConfirmTrafficIncrease, true, ""))),
			want: decided{
				actions:  []Action{SetWeights{Primary: 90, Canary: 10}},
				messages: []Message{normal("Confirm-traffic-increase check more passed"), normal("Advance detail.flagger canary weight 10")},
				status:   func(st *v1alpha1.CanaryStatus) { st.CanaryWeight, st.Iterations, st.LastStepTime = 10, 2, at(0) },
				requeue:  time.Minute,
			},
		},
		{
			name: "confirm-promotion is asked with the checks of the last weight",
			obs:  observe(progressing(15, 3), withHook("ship", v1alpha1.WebhookConfirmPromotion)),
			want: decided{actions: []Action{RunChecks{Metrics: true, Webhooks: []string{v1alpha1.WebhookRollout, v1alpha1.WebhookConfirmPromotion}}}},
		},
		{
			name: "confirm-promotion failing waits in phase WaitingPromotion, without failing",
			obs: observe(progressing(15, 3), withHook("ship", v1alpha1.WebhookConfirmPromotion),
				stepChecked(webhook("ship", v1alpha1.WebhookConfirmPromotion, false, "status 403"))),
			want: decided{
				messages: []Message{warning("Halt detail.flagger advancement waiting for promotion approval ship")},
				status: func(st *v1alpha1.CanaryStatus) {
					moved(st, v1alpha1.PhaseWaitingPromotion)
					st.LastStepTime = at(0)
				},
				requeue: time.Minute,
			},
		},
		{
			name: "the analysis goes on while waiting for promotion, and a failed check still rolls back",
			obs: observe(waitingPromotion, withHook("ship", v1alpha1.WebhookConfirmPromotion),
				stepChecked(metric(v1alpha1.MetricRequestSuccessRate, VerdictFail, "success rate 98.00% < 99%"), webhook("ship", v1alpha1.WebhookConfirmPromotion, false, ""))),
			want: decided{
				actions: []Action{SetWeights{Primary: 100}, ScaleDownCanary{}},
				messages: []Message{
					warning("Halt detail.flagger advancement success rate 98.00% < 99%"),
					warning("Rolling back detail.flagger failed checks threshold reached 1"),
					warning("Canary failed! Scaling down detail.flagger"),
				},
				status: func(st *v1alpha1.CanaryStatus) { failed(st); st.FailedChecks = 1 },
			},
		},
		{
			name: "confirm-promotion approving after a wait promotes",
			obs: observe(waitingPromotion, withHook("ship", v1alpha1.WebhookConfirmPromotion),
				stepChecked(webhook("ship", v1alpha1.WebhookConfirmPromotion, true, ""))),
			want: decided{
				actions:  []Action{PromoteToPrimary{Revision: "rev2bbbbbb", Commit: "c2c2c2c2c2"}},
				messages: []Message{normal("Confirm-promotion check ship passed"), normal("Copying detail.flagger template spec to detail-primary.flagger")},
				status: func(st *v1alpha1.CanaryStatus) {
					moved(st, v1alpha1.PhasePromoting)
					st.LastStepTime = at(0)
				},
				requeue: PollInterval,
			},
		},
		{
			name: "a rollback webhook is asked at every step",
			obs:  observe(progressing(10, 2), withHook("abort", v1alpha1.WebhookRollback)),
			want: decided{actions: []Action{RunChecks{Metrics: true, Webhooks: []string{v1alpha1.WebhookRollout, v1alpha1.WebhookRollback}}}},
		},
		{
			name: "a rollback webhook that answers 2xx rolls back",
			obs: observe(progressing(10, 2), withHook("abort", v1alpha1.WebhookRollback),
				stepChecked(webhook("abort", v1alpha1.WebhookRollback, true, ""))),
			want: decided{
				actions: []Action{SetWeights{Primary: 100}, ScaleDownCanary{}},
				messages: []Message{
					warning("Rolling back detail.flagger manual webhook invoked"),
					warning("Canary failed! Scaling down detail.flagger"),
				},
				status: failed,
			},
		},
		{
			name: "a rollback webhook that does not answer 2xx changes nothing",
			obs: observe(progressing(10, 2), withHook("abort", v1alpha1.WebhookRollback),
				stepChecked(webhook("abort", v1alpha1.WebhookRollback, false, "status 404"))),
			want: decided{
				actions:  []Action{SetWeights{Primary: 85, Canary: 15}},
				messages: []Message{normal("Advance detail.flagger canary weight 15")},
				status:   func(st *v1alpha1.CanaryStatus) { st.CanaryWeight, st.Iterations, st.LastStepTime = 15, 3, at(0) },
				requeue:  time.Minute,
			},
		},
	})
}

func TestDecideRolloutSteps(t *testing.T) {
	iterations := withSpec(func(s *v1alpha1.CanarySpec) {
		s.Analysis.StepWeight, s.Analysis.MaxWeight, s.Analysis.Iterations = 0, 0, 3
	})
	runRolloutCases(t, []rolloutCase{
		{
			name: "a step is not due before the interval has passed",
			obs: observe(func() v1alpha1.CanaryStatus {
				st := progressing(5, 1)
				st.LastStepTime = at(-20 * time.Second)
				return st
			}()),
			want: decided{requeue: 40 * time.Second},
		},
		{
			name: "the first step asks for the pre-rollout webhooks and no metrics: the canary gets no traffic yet",
			obs:  observe(progressing(0, 0)),
			want: decided{actions: []Action{RunChecks{Webhooks: []string{v1alpha1.WebhookPreRollout}}}},
		},
		{
			name: "a later step asks for the metrics and the rollout webhooks",
			obs:  observe(progressing(5, 1)),
			want: decided{actions: []Action{RunChecks{Metrics: true, Webhooks: []string{v1alpha1.WebhookRollout}}}},
		},
		{
			name: "the first step that passed starts the analysis at the first weight",
			obs:  observe(progressing(0, 0), checked(acceptanceTest(true, ""))),
			want: decided{
				actions: []Action{SetWeights{Primary: 95, Canary: 5}},
				messages: []Message{
					normal("Starting canary analysis for detail.flagger"),
					normal("Pre-rollout check acceptance-test passed"),
					normal("Advance detail.flagger canary weight 5"),
				},
				status:  func(st *v1alpha1.CanaryStatus) { st.CanaryWeight, st.Iterations, st.LastStepTime = 5, 1, at(0) },
				requeue: time.Minute,
			},
		},
		{
			name: "a step in which every check passed advances to the next weight",
			obs:  observe(progressing(5, 1), stepChecked()),
			want: decided{
				actions:  []Action{SetWeights{Primary: 90, Canary: 10}},
				messages: []Message{normal("Advance detail.flagger canary weight 10")},
				status:   func(st *v1alpha1.CanaryStatus) { st.CanaryWeight, st.Iterations, st.LastStepTime = 10, 2, at(0) },
				requeue:  time.Minute,
			},
		},
		{
			name: "a step overdue by a long outage advances one weight only",
			obs: observe(func() v1alpha1.CanaryStatus { st := progressing(5, 1); st.LastStepTime = at(-time.Hour); return st }(),
				stepChecked()),
			want: decided{
				actions:  []Action{SetWeights{Primary: 90, Canary: 10}},
				messages: []Message{normal("Advance detail.flagger canary weight 10")},
				status:   func(st *v1alpha1.CanaryStatus) { st.CanaryWeight, st.Iterations, st.LastStepTime = 10, 2, at(0) },
				requeue:  time.Minute,
			},
		},
		{
			name: "weights follow stepWeights",
			obs: observe(progressing(10, 1), stepChecked(),
				withSpec(func(s *v1alpha1.CanarySpec) {
					s.Analysis.StepWeight, s.Analysis.MaxWeight, s.Analysis.StepWeights = 0, 0, []int32{10, 50}
				})),
			want: decided{
				actions:  []Action{SetWeights{Primary: 50, Canary: 50}},
				messages: []Message{normal("Advance detail.flagger canary weight 50")},
				status:   func(st *v1alpha1.CanaryStatus) { st.CanaryWeight, st.Iterations, st.LastStepTime = 50, 2, at(0) },
				requeue:  time.Minute,
			},
		},
		{
			name: "a step that passed at the last weight copies the canary to the primary",
			obs:  observe(progressing(15, 3), stepChecked()),
			want: decided{
				actions:  []Action{PromoteToPrimary{Revision: "rev2bbbbbb", Commit: "c2c2c2c2c2"}},
				messages: []Message{normal("Copying detail.flagger template spec to detail-primary.flagger")},
				status: func(st *v1alpha1.CanaryStatus) {
					moved(st, v1alpha1.PhasePromoting)
					st.LastStepTime = at(0)
				},
				requeue: PollInterval,
			},
		},
		{
			name: "iterations count steps instead of weights",
			obs:  observe(progressing(0, 1), iterations, stepChecked()),
			want: decided{
				messages: []Message{normal("Advance detail.flagger canary iteration 2/3")},
				status:   func(st *v1alpha1.CanaryStatus) { st.Iterations, st.LastStepTime = 2, at(0) },
				requeue:  time.Minute,
			},
		},
		{
			name: "the step after the last iteration promotes",
			obs:  observe(progressing(0, 3), iterations, stepChecked()),
			want: decided{
				actions:  []Action{PromoteToPrimary{Revision: "rev2bbbbbb", Commit: "c2c2c2c2c2"}},
				messages: []Message{normal("Copying detail.flagger template spec to detail-primary.flagger")},
				status: func(st *v1alpha1.CanaryStatus) {
					moved(st, v1alpha1.PhasePromoting)
					st.LastStepTime = at(0)
				},
				requeue: PollInterval,
			},
		},
		{
			name: "a Canary without checks advances on schedule without asking for any",
			obs: observe(progressing(5, 1),
				withSpec(func(s *v1alpha1.CanarySpec) { s.Analysis.Metrics, s.Analysis.Webhooks = nil, nil })),
			want: decided{
				actions:  []Action{SetWeights{Primary: 90, Canary: 10}},
				messages: []Message{normal("Advance detail.flagger canary weight 10")},
				status:   func(st *v1alpha1.CanaryStatus) { st.CanaryWeight, st.Iterations, st.LastStepTime = 10, 2, at(0) },
				requeue:  time.Minute,
			},
		},
		{
			name: "a route that drifted from the status is set back between steps",
			obs: observe(func() v1alpha1.CanaryStatus {
				st := progressing(10, 2)
				st.LastStepTime = at(-20 * time.Second)
				return st
			}(),
				func(obs *RolloutObservation) { obs.Weights = &Weights{Primary: 95, Canary: 5} }),
			want: decided{actions: []Action{SetWeights{Primary: 90, Canary: 10}}, requeue: 40 * time.Second},
		},
		{
			name: "a route that was not read back is left alone",
			obs: observe(func() v1alpha1.CanaryStatus {
				st := progressing(10, 2)
				st.LastStepTime = at(-20 * time.Second)
				return st
			}(),
				func(obs *RolloutObservation) { obs.Weights = nil }),
			want: decided{requeue: 40 * time.Second},
		},
	})
}

// rollingBack is the decision of a rollback of rev2 after the given
// messages, with failedChecks set to failedChecks.
func rollingBack(failedChecks int32, messages ...Message) decided {
	return decided{
		actions:  []Action{SetWeights{Primary: 100}, ScaleDownCanary{}},
		messages: append(messages, warning("Canary failed! Scaling down detail.flagger")),
		status:   func(st *v1alpha1.CanaryStatus) { failed(st); st.FailedChecks = failedChecks },
	}
}

func TestDecideRolloutFailedChecks(t *testing.T) {
	holding := func(failedChecks int32) func(*v1alpha1.CanaryStatus) {
		return func(st *v1alpha1.CanaryStatus) { st.FailedChecks, st.LastStepTime = failedChecks, at(0) }
	}
	runRolloutCases(t, []rolloutCase{
		{
			name: "a failed metric holds the weight and counts one failed check",
			obs:  observe(progressing(5, 1), withThreshold(3), stepChecked(metric(v1alpha1.MetricRequestSuccessRate, VerdictFail, "success rate 98.00% < 99%"))),
			want: decided{
				messages: []Message{warning("Halt detail.flagger advancement success rate 98.00% < 99%")},
				status:   holding(1),
				requeue:  time.Minute,
			},
		},
		{
			name: "a step adds one to failedChecks however many of its checks failed, as Flagger counts",
			obs: observe(progressing(5, 1), withThreshold(5), stepChecked(
				loadTest(false, "status 500"),
				metric(v1alpha1.MetricRequestSuccessRate, VerdictFail, "success rate 23.03% < 99%"),
				metric(v1alpha1.MetricRequestDuration, VerdictFail, "request duration 812ms > 500ms"))),
			want: decided{
				messages: []Message{
					warning("Halt detail.flagger advancement external check load-test failed status 500"),
					warning("Halt detail.flagger advancement success rate 23.03% < 99%"),
					warning("Halt detail.flagger advancement request duration 812ms > 500ms"),
				},
				status:  holding(1),
				requeue: time.Minute,
			},
		},
		{
			name: "both metrics failing in one step at threshold 2 hold: the step is one failed analysis run",
			obs: observe(progressing(5, 1), withThreshold(2), stepChecked(
				metric(v1alpha1.MetricRequestSuccessRate, VerdictNoData, "request-success-rate is NaN"),
				metric(v1alpha1.MetricRequestDuration, VerdictNoData, "request-duration is NaN"))),
			want: decided{
				messages: []Message{
					warning("Halt detail.flagger advancement request-success-rate is NaN"),
					warning("Halt detail.flagger advancement request-duration is NaN"),
				},
				status:  holding(1),
				requeue: time.Minute,
			},
		},
		{
			name: "no data counts as a failed check",
			obs: observe(progressing(5, 1), withThreshold(3), stepChecked(metric(v1alpha1.MetricRequestSuccessRate, VerdictNoData,
				"no values found for metric request-success-rate, detail.flagger may not be receiving traffic"))),
			want: decided{
				messages: []Message{warning("Halt detail.flagger advancement no values found for metric request-success-rate, detail.flagger may not be receiving traffic")},
				status:   holding(1),
				requeue:  time.Minute,
			},
		},
		{
			name: "a failed pre-rollout webhook is a failed check and sends no traffic to the canary",
			obs:  observe(progressing(0, 0), withThreshold(3), checked(acceptanceTest(false, "exit status 22"))),
			want: decided{
				messages: []Message{
					normal("Starting canary analysis for detail.flagger"),
					warning("Halt detail.flagger advancement pre-rollout check acceptance-test failed exit status 22"),
				},
				status:  holding(1),
				requeue: time.Minute,
			},
		},
		{
			name: "reaching the threshold rolls back in the same step",
			obs: observe(func() v1alpha1.CanaryStatus { st := progressing(10, 2); st.FailedChecks = 1; return st }(),
				withThreshold(2), stepChecked(metric(v1alpha1.MetricRequestSuccessRate, VerdictFail, "success rate 23.03% < 99%"))),
			want: rollingBack(2,
				warning("Halt detail.flagger advancement success rate 23.03% < 99%"),
				warning("Rolling back detail.flagger failed checks threshold reached 2")),
		},
		{
			name: "a failed pre-rollout webhook at threshold 1 rolls back before any traffic",
			obs:  observe(progressing(0, 0), checked(acceptanceTest(false, "exit status 22"))),
			want: rollingBack(1,
				normal("Starting canary analysis for detail.flagger"),
				warning("Halt detail.flagger advancement pre-rollout check acceptance-test failed exit status 22"),
				warning("Rolling back detail.flagger failed checks threshold reached 1")),
		},
		{
			name: "a rollback calls the post-rollout webhooks last",
			obs: observe(progressing(5, 1), withHook("notify", v1alpha1.WebhookPostRollout),
				stepChecked(metric(v1alpha1.MetricRequestSuccessRate, VerdictFail, "success rate 23.03% < 99%"))),
			want: func() decided {
				d := rollingBack(1,
					warning("Halt detail.flagger advancement success rate 23.03% < 99%"),
					warning("Rolling back detail.flagger failed checks threshold reached 1"))
				d.actions = append(d.actions, CallWebhooks{Type: v1alpha1.WebhookPostRollout})
				return d
			}(),
		},
	})
}

func TestDecideRolloutAnalysisErrors(t *testing.T) {
	withErrors := func(n int32) v1alpha1.CanaryStatus {
		st := progressing(5, 1)
		st.AnalysisErrors = n
		return st
	}
	unreachable := metric(v1alpha1.MetricRequestSuccessRate, VerdictError, "request-success-rate query failed: connection refused")
	runRolloutCases(t, []rolloutCase{
		{
			name: "an analysis error holds the step without failing it",
			obs:  observe(withErrors(0), stepChecked(unreachable)),
			want: decided{
				messages: []Message{warning("Halt detail.flagger advancement request-success-rate query failed: connection refused")},
				status:   func(st *v1alpha1.CanaryStatus) { st.AnalysisErrors, st.LastStepTime = 1, at(0) },
				requeue:  time.Minute,
			},
		},
		{
			name: "maxErrors consecutive analysis errors roll back",
			obs:  observe(withErrors(4), stepChecked(unreachable)),
			want: func() decided {
				d := rollingBack(0,
					warning("Halt detail.flagger advancement request-success-rate query failed: connection refused"),
					warning("Rolling back detail.flagger analysis errors reached 5"))
				status := d.status
				d.status = func(st *v1alpha1.CanaryStatus) { status(st); st.AnalysisErrors = 5 }
				return d
			}(),
		},
		{
			name: "a clean step resets the error count and advances",
			obs:  observe(withErrors(3), stepChecked()),
			want: decided{
				actions:  []Action{SetWeights{Primary: 90, Canary: 10}},
				messages: []Message{normal("Advance detail.flagger canary weight 10")},
				status: func(st *v1alpha1.CanaryStatus) {
					st.AnalysisErrors, st.CanaryWeight, st.Iterations, st.LastStepTime = 0, 10, 2, at(0)
				},
				requeue: time.Minute,
			},
		},
		{
			name: "a check asked for without a result is an analysis error, not a failed check",
			obs: observe(withErrors(0), checked(
				metric(v1alpha1.MetricRequestSuccessRate, VerdictPass, ""), metric(v1alpha1.MetricRequestDuration, VerdictPass, ""))),
			want: decided{
				messages: []Message{warning("Halt detail.flagger advancement no result for webhook load-test")},
				status:   func(st *v1alpha1.CanaryStatus) { st.AnalysisErrors, st.LastStepTime = 1, at(0) },
				requeue:  time.Minute,
			},
		},
		{
			name: "an error verdict without a message names its metric",
			obs:  observe(withErrors(0), stepChecked(metric(v1alpha1.MetricRequestDuration, VerdictError, ""))),
			want: decided{
				messages: []Message{warning("Halt detail.flagger advancement metric request-duration could not be measured")},
				status:   func(st *v1alpha1.CanaryStatus) { st.AnalysisErrors, st.LastStepTime = 1, at(0) },
				requeue:  time.Minute,
			},
		},
	})
}

func TestDecideRolloutRevisionChangesMidAnalysis(t *testing.T) {
	busy := func() v1alpha1.CanaryStatus {
		st := progressing(10, 2)
		st.FailedChecks, st.AnalysisErrors = 1, 2
		return st
	}
	restarted := decided{
		actions:  []Action{SetWeights{Primary: 100}, ApplyCanary{Revision: "rev3cccccc", Commit: "c3c3c3c3c3"}, ScaleUpCanary{}},
		messages: []Message{normal("New revision detected! Restarting analysis for detail.flagger")},
		status: func(st *v1alpha1.CanaryStatus) {
			if st.Phase != v1alpha1.PhaseProgressing {
				moved(st, v1alpha1.PhaseProgressing)
			}
			applied(st, "rev3cccccc", "c3c3c3c3c3")
			st.CanaryWeight, st.FailedChecks, st.Iterations, st.AnalysisErrors, st.LastStepTime = 0, 0, 0, 0, at(0)
		},
		requeue: time.Minute,
	}
	stopped := func(phase v1alpha1.CanaryPhase, message, revision, commit string) decided {
		return decided{
			actions:  []Action{SetWeights{Primary: 100}, ScaleDownCanary{}, ApplyCanary{Revision: revision, Commit: commit}},
			messages: []Message{normal(message)},
			status: func(st *v1alpha1.CanaryStatus) {
				moved(st, phase)
				applied(st, revision, commit)
				st.CanaryWeight, st.FailedChecks, st.Iterations, st.AnalysisErrors, st.LastStepTime = 0, 0, 0, 0, nil
			},
		}
	}
	runRolloutCases(t, []rolloutCase{
		{
			name: "a new revision mid-analysis restarts it from weight 0 with the counters reset",
			obs:  observe(busy(), revision("rev3cccccc", "c3c3c3c3c3")),
			want: restarted,
		},
		{
			name: "a new revision while waiting for promotion restarts the analysis too",
			obs:  observe(in(v1alpha1.PhaseWaitingPromotion, busy()), revision("rev3cccccc", "c3c3c3c3c3")),
			want: restarted,
		},
		{
			name: "a new revision restarts the analysis even with checks in hand",
			obs:  observe(busy(), revision("rev3cccccc", "c3c3c3c3c3"), stepChecked()),
			want: restarted,
		},
		{
			name: "the primary's revision mid-analysis stops the rollout and routes everything back to the primary",
			obs:  observe(busy(), revision("rev1aaaaaa", "c4c4c4c4c4")),
			want: stopped(v1alpha1.PhaseInitialized, "Stopping canary analysis for detail.flagger: Git is back at revision rev1aaa, the one the primary runs", "rev1aaaaaa", "c4c4c4c4c4"),
		},
		{
			name: "the last failed revision mid-analysis stops the rollout as Failed",
			obs: observe(func() v1alpha1.CanaryStatus { st := busy(); st.LastFailedRevision = "rev3cccccc"; return st }(),
				revision("rev3cccccc", "c3c3c3c3c3")),
			want: stopped(v1alpha1.PhaseFailed, "Stopping canary analysis for detail.flagger: Git is back at revision rev3ccc, which failed before", "rev3cccccc", "c3c3c3c3c3"),
		},
		{
			name: "a new revision during promotion waits for the promotion to finish",
			obs:  observe(in(v1alpha1.PhasePromoting, progressing(15, 3)), revision("rev3cccccc", "c3c3c3c3c3")),
			want: decided{
				actions:  []Action{SetWeights{Primary: 100}},
				messages: []Message{normal("Routing all traffic to primary")},
				status:   func(st *v1alpha1.CanaryStatus) { moved(st, v1alpha1.PhaseFinalising); st.CanaryWeight = 0 },
				requeue:  PollInterval,
			},
		},
	})
}

func TestDecideRolloutReadiness(t *testing.T) {
	notReadySince := func(d time.Duration) v1alpha1.CanaryStatus {
		st := progressing(5, 1)
		st.NotReadySince = at(-d)
		return st
	}
	deadlineRollback := func(reason string) decided {
		return rollingBack(0, warning("Rolling back detail.flagger progress deadline exceeded "+reason))
	}
	const canaryReason = "detail.flagger not ready: waiting for rollout to finish: 1 of 2 updated replicas are available"
	const primaryReason = "detail-primary.flagger not ready: waiting for rollout to finish: 1 of 2 updated replicas are available"
	runRolloutCases(t, []rolloutCase{
		{
			name: "a canary that is not ready holds the step and says so once, in the applier's words",
			obs:  observe(progressing(5, 1), canaryNotReady),
			want: decided{
				messages: []Message{warning(canaryReason)},
				status:   func(st *v1alpha1.CanaryStatus) { st.NotReadySince = at(0) },
				requeue:  PollInterval,
			},
		},
		{
			name: "a canary still not ready says nothing new",
			obs:  observe(notReadySince(2*time.Minute), canaryNotReady),
			want: decided{requeue: PollInterval},
		},
		{
			name: "a canary not ready for progressDeadlineSeconds rolls back",
			obs:  observe(notReadySince(10*time.Minute), canaryNotReady),
			want: deadlineRollback(canaryReason),
		},
		{
			name: "a primary not ready for progressDeadlineSeconds rolls back",
			obs:  observe(notReadySince(10*time.Minute), primaryNotReady),
			want: deadlineRollback(primaryReason),
		},
		{
			name: "the call before the deadline comes no later than the deadline",
			obs:  observe(notReadySince(595*time.Second), canaryNotReady),
			want: decided{requeue: 5 * time.Second},
		},
		{
			name: "progressDeadlineSeconds is the Canary's",
			obs: observe(notReadySince(2*time.Minute), canaryNotReady,
				withSpec(func(s *v1alpha1.CanarySpec) { s.ProgressDeadlineSeconds = ptr[int32](120) })),
			want: deadlineRollback(canaryReason),
		},
		{
			name: "a canary ready again clears the deadline",
			obs: observe(func() v1alpha1.CanaryStatus {
				st := notReadySince(2 * time.Minute)
				st.LastStepTime = at(-20 * time.Second)
				return st
			}()),
			want: decided{status: func(st *v1alpha1.CanaryStatus) { st.NotReadySince = nil }, requeue: 40 * time.Second},
		},
		{
			name: "Promoting waits for the primary and passes the applier's message through",
			obs:  observe(in(v1alpha1.PhasePromoting, progressing(15, 3)), primaryNotReady),
			want: decided{
				messages: []Message{warning(primaryReason)},
				status:   func(st *v1alpha1.CanaryStatus) { st.NotReadySince = at(0) },
				requeue:  PollInterval,
			},
		},
		{
			name: "Promoting does not wait for the canary",
			obs:  observe(in(v1alpha1.PhasePromoting, progressing(15, 3)), canaryNotReady),
			want: decided{
				actions:  []Action{SetWeights{Primary: 100}},
				messages: []Message{normal("Routing all traffic to primary")},
				status:   func(st *v1alpha1.CanaryStatus) { moved(st, v1alpha1.PhaseFinalising); st.CanaryWeight = 0 },
				requeue:  PollInterval,
			},
		},
		{
			name: "a primary not ready after the copy past the deadline is restored and the rollout rolled back",
			obs: observe(func() v1alpha1.CanaryStatus {
				st := in(v1alpha1.PhasePromoting, progressing(15, 3))
				st.NotReadySince = at(-10 * time.Minute)
				return st
			}(), primaryNotReady),
			want: func() decided {
				d := deadlineRollback(primaryReason)
				d.actions = append([]Action{RestorePrimary{Revision: "rev1aaaaaa", Commit: "c1c1c1c1c1"}}, d.actions...)
				return d
			}(),
		},
	})
}

func TestDecideRolloutPromotion(t *testing.T) {
	finalising := in(v1alpha1.PhaseFinalising, progressing(0, 3))
	succeeded := func(st *v1alpha1.CanaryStatus) {
		moved(st, v1alpha1.PhaseSucceeded)
		st.LastPromotedRevision, st.LastPromotedCommit, st.LastStepTime = "rev2bbbbbb", "c2c2c2c2c2", nil
	}
	runRolloutCases(t, []rolloutCase{
		{
			name: "skipAnalysis promotes a ready canary without steps",
			obs: observe(func() v1alpha1.CanaryStatus { st := progressing(0, 0); st.LastStepTime = at(0); return st }(),
				withSpec(func(s *v1alpha1.CanarySpec) { s.SkipAnalysis = true })),
			want: decided{
				actions:  []Action{PromoteToPrimary{Revision: "rev2bbbbbb", Commit: "c2c2c2c2c2"}},
				messages: []Message{normal("Copying detail.flagger template spec to detail-primary.flagger")},
				status:   func(st *v1alpha1.CanaryStatus) { moved(st, v1alpha1.PhasePromoting) },
				requeue:  PollInterval,
			},
		},
		{
			name: "skipAnalysis waits for the canary to be ready",
			obs: observe(progressing(0, 0), canaryNotReady,
				withSpec(func(s *v1alpha1.CanarySpec) { s.SkipAnalysis = true })),
			want: decided{
				messages: []Message{warning("detail.flagger not ready: waiting for rollout to finish: 1 of 2 updated replicas are available")},
				status:   func(st *v1alpha1.CanaryStatus) { st.NotReadySince = at(0) },
				requeue:  PollInterval,
			},
		},
		{
			name: "a new revision with skipAnalysis is looked at again soon, not an interval later",
			obs:  observe(initialized(), withSpec(func(s *v1alpha1.CanarySpec) { s.SkipAnalysis = true })),
			want: decided{actions: newRevisionScalesUp.actions, messages: newRevisionScalesUp.messages, status: newRevisionScalesUp.status, requeue: PollInterval},
		},
		{
			name: "a ready primary gets all the traffic",
			obs:  observe(in(v1alpha1.PhasePromoting, progressing(15, 3))),
			want: decided{
				actions:  []Action{SetWeights{Primary: 100}},
				messages: []Message{normal("Routing all traffic to primary")},
				status:   func(st *v1alpha1.CanaryStatus) { moved(st, v1alpha1.PhaseFinalising); st.CanaryWeight = 0 },
				requeue:  PollInterval,
			},
		},
		{
			name: "Finalising scales the canary down and records the promotion",
			obs:  observe(finalising),
			want: decided{
				actions:  []Action{ScaleDownCanary{}},
				messages: []Message{normal("Promotion completed! Scaling down detail.flagger")},
				status:   succeeded,
			},
		},
		{
			name: "Finalising calls the post-rollout webhooks after the scale-down",
			obs:  observe(finalising, withHook("notify", v1alpha1.WebhookPostRollout)),
			want: decided{
				actions:  []Action{ScaleDownCanary{}, CallWebhooks{Type: v1alpha1.WebhookPostRollout}},
				messages: []Message{normal("Promotion completed! Scaling down detail.flagger")},
				status:   succeeded,
			},
		},
		{
			name: "Finalising routes again, and waits, while the route still sends traffic to the canary",
			obs:  observe(finalising, func(obs *RolloutObservation) { obs.Weights = &Weights{Primary: 85, Canary: 15} }),
			want: decided{actions: []Action{SetWeights{Primary: 100}}, requeue: PollInterval},
		},
		{
			name: "Finalising with a newer revision in Git asks to be called again soon",
			obs:  observe(finalising, revision("rev3cccccc", "c3c3c3c3c3")),
			want: decided{
				actions:  []Action{ScaleDownCanary{}},
				messages: []Message{normal("Promotion completed! Scaling down detail.flagger")},
				status:   succeeded,
				requeue:  PollInterval,
			},
		},
	})
}

// TestDecideRolloutKeepsThePromotedCondition checks the Promoted condition
// through a start, a promotion and a rollback.
func TestDecideRolloutKeepsThePromotedCondition(t *testing.T) {
	tests := []struct {
		name       string
		obs        RolloutObservation
		wantStatus metav1.ConditionStatus
		wantReason string
	}{
		{"a rollout in flight is Unknown", observe(initialized()), metav1.ConditionUnknown, "Progressing"},
		{"a promotion is True", observe(in(v1alpha1.PhaseFinalising, progressing(0, 3))), metav1.ConditionTrue, "Succeeded"},
		{"a rollback is False", observe(progressing(5, 1), stepChecked(metric(v1alpha1.MetricRequestSuccessRate, VerdictFail, ""))), metav1.ConditionFalse, "Failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := DecideRollout(tt.obs).Status
			c := meta.FindStatusCondition(st.Conditions, ConditionPromoted)
			if c == nil {
				t.Fatalf("no %s condition in %+v", ConditionPromoted, st.Conditions)
			}
			if c.Status != tt.wantStatus || c.Reason != tt.wantReason || !c.LastTransitionTime.Time.Equal(now) {
				t.Errorf("condition = %s %s at %s, want %s %s at %s", c.Status, c.Reason, c.LastTransitionTime, tt.wantStatus, tt.wantReason, now)
			}
		})
	}
}

func TestDecideRolloutCommitStatuses(t *testing.T) {
	tests := []struct {
		name string
		obs  RolloutObservation
		want []CommitStatus
	}{
		{
			name: "a start is pending",
			obs:  observe(initialized()),
			want: []CommitStatus{{Commit: "c2c2c2c2c2", State: CommitPending, Description: "canary starting — step 0/3"}},
		},
		{
			name: "an advance is pending with the weight and the step",
			obs:  observe(progressing(5, 1), stepChecked()),
			want: []CommitStatus{{Commit: "c2c2c2c2c2", State: CommitPending, Description: "canary weight 10% — step 2/3"}},
		},
		{
			name: "a rollback is a failure with the reason",
			obs:  observe(progressing(5, 1), stepChecked(metric(v1alpha1.MetricRequestSuccessRate, VerdictFail, "success rate 23.03% < 99%"))),
			want: []CommitStatus{{Commit: "c2c2c2c2c2", State: CommitFailure, Description: "success rate 23.03% < 99% — rolled back"}},
		},
		{
			name: "a promotion is a success",
			obs:  observe(in(v1alpha1.PhaseFinalising, progressing(0, 3))),
			want: []CommitStatus{{Commit: "c2c2c2c2c2", State: CommitSuccess, Description: "promoted to detail-primary.flagger"}},
		},
		{
			name: "a restart supersedes the commit before it",
			obs:  observe(progressing(10, 2), revision("rev3cccccc", "c3c3c3c3c3")),
			want: []CommitStatus{
				{Commit: "c2c2c2c2c2", State: CommitError, Description: "superseded by c3c3c3c; not analysed", Superseded: true},
				{Commit: "c3c3c3c3c3", State: CommitPending, Description: "canary starting — step 0/3"},
			},
		},
		{
			name: "a hold writes nothing",
			obs:  observe(progressing(5, 1), withThreshold(2), stepChecked(metric(v1alpha1.MetricRequestSuccessRate, VerdictFail, ""))),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, DecideRollout(tt.obs).CommitStatuses); diff != "" {
				t.Errorf("CommitStatuses (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecideRolloutLeavesItsObservationAlone pins purity: the status the
// reconciler passes in is its own to compare with afterwards.
func TestDecideRolloutLeavesItsObservationAlone(t *testing.T) {
	obs := observe(func() v1alpha1.CanaryStatus {
		st := progressing(15, 3)
		st.TrackedConfigs = map[string]string{"configmap/detail": "abc"}
		return st
	}(), stepChecked())
	before := obs.Status.DeepCopy()
	d := DecideRollout(obs)
	d.Status.TrackedConfigs["configmap/detail"] = "changed"
	if diff := cmp.Diff(*before, obs.Status); diff != "" {
		t.Errorf("DecideRollout changed obs.Status (-before +after):\n%s", diff)
	}
}

func TestPostRolloutMessages(t *testing.T) {
	got := PostRolloutMessages([]WebhookResult{
		webhook("notify", v1alpha1.WebhookPostRollout, true, ""),
		webhook("cleanup", v1alpha1.WebhookPostRollout, false, "status 500"),
	})
	want := []Message{normal("Post-rollout check notify passed"), warning("Post-rollout check cleanup failed status 500")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PostRolloutMessages (-want +got):\n%s", diff)
	}
}

// The status is saved before a promotion's copy and before a rollback's
// acts; after a crash in between, the next decision finishes the job from
// the status (the crash-consistency cases).
func TestDecideRolloutFinishesWhatTheSavedStateSays(t *testing.T) {
	replicas := func(n int32) func(*RolloutObservation) {
		return func(obs *RolloutObservation) { obs.CanaryReplicas = &n }
	}
	primaryRuns := func(rev string) func(*RolloutObservation) {
		return func(obs *RolloutObservation) { obs.PrimaryRevision, obs.PrimaryFailedRevision = rev, "rev2bbbbbb" }
	}
	failedRev2 := func() v1alpha1.CanaryStatus {
		st := progressing(10, 2)
		failed(&st)
		st.LastTransitionTime = at(-time.Minute)
		return st
	}()
	runRolloutCases(t, []rolloutCase{
		{
			name: "a promotion whose copy a crash cut short copies again",
			obs:  observe(in(v1alpha1.PhasePromoting, progressing(15, 3)), primaryRuns("rev1aaaaaa")),
			want: decided{
				actions:  []Action{PromoteToPrimary{Revision: "rev2bbbbbb", Commit: "c2c2c2c2c2"}},
				messages: []Message{info("Copying detail.flagger template spec to detail-primary.flagger")},
				requeue:  PollInterval,
			},
		},
		{
			name: "a rollback saved before a crash routes everything to the primary and scales the canary down",
			obs: observe(failedRev2, primaryRuns("rev1aaaaaa"), replicas(2),
				func(obs *RolloutObservation) { obs.Weights = &Weights{Primary: 90, Canary: 10} }),
			want: decided{
				actions:  []Action{SetWeights{Primary: 100}, ScaleDownCanary{}},
				messages: []Message{info("Routing all traffic to primary"), info("Scaling down detail.flagger: no analysis runs")},
				requeue:  PollInterval,
			},
		},
		{
			name: "a rollback from Promoting cut short before the restore restores the primary",
			obs:  observe(failedRev2, primaryRuns("rev2bbbbbb"), replicas(0)),
			want: decided{
				actions:  []Action{RestorePrimary{Revision: "rev1aaaaaa", Commit: "c1c1c1c1c1"}},
				messages: []Message{info("Restoring detail-primary.flagger to revision rev1aaa: it runs rev2bbb")},
				requeue:  PollInterval,
			},
		},
		{
			name: "a failure the primary does not record is recorded again",
			obs: observe(func() v1alpha1.CanaryStatus {
				st := failedRev2
				st.FailureReason = "success rate 23.03% < 99%"
				return st
			}(),
				primaryRuns("rev1aaaaaa"), replicas(0), func(obs *RolloutObservation) { obs.PrimaryFailedRevision = "" }),
			want: decided{
				actions: []Action{RecordFailure{Revision: "rev2bbbbbb", Commit: "c2c2c2c2c2", Reason: "success rate 23.03% < 99%"}},
				requeue: PollInterval,
			},
		},
		{
			name: "a primary deleted by hand is made again from the last promoted commit",
			obs: observe(failedRev2, replicas(0), func(obs *RolloutObservation) {
				obs.PrimaryMissing, obs.PrimaryReady = true, false
			}),
			want: decided{
				actions:  []Action{RestorePrimary{Revision: "rev1aaaaaa", Commit: "c1c1c1c1c1"}},
				messages: []Message{warning("detail-primary.flagger is missing: making it again from revision rev1aaa (commit c1c1c1c)")},
				requeue:  PollInterval,
			},
		},
		{
			name: "a settled Canary whose cluster agrees changes nothing",
			obs:  observe(failedRev2, primaryRuns("rev1aaaaaa"), replicas(0)),
			want: decided{},
		},
	})
}

// The blue/green switch is the planner's decision: with provider
// kubernetes a split routes everything to the side with the larger weight,
// the primary on a tie (it used to be made in the reconciler).
func TestASplitForBlueGreenSwitchesAllTheTrafficAtOnce(t *testing.T) {
	r := newRollout(observe(progressing(0, 1), withSpec(func(spec *v1alpha1.CanarySpec) { spec.Provider = v1alpha1.ProviderKubernetes })))
	r.do(SetWeights{Primary: 40, Canary: 60}, SetWeights{Primary: 50, Canary: 50}, SetWeights{Primary: 90, Canary: 10}, ScaleUpCanary{})
	want := []Action{SetWeights{Canary: 100}, SetWeights{Primary: 100}, SetWeights{Primary: 100}, ScaleUpCanary{}}
	if diff := cmp.Diff(want, r.actions); diff != "" {
		t.Errorf("blue/green actions (-want +got):\n%s", diff)
	}
	weighted := newRollout(observe(progressing(0, 1)))
	weighted.do(SetWeights{Primary: 40, Canary: 60})
	if diff := cmp.Diff([]Action{SetWeights{Primary: 40, Canary: 60}}, weighted.actions); diff != "" {
		t.Errorf("gatewayapi actions (-want +got):\n%s", diff)
	}
}

func TestDeliverableNeverSendsAStatusBackwards(t *testing.T) {
	for _, tt := range []struct {
		state CommitState
		final bool
		want  bool
	}{
		{CommitPending, false, true}, {CommitPending, true, false},
		{CommitSuccess, true, true}, {CommitFailure, false, true}, {CommitError, true, true},
	} {
		if got := Deliverable(tt.state, tt.final); got != tt.want {
			t.Errorf("Deliverable(%s, final written %v) = %v, want %v", tt.state, tt.final, got, tt.want)
		}
	}
}

// Regression: a webhook's answer (up to 256 characters of whatever it
// sends back) was quoted in the failure reason, which goes into the public
// commit status and the revert pull request. It goes to the Event only.
func TestAWebhooksAnswerGoesToTheEventButNeverIntoTheCommitStatus(t *testing.T) {
	failing := loadTest(false, "answered 500 Internal Server Error")
	failing.Answer = "stack trace with db=prod-db.internal:5432"
	got := DecideRollout(observe(progressing(5, 1), checked(failing,
		metric(v1alpha1.MetricRequestSuccessRate, VerdictPass, ""), metric(v1alpha1.MetricRequestDuration, VerdictPass, ""))))
	if got.Status.Phase != v1alpha1.PhaseFailed {
		t.Fatalf("phase %s, want Failed at threshold 1", got.Status.Phase)
	}
	if strings.Contains(got.Status.FailureReason, "prod-db") {
		t.Errorf("the failure reason quotes the answer: %q", got.Status.FailureReason)
	}
	for _, st := range got.CommitStatuses {
		if strings.Contains(st.Description, "prod-db") {
			t.Errorf("a commit status quotes the answer: %q", st.Description)
		}
	}
	quoted := false
	for _, msg := range got.Messages {
		quoted = quoted || strings.Contains(msg.Text, "answered 500 Internal Server Error: stack trace with db=prod-db.internal:5432")
	}
	if !quoted {
		t.Errorf("no Event quotes the answer: %v", got.Messages)
	}
}
