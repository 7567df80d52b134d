package planner

import (
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// PollInterval is how soon DecideRollout asks to be called again while it
// waits for a Deployment to become ready or for a route change to settle;
// never later than analysis.interval.
const PollInterval = 10 * time.Second

// ConditionPromoted is the condition DecideRollout keeps on the status:
// True once the primary runs the revision Git asks for (Initialized,
// Succeeded), Unknown while a rollout is in flight, False when it failed.
// Its reason is the phase.
const ConditionPromoted = "Promoted"

// RolloutDecision is what to do next for one Canary.
type RolloutDecision struct {
	// Actions are carried out in order; a failed action stops the ones
	// after it and the Status is not persisted (the next call decides
	// again from the live state). A RunChecks action comes alone.
	Actions []Action
	// Status is the Canary status to persist once the actions are done.
	Status v1alpha1.CanaryStatus
	// Messages are logged and recorded as events, in order.
	Messages []Message
	// CommitStatuses are written back to the forge, in order.
	CommitStatuses []CommitStatus
	// RequeueAfter is when to call DecideRollout again. Zero means nothing
	// is scheduled: call again when Git or the Canary changes, or at the
	// reconciler's own cadence.
	RequeueAfter time.Duration
	// RequestHandled is true when the observed manual request was carried
	// out or had nothing to do: the reconciler removes it once the status
	// is persisted (if it still says the same). False leaves it for a
	// later step.
	RequestHandled bool
}

// DecideRollout is the rollout state machine: given what the reconciler
// observed about one Canary, it decides the actions, the new status and the
// messages. It is pure: no I/O, no clock (obs.Now is the time).
//
// A target revision that is new (neither the last promoted nor the last
// failed one) starts a canary: "New revision detected! Scaling up", after
// the confirm-rollout webhooks, if any, approved it (phase Waiting until
// they do). An analysis step is due one analysis.interval after the one
// before it (the first one an interval after the start); the pre-rollout
// webhooks run at the first step, the metrics and rollout webhooks at the
// others. A step advances to the next weight of Steps() (or iteration) only
// when every check passed, and after confirm-traffic-increase approved it.
// A step with a failed check (a metric that failed or had no data, a
// failed pre-rollout or rollout webhook) adds one to failedChecks, however
// many of its checks failed, as Flagger counts a failed analysis run; every
// failed check is still said. Reaching analysis.threshold rolls back in the
// same step. A metric that could not be
// measured holds the step; analysis.maxErrors such steps in a row roll
// back. A passing step at the last weight promotes once confirm-promotion
// approved it (phase WaitingPromotion until it does): Promoting (copy to
// the primary, wait for it, then route all traffic to it — or, with
// analysis.stepWeightPromotion, that many percent more per interval) →
// Finalising (the route is all-primary) → Succeeded (scale the canary
// down). skipAnalysis promotes a ready canary without steps.
//
// With analysis.mirror, the route also copies requests to the canary
// while it has no weight of its own (see mirroring): a blue/green
// analysis from its first step to the promotion, a weighted one for one
// step at weight 0 before its first weight.
//
// A new revision mid-analysis restarts it from weight 0; the revision the
// primary runs (a revert in Git) stops it and routes everything back to the
// primary; a revision that failed last does not start again. During
// Promoting and Finalising a new revision waits for the promotion to end.
// A canary or primary that stays not ready for progressDeadlineSeconds
// rolls the rollout back. A Canary whose primary was never installed
// (DecideSync's business) decides nothing.
//
// A suspended Canary (spec.suspend) decides nothing: no action, no
// requeue, only the Suspended condition and a message when it becomes
// suspended; once Git sets spec.suspend back to false, it goes on from
// the status it kept (see suspended).
//
// A manual request (obs.Request: sluice promote, abort, pause, resume) is
// read first, after spec.suspend: see manual. A paused Canary decides
// nothing but to look again for a request a poll interval later.
//
// Checks are asked for with a RunChecks action: the reconciler runs them
// and calls DecideRollout again with the same observation and obs.Checks
// set. Given the same observation, DecideRollout decides the same. The
// results of the last step that ran checks stay in status.lastChecks (see
// recordChecks) until a new revision's rollout starts or Git stops the
// rollout; a promotion or a rollback keeps them.
func DecideRollout(obs RolloutObservation) RolloutDecision {
	r := newRollout(obs)
	if r.suspended() || r.manual() {
		return r.decision()
	}
	switch {
	case r.st.LastPromotedRevision == "" || obs.Revision == "":
		// Not installed yet: DecideSync installs the primary.
	case r.st.Phase == v1alpha1.PhasePromoting:
		r.promote()
	case r.st.Phase == v1alpha1.PhaseFinalising:
		r.finalise()
	case r.analysing():
		r.inFlight()
	default:
		r.idle()
	}
	return r.decision()
}

// rollout is one decision being made: the observation, the settings read
// from the spec, and what has been decided so far.
type rollout struct {
	obs RolloutObservation

	// canaryID, targetID and primaryID name the Canary, its target and the
	// primary as "name.namespace", the way the messages do.
	canaryID, targetID, primaryID string
	steps                         []int32
	interval, deadline            time.Duration
	threshold, maxErrors          int32

	st             v1alpha1.CanaryStatus
	actions        []Action
	messages       []Message
	commitStatuses []CommitStatus
	requeue        time.Duration
	// requestHandled: the manual request was carried out or had nothing
	// to do.
	requestHandled bool
	// asked is the checks to run before anything can be decided.
	asked *RunChecks
}

func newRollout(obs RolloutObservation) *rollout {
	target := obs.Spec.TargetRef.Name
	if target == "" {
		target = obs.Name
	}
	analysis := obs.Spec.Analysis
	return &rollout{
		obs:       obs,
		canaryID:  obs.Name + "." + obs.Namespace,
		targetID:  target + "." + obs.Namespace,
		primaryID: target + "-primary." + obs.Namespace,
		steps:     analysis.Steps(),
		interval:  parseInterval(analysis.Interval),
		deadline:  time.Duration(orDefault(obs.Spec.ProgressDeadlineSeconds, v1alpha1.DefaultProgressDeadlineSeconds)) * time.Second,
		threshold: atLeastOne(analysis.Threshold, v1alpha1.DefaultThreshold),
		maxErrors: atLeastOne(analysis.MaxErrors, v1alpha1.DefaultMaxErrors),
		st:        *obs.Status.DeepCopy(),
	}
}

// decision returns what was decided; a request for checks comes alone, with
// the status as observed.
func (r *rollout) decision() RolloutDecision {
	if r.asked != nil {
		return RolloutDecision{Actions: []Action{*r.asked}, Status: *r.obs.Status.DeepCopy()}
	}
	return RolloutDecision{
		Actions: r.actions, Status: r.st, Messages: r.messages,
		CommitStatuses: r.commitStatuses, RequeueAfter: r.requeue,
		RequestHandled: r.requestHandled,
	}
}

// analysing reports whether the analysis of LastAppliedRevision is in
// flight.
func (r *rollout) analysing() bool {
	return r.st.Phase == v1alpha1.PhaseProgressing || r.st.Phase == v1alpha1.PhaseWaitingPromotion
}

// do adds actions to the decision. A split for a router without weights
// (provider kubernetes, blue/green) becomes all the traffic on the side
// with the larger weight, the primary on a tie: the router then switches,
// and the decision says what it will route.
func (r *rollout) do(actions ...Action) {
	for _, action := range actions {
		if w, ok := action.(SetWeights); ok && r.obs.Spec.Provider == v1alpha1.ProviderKubernetes {
			if w.Canary > w.Primary {
				action = SetWeights{Canary: 100}
			} else {
				action = SetWeights{Primary: 100}
			}
		}
		r.actions = append(r.actions, action)
	}
}

// setPhase moves to phase, stamping the transition and the Promoted
// condition; staying in the same phase changes nothing.
func (r *rollout) setPhase(phase v1alpha1.CanaryPhase) {
	if r.st.Phase == phase {
		return
	}
	now := metav1.NewTime(r.obs.Now)
	r.st.Phase, r.st.LastTransitionTime = phase, &now
	status, message := promotedCondition(phase)
	meta.SetStatusCondition(&r.st.Conditions, metav1.Condition{
		Type: ConditionPromoted, Status: status, Reason: string(phase), Message: message,
		LastTransitionTime: now, ObservedGeneration: r.st.ObservedGeneration,
	})
}

// promotedCondition is the Promoted condition of a phase, in Flagger's words.
func promotedCondition(phase v1alpha1.CanaryPhase) (metav1.ConditionStatus, string) {
	switch phase {
	case v1alpha1.PhaseInitialized:
		return metav1.ConditionTrue, "The primary runs the revision Git asks for."
	case v1alpha1.PhaseSucceeded:
		return metav1.ConditionTrue, "Canary analysis completed successfully, promotion finished."
	case v1alpha1.PhaseFailed:
		return metav1.ConditionFalse, "Canary analysis failed, Deployment scaled to zero."
	case v1alpha1.PhaseWaiting, v1alpha1.PhaseWaitingPromotion:
		return metav1.ConditionUnknown, "Waiting for approval."
	case v1alpha1.PhasePromoting:
		return metav1.ConditionUnknown, "Canary analysis completed, starting primary rolling update."
	case v1alpha1.PhaseFinalising:
		return metav1.ConditionUnknown, "Canary analysis completed, routing all traffic to primary."
	default:
		return metav1.ConditionUnknown, "New revision detected, progressing canary analysis."
	}
}

// now is obs.Now as a status time.
func (r *rollout) now() *metav1.Time {
	t := metav1.NewTime(r.obs.Now)
	return &t
}

// poll is how soon to look again at something that settles by itself.
func (r *rollout) poll() time.Duration { return min(PollInterval, r.interval) }

// parseInterval reads analysis.interval; what does not parse (Validate
// rejects it) is the default.
func parseInterval(s string) time.Duration {
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d
	}
	d, _ := time.ParseDuration(v1alpha1.DefaultInterval)
	return d
}

func orDefault(p *int32, def int32) int32 {
	if p == nil || *p <= 0 {
		return def
	}
	return *p
}

func atLeastOne(n, def int32) int32 {
	if n < 1 {
		return def
	}
	return n
}
