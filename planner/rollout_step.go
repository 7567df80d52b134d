package planner

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// analyse moves the analysis of LastAppliedRevision on: wait for readiness
// and for the step to be due, ask for the step's checks, judge them.
func (r *rollout) analyse() {
	defer r.keepWeights()
	if !r.ready(true) {
		return
	}
	if r.obs.Spec.SkipAnalysis {
		r.st.NotReadySince = nil
		r.promoteCanary()
		return
	}
	if !r.due() {
		r.st.NotReadySince = nil
		r.requeue = r.untilDue()
		return
	}
	if r.obs.Checks == nil {
		if checks := r.stepChecks(); len(checks.Webhooks) > 0 || checks.Metrics {
			r.asked = &checks
			return
		}
	}
	r.st.NotReadySince = nil
	r.step()
}

// ready reports whether the primary (and, with canary, the canary) is
// ready. When one is not, it warns once with the applier's reason, holds,
// and rolls back once that lasted progressDeadlineSeconds.
func (r *rollout) ready(canary bool) bool {
	var reason string
	switch {
	case !r.obs.PrimaryReady:
		reason = orElse(r.obs.PrimaryNotReady, r.primaryID+" not ready")
	case canary && !r.obs.CanaryReady:
		reason = orElse(r.obs.CanaryNotReady, r.targetID+" not ready")
	default:
		return true
	}
	if r.st.NotReadySince == nil {
		r.st.NotReadySince = r.now()
		r.warn("%s", reason)
	}
	left := r.st.NotReadySince.Add(r.deadline).Sub(r.obs.Now)
	if left <= 0 {
		r.warn("Rolling back %s progress deadline exceeded %s", r.canaryID, reason)
		r.rollback("progress deadline exceeded: " + reason)
		return false
	}
	r.requeue = min(r.poll(), left)
	return false
}

// due reports whether an analysis step (or a confirm-rollout check) is due:
// none ran yet, or the last one is an interval old.
func (r *rollout) due() bool { return r.untilDue() <= 0 }

func (r *rollout) untilDue() time.Duration {
	if r.st.LastStepTime == nil {
		return 0
	}
	return r.st.LastStepTime.Add(r.interval).Sub(r.obs.Now)
}

// started reports whether the analysis got past its first step.
func (r *rollout) started() bool { return r.st.CanaryWeight > 0 || r.st.Iterations > 0 }

// iterations reports whether the schedule counts iterations, not weights.
func (r *rollout) iterations() bool {
	return len(r.steps) == 0 && r.obs.Spec.Analysis.Iterations > 0
}

// abTesting reports whether the analysis is an A/B test: iterations with
// analysis.match, the requests that match going to the canary.
func (r *rollout) abTesting() bool {
	return r.iterations() && len(r.obs.Spec.Analysis.Match) > 0
}

// analysisSplit is the split the route holds while the analysis is in
// flight. An A/B test routes every request of analysis.match to the
// canary once it started (the router's weighted rule takes the matching
// requests only: see applier.Router), the rest to the primary;
// status.canaryWeight stays 0, as with Flagger, since the canary gets no
// share of the other requests. A weighted schedule routes canaryWeight.
func (r *rollout) analysisSplit() Weights {
	if r.abTesting() && r.started() {
		return Weights{Primary: 0, Canary: 100}
	}
	return Weights{Primary: 100 - r.st.CanaryWeight, Canary: r.st.CanaryWeight}
}

// nextWeight is the weight after the current one, if any.
func (r *rollout) nextWeight() (int32, bool) {
	for _, weight := range r.steps {
		if weight > r.st.CanaryWeight {
			return weight, true
		}
	}
	return 0, false
}

// stepChecks are the checks of the due step: the pre-rollout webhooks at
// the first step, the metrics and the rollout webhooks at the others, the
// gate of what a pass leads to, and the rollback webhooks.
func (r *rollout) stepChecks() RunChecks {
	starting := !r.started()
	wanted := map[string]bool{
		v1alpha1.WebhookPreRollout: starting,
		v1alpha1.WebhookRollout:    !starting,
		v1alpha1.WebhookRollback:   true,
	}
	_, moreWeights := r.nextWeight()
	switch {
	case r.iterations():
		wanted[v1alpha1.WebhookConfirmPromotion] = r.st.Iterations >= r.obs.Spec.Analysis.Iterations
	case moreWeights:
		wanted[v1alpha1.WebhookConfirmTrafficIncrease] = true
	default:
		wanted[v1alpha1.WebhookConfirmPromotion] = true
	}
	checks := RunChecks{Metrics: !starting && len(r.obs.Spec.Analysis.Metrics) > 0}
	for _, kind := range v1alpha1.WebhookTypes() {
		if wanted[kind] && len(r.hooks(kind)) > 0 {
			checks.Webhooks = append(checks.Webhooks, kind)
		}
	}
	return checks
}

// step judges the checks of a due step: roll back, hold or advance.
func (r *rollout) step() {
	r.st.LastStepTime = r.now()
	r.requeue = r.interval
	r.recordChecks()
	if name, ok := r.rollbackRequested(); ok {
		r.warn("Rolling back %s manual webhook invoked", r.canaryID)
		r.rollback("rolled back by webhook " + name)
		return
	}
	if !r.started() {
		r.info("Starting canary analysis for %s", r.targetID)
	}
	verdict := r.judge()
	if verdict.failed > 0 {
		// One per step, however many checks failed in it: Flagger's
		// analysis.threshold counts failed analysis runs.
		r.st.FailedChecks++
	}
	if verdict.errors > 0 {
		r.st.AnalysisErrors++
	} else {
		r.st.AnalysisErrors = 0
	}
	reasons := strings.Join(verdict.reasons, "; ")
	switch {
	case r.st.FailedChecks >= r.threshold:
		r.warn("Rolling back %s failed checks threshold reached %d", r.canaryID, r.st.FailedChecks)
		r.rollback(orElse(reasons, fmt.Sprintf("failed checks threshold reached %d", r.st.FailedChecks)))
	case r.st.AnalysisErrors >= r.maxErrors:
		r.warn("Rolling back %s analysis errors reached %d", r.canaryID, r.st.AnalysisErrors)
		r.rollback(fmt.Sprintf("analysis errors reached %d: %s", r.st.AnalysisErrors, reasons))
	case verdict.failed > 0 || verdict.errors > 0:
		// Hold: the same weight, judged again an interval later.
	default:
		r.advance()
	}
}

// verdict sums up the checks of a step.
type verdict struct {
	failed, errors int32
	// reasons are the halts, for the commit status of a rollback.
	reasons []string
}

// judge reads the results of the step's checks, in the spec's order, and
// says each halt. A check asked for without a result is an error.
func (r *rollout) judge() verdict {
	var v verdict
	hold := func(failed bool, reason string, answer ...string) {
		if len(answer) > 0 && answer[0] != "" {
			r.halt(reason + ": " + answer[0]) // the Event quotes the answer; the status does not
		} else {
			r.halt(reason)
		}
		v.reasons = append(v.reasons, reason)
		if failed {
			v.failed++
		} else {
			v.errors++
		}
	}
	kind := v1alpha1.WebhookRollout
	if !r.started() {
		kind = v1alpha1.WebhookPreRollout
	}
	for _, hook := range r.hooks(kind) {
		res, ok := r.webhookResult(hook.Name)
		switch {
		case !ok:
			hold(false, fmt.Sprintf("no result for webhook %s", hook.Name))
		case !res.Passed:
			hold(true, webhookText(res), res.Answer)
		case kind == v1alpha1.WebhookPreRollout:
			r.info("Pre-rollout check %s passed", hook.Name)
		}
	}
	if !r.started() {
		return v
	}
	for _, metric := range r.obs.Spec.Analysis.Metrics {
		res, ok := r.metricVerdict(metric.Name)
		switch {
		case !ok:
			hold(false, fmt.Sprintf("no verdict for metric %s", metric.Name))
		case res.Verdict == VerdictPass:
		case res.Verdict == VerdictError:
			hold(false, verdictText(res))
		default:
			hold(true, verdictText(res))
		}
	}
	return v
}

// advance moves a passing step on: the next iteration, the next weight
// (once confirm-traffic-increase approved it), or the promotion.
func (r *rollout) advance() {
	if r.startMirroring() {
		return
	}
	if r.iterations() && r.st.Iterations < r.obs.Spec.Analysis.Iterations {
		if r.abTesting() && r.st.Iterations == 0 {
			// Bug fixed: the A/B route stayed 100/0, so the matching
			// requests never reached the canary and the analysis ran on
			// no canary traffic.
			r.do(SetWeights{Primary: 0, Canary: 100})
		}
		r.st.Iterations++
		r.info("Advance %s canary iteration %d/%d", r.canaryID, r.st.Iterations, r.obs.Spec.Analysis.Iterations)
		r.report(r.st.LastAppliedCommit, CommitPending, "%s", r.progress())
		return
	}
	if next, ok := r.nextWeight(); ok {
		if name, approved := r.gate(v1alpha1.WebhookConfirmTrafficIncrease); !approved {
			r.halt("waiting for traffic increase approval " + name)
			return
		}
		for _, hook := range r.hooks(v1alpha1.WebhookConfirmTrafficIncrease) {
			r.info("Confirm-traffic-increase check %s passed", hook.Name)
		}
		r.st.CanaryWeight = next
		r.st.Iterations++
		r.do(SetWeights{Primary: 100 - next, Canary: next})
		r.info("Advance %s canary weight %d", r.canaryID, next)
		r.report(r.st.LastAppliedCommit, CommitPending, "%s", r.progress())
		return
	}
	if r.confirmPromotion() {
		r.promoteCanary()
	}
}

// confirmPromotion reports whether the confirm-promotion webhooks all
// approved; while one does not, the Canary waits in WaitingPromotion, its
// analysis going on at the last weight.
func (r *rollout) confirmPromotion() bool {
	name, ok := r.gate(v1alpha1.WebhookConfirmPromotion)
	if !ok {
		if r.st.Phase != v1alpha1.PhaseWaitingPromotion {
			r.setPhase(v1alpha1.PhaseWaitingPromotion)
			r.halt("waiting for promotion approval " + name)
		}
		return false
	}
	if r.st.Phase == v1alpha1.PhaseWaitingPromotion {
		for _, hook := range r.hooks(v1alpha1.WebhookConfirmPromotion) {
			r.info("Confirm-promotion check %s passed", hook.Name)
		}
	}
	return true
}

// keepWeights sets the route back to the status's weights when it drifted
// (a lost write, a hand edit) and nothing else set it in this decision.
func (r *rollout) keepWeights() {
	if r.asked != nil || r.obs.Weights == nil || !r.analysing() {
		return
	}
	want := r.analysisSplit()
	want.Mirror = r.mirroring()
	if *r.obs.Weights == want || slices.ContainsFunc(r.actions, isSetWeights) {
		return
	}
	r.do(SetWeights(want))
}

func isSetWeights(a Action) bool {
	_, ok := a.(SetWeights)
	return ok
}

// gate reports whether every webhook of a gate type approved; when one did
// not (or has no result), it names it.
func (r *rollout) gate(kind string) (string, bool) {
	for _, hook := range r.hooks(kind) {
		if res, ok := r.webhookResult(hook.Name); !ok || !res.Passed {
			return hook.Name, false
		}
	}
	return "", true
}

// rollbackRequested names a rollback webhook that asked for a rollback.
func (r *rollout) rollbackRequested() (string, bool) {
	for _, hook := range r.hooks(v1alpha1.WebhookRollback) {
		if res, ok := r.webhookResult(hook.Name); ok && res.Passed {
			return hook.Name, true
		}
	}
	return "", false
}

// hooks are the Canary's webhooks of one type; no type means rollout.
func (r *rollout) hooks(kind string) []v1alpha1.CanaryWebhook {
	var hooks []v1alpha1.CanaryWebhook
	for _, hook := range r.obs.Spec.Analysis.Webhooks {
		if hook.Type == kind || hook.Type == "" && kind == v1alpha1.DefaultWebhookType {
			hooks = append(hooks, hook)
		}
	}
	return hooks
}

func (r *rollout) webhookResult(name string) (WebhookResult, bool) {
	if r.obs.Checks == nil {
		return WebhookResult{}, false
	}
	i := slices.IndexFunc(r.obs.Checks.Webhooks, func(res WebhookResult) bool { return res.Name == name })
	if i < 0 {
		return WebhookResult{}, false
	}
	return r.obs.Checks.Webhooks[i], true
}

func (r *rollout) metricVerdict(name string) (MetricVerdict, bool) {
	if r.obs.Checks == nil {
		return MetricVerdict{}, false
	}
	i := slices.IndexFunc(r.obs.Checks.Metrics, func(v MetricVerdict) bool { return v.Name == name })
	if i < 0 {
		return MetricVerdict{}, false
	}
	return r.obs.Checks.Metrics[i], true
}

func orElse(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}
