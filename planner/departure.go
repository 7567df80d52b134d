package planner

import "fmt"

// DepartureObservation is what the reconciler knows, at a sync, of a
// Canary that left Git while sluice still owns what it generated for it:
// the primary, its Services, its routing objects and config copies.
type DepartureObservation struct {
	// Name and Namespace of the Canary; Target names its target
	// Deployment.
	Name, Namespace, Target string
	// TargetInGit: the rendering still has the target Deployment (the
	// Canary left, the app stays), and this sync applied it as Git has it.
	TargetInGit bool
	// TargetReady: the target, as applied, has rolled out every replica
	// Git asks for.
	TargetReady bool
	// TargetScaledDown: the target asks for zero replicas while Git sets
	// none (it leaves them to an autoscaler, say). It is still the canary
	// sluice scaled down, which applying Git does not scale up, and an
	// autoscaler does not act on a Deployment at zero.
	TargetScaledDown bool
	// PrimaryReplicas is what the primary asks for; zero when unknown.
	PrimaryReplicas int32
	// DaemonSet: the target is a DaemonSet, scaled down by a node
	// selector that matches no node rather than to zero replicas.
	DaemonSet bool
}

// DepartureDecision says what becomes of a departed Canary's objects.
type DepartureDecision struct {
	// Hold keeps the primary, its Services, routing objects and config
	// copies serving, and defers the objects of Git that replace them,
	// until the target can take the traffic over. False removes them (and
	// applies the replacements).
	Hold bool
	// ScaleTarget, when not zero, is the replicas to scale the target to
	// before it can take over (it comes with Hold).
	ScaleTarget int32
	// Message says what happens, for the log.
	Message string
}

// DecideDeparture decides the hand-over of a Canary that left Git, as
// Flagger's revertOnDeletion does but without a gap: when the app stays
// in Git, its target (now applied as Git has it, with its replicas) takes
// the traffic over only once it is ready; until then the primary and its
// routing keep serving. A target that Git gives no replicas is first
// scaled to the primary's (at least 1), as Flagger's finalizer does: at
// zero it would be "ready" with nothing to serve. When the target left
// with the Canary, everything goes at once.
func DecideDeparture(obs DepartureObservation) DepartureDecision {
	id := obs.Name + "." + obs.Namespace
	switch {
	case !obs.TargetInGit:
		return DepartureDecision{Message: fmt.Sprintf("Canary %s left Git with its target: removing %s-primary.%s, its Services and routing", id, obs.Target, obs.Namespace)}
	case obs.TargetScaledDown && obs.DaemonSet:
		return DepartureDecision{Hold: true, ScaleTarget: 1, Message: fmt.Sprintf("Canary %s left Git: putting %s.%s back on its nodes to take the traffic over from %s-primary.%s", id, obs.Target, obs.Namespace, obs.Target, obs.Namespace)}
	case obs.TargetScaledDown:
		replicas := max(obs.PrimaryReplicas, 1)
		return DepartureDecision{Hold: true, ScaleTarget: replicas, Message: fmt.Sprintf("Canary %s left Git: scaling %s.%s up to %d replicas, as %s-primary.%s runs, to take the traffic over", id, obs.Target, obs.Namespace, replicas, obs.Target, obs.Namespace)}
	case !obs.TargetReady:
		return DepartureDecision{Hold: true, Message: fmt.Sprintf("Canary %s left Git: %s-primary.%s serves until %s.%s is ready to take the traffic over", id, obs.Target, obs.Namespace, obs.Target, obs.Namespace)}
	}
	return DepartureDecision{Message: fmt.Sprintf("Canary %s left Git: %s.%s is ready; removing %s-primary.%s, its Services and routing", id, obs.Target, obs.Namespace, obs.Target, obs.Namespace)}
}
