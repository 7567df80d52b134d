package reconciler

import (
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/manifests"
)

// canaryWith is the Canary detail of namespace flagger with annotations.
func canaryWith(name string, annotations map[string]string) *v1alpha1.Canary {
	return &v1alpha1.Canary{ObjectMeta: metav1.ObjectMeta{Namespace: "flagger", Name: name, Annotations: annotations}}
}

func TestCanaryChangedWakesOnANewRequestOnly(t *testing.T) {
	pause := map[string]string{v1alpha1.RequestAnnotation: "pause", v1alpha1.RequestedByAnnotation: "ana", v1alpha1.RequestedAtAnnotation: "2026-12-07T15:00:00Z"}
	pauseAgain := map[string]string{v1alpha1.RequestAnnotation: "pause", v1alpha1.RequestedByAnnotation: "ana", v1alpha1.RequestedAtAnnotation: "2026-12-07T15:01:00Z"}
	promote := map[string]string{v1alpha1.RequestAnnotation: "promote", v1alpha1.RequestedByAnnotation: "ana", v1alpha1.RequestedAtAnnotation: "2026-12-07T15:00:00Z"}
	for _, tc := range []struct {
		name       string
		old, new   map[string]string
		firstSight bool
		wake       bool
	}{
		{name: "a request written", old: nil, new: pause, wake: true},
		{name: "a Canary first seen with a request", new: pause, firstSight: true, wake: true},
		{name: "a Canary first seen without one", new: map[string]string{"team": "a"}, firstSight: true},
		{name: "another request replaces it", old: pause, new: promote, wake: true},
		{name: "the same request asked again later", old: pause, new: pauseAgain, wake: true},
		{name: "the request unchanged (a status write)", old: pause, new: pause},
		{name: "the request cleared", old: pause, new: nil},
		{name: "another annotation", old: nil, new: map[string]string{"team": "a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Reconciler{wakes: newWakes()}
			var old *v1alpha1.Canary
			if !tc.firstSight {
				old = canaryWith("detail", tc.old)
			}
			r.CanaryChanged(old, canaryWith("detail", tc.new))
			want := map[types.NamespacedName]bool{}
			if tc.wake {
				want[types.NamespacedName{Namespace: "flagger", Name: "detail"}] = true
			}
			if diff := cmp.Diff(want, r.pendingWakes()); diff != "" {
				t.Errorf("woken (-want +got):\n%s", diff)
			}
			if signalled := len(r.wakes.signal) == 1; signalled != tc.wake {
				t.Errorf("Run signalled: %t, want %t", signalled, tc.wake)
			}
		})
	}
}

func TestAWokenStepIsDueNowOrRightAfterTheStepInFlight(t *testing.T) {
	now := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	idle, inFlight, scheduled := canaryWith("idle", nil), canaryWith("in-flight", nil), canaryWith("scheduled", nil)
	key := func(c *v1alpha1.Canary) types.NamespacedName {
		return types.NamespacedName{Namespace: c.Namespace, Name: c.Name}
	}
	r := &Reconciler{wakes: newWakes(), async: newStepper(2), opts: Options{Now: func() time.Time { return now }, Log: slog.New(slog.DiscardHandler)},
		schedule: schedule{
			rendering: &manifests.Rendering{Canaries: []*v1alpha1.Canary{idle, inFlight, scheduled}, Targets: make([]manifests.Target, 3)},
			next:      map[types.NamespacedName]time.Time{key(scheduled): now.Add(time.Minute)},
		}}
	r.async.inflight[key(inFlight)] = true
	request := map[string]string{v1alpha1.RequestAnnotation: "abort"}
	for _, c := range []*v1alpha1.Canary{idle, inFlight, canaryWith("of-another-shard", nil)} {
		r.CanaryChanged(c, canaryWith(c.Name, request))
	}
	r.woken()
	want := map[types.NamespacedName]time.Time{key(idle): now, key(scheduled): now.Add(time.Minute)}
	if diff := cmp.Diff(want, r.schedule.next); diff != "" {
		t.Errorf("next steps after the wake (-want +got):\n%s", diff)
	}
	// The step in flight ends and plans its next a minute away: the wake
	// makes it due now instead.
	r.collect(stepResult{canary: key(inFlight), after: time.Minute})
	if at := r.schedule.next[key(inFlight)]; !at.Equal(now) {
		t.Errorf("the step after the one in flight is due at %s, want now (%s)", at, now)
	}
	r.collect(stepResult{canary: key(idle), after: time.Minute})
	if at := r.schedule.next[key(idle)]; !at.Equal(now.Add(time.Minute)) {
		t.Errorf("a Canary whose wake was taken is due at %s after its step, want its own cadence (%s)", at, now.Add(time.Minute))
	}
}
