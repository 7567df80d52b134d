package reconciler

import (
	"context"
	"fmt"
	"log/slog"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/kubernetes"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// eventRecorder writes each message twice: a JSON log line and a Kubernetes
// Event on the Canary, so that `kubectl describe canary` tells the same
// story as the logs.
type eventRecorder struct {
	events kubernetes.Interface
	log    *slog.Logger
	// onEvent, when set, is told every message recorded (the event
	// webhooks: notify.go).
	onEvent func(ctx context.Context, canary *v1alpha1.Canary, eventType, msg string)
}

func newEventRecorder(events kubernetes.Interface, log *slog.Logger) *eventRecorder {
	return &eventRecorder{events: events, log: log}
}

// record logs msg for canary and creates an Event of type eventType
// ("Normal" or "Warning"). A failure to create the Event is logged, never
// returned: events are best effort.
func (r *eventRecorder) record(ctx context.Context, canary *v1alpha1.Canary, eventType, reason, msg string) {
	level := slog.LevelInfo
	if eventType == corev1.EventTypeWarning {
		level = slog.LevelWarn
	}
	r.log.Log(ctx, level, msg, "canary", canary.Name+"."+canary.Namespace)
	if r.onEvent != nil {
		r.onEvent(ctx, canary, eventType, msg)
	}
	if r.events == nil {
		return
	}
	now := metav1.Now()
	event := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s.%s", canary.Name, rand.String(10)), Namespace: canary.Namespace},
		InvolvedObject: corev1.ObjectReference{
			APIVersion: v1alpha1.GroupVersion.String(), Kind: "Canary",
			Name: canary.Name, Namespace: canary.Namespace, UID: canary.UID, ResourceVersion: canary.ResourceVersion,
		},
		Reason: reason, Message: msg, Type: eventType,
		Source:         corev1.EventSource{Component: "sluice"},
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
	}
	if _, err := r.events.CoreV1().Events(canary.Namespace).Create(ctx, event, metav1.CreateOptions{}); err != nil {
		r.log.Warn("Could not record event", "canary", canary.Name+"."+canary.Namespace, "error", err.Error())
	}
}
