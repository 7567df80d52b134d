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
}

// DepartureDecision says what becomes of a departed Canary's objects.
type DepartureDecision struct {
	// Hold keeps the primary, its Services, routing objects and config
	// copies serving, and defers the objects of Git that replace them,
	// until the target can take the traffic over. False removes them (and
	// applies the replacements).
	Hold bool
	// Message says what happens, for the log.
	Message string
}

// DecideDeparture decides the hand-over of a Canary that left Git, as
// Flagger's revertOnDeletion does but without a gap: when the app stays
// in Git, its target (now applied as Git has it, with its replicas) takes
// the traffic over only once it is ready; until then the primary and its
// routing keep serving. When the target left with the Canary, everything
// goes at once.
func DecideDeparture(obs DepartureObservation) DepartureDecision {
	id := obs.Name + "." + obs.Namespace
	switch {
	case !obs.TargetInGit:
		return DepartureDecision{Message: fmt.Sprintf("Canary %s left Git with its target: removing %s-primary.%s, its Services and routing", id, obs.Target, obs.Namespace)}
	case !obs.TargetReady:
		return DepartureDecision{Hold: true, Message: fmt.Sprintf("Canary %s left Git: %s-primary.%s serves until %s.%s is ready to take the traffic over", id, obs.Target, obs.Namespace, obs.Target, obs.Namespace)}
	}
	return DepartureDecision{Message: fmt.Sprintf("Canary %s left Git: %s.%s is ready; removing %s-primary.%s, its Services and routing", id, obs.Target, obs.Namespace, obs.Target, obs.Namespace)}
}
