package planner

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecideDeparture(t *testing.T) {
	obs := DepartureObservation{Name: "detail", Namespace: "shop", Target: "detail"}
	cases := []struct {
		name string
		mut  func(*DepartureObservation)
		want DepartureDecision
	}{
		{"a Canary that left with its target goes at once", func(o *DepartureObservation) {},
			DepartureDecision{Message: "Canary detail.shop left Git with its target: removing detail-primary.shop, its Services and routing"}},
		{"the primary serves until the target that stays in Git is ready", func(o *DepartureObservation) { o.TargetInGit = true },
			DepartureDecision{Hold: true, Message: "Canary detail.shop left Git: detail-primary.shop serves until detail.shop is ready to take the traffic over"}},
		{"a ready target takes over", func(o *DepartureObservation) { o.TargetInGit, o.TargetReady = true, true },
			DepartureDecision{Message: "Canary detail.shop left Git: detail.shop is ready; removing detail-primary.shop, its Services and routing"}},
		// A target that leaves its replicas to an autoscaler stays at the
		// zero sluice scaled the canary to, and a Deployment at zero is
		// "ready": without this the primary went and nothing served.
		{"a target at zero that Git gives no replicas is scaled to the primary's first", func(o *DepartureObservation) {
			o.TargetInGit, o.TargetReady, o.TargetScaledDown, o.PrimaryReplicas = true, true, true, 4
		}, DepartureDecision{Hold: true, ScaleTarget: 4, Message: "Canary detail.shop left Git: scaling detail.shop up to 4 replicas, as detail-primary.shop runs, to take the traffic over"}},
		{"to 1 at least", func(o *DepartureObservation) { o.TargetInGit, o.TargetScaledDown = true, true },
			DepartureDecision{Hold: true, ScaleTarget: 1, Message: "Canary detail.shop left Git: scaling detail.shop up to 1 replicas, as detail-primary.shop runs, to take the traffic over"}},
		// A DaemonSet canary rests on no node (a node selector applying Git
		// keeps) and counts as ready there: it is put back on its nodes first.
		{"a DaemonSet at rest is put back on its nodes first", func(o *DepartureObservation) {
			o.TargetInGit, o.TargetReady, o.TargetScaledDown, o.DaemonSet = true, true, true, true
		}, DepartureDecision{Hold: true, ScaleTarget: 1, Message: "Canary detail.shop left Git: putting detail.shop back on its nodes to take the traffic over from detail-primary.shop"}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			o := obs
			tt.mut(&o)
			if diff := cmp.Diff(tt.want, DecideDeparture(o)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
