package reconciler

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sluicehq/sluice/alerts"
	"github.com/sluicehq/sluice/analysis"
	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/planner"
)

// maxNotifications bounds the event webhook calls and alerts under way at
// once; past it a notification is dropped with a warning, so that a hung
// receiver never holds a rollout step.
const maxNotifications = 32

// eventWebhookTimeout bounds an event webhook call without a timeout of
// its own.
const eventWebhookTimeout = 10 * time.Second

// notifier sends the notifications of Canaries' events: every Event to
// the Canary's webhooks of type event, and each alert milestone to its
// alerts' providers. Both go out on their own goroutines.
type notifier struct {
	sender *alerts.Sender
	// slots holds a token per notification under way.
	slots chan struct{}
}

func newNotifier(webhooks analysis.WebhooksOptions) (*notifier, error) {
	dial, err := analysis.NewDialer(webhooks.Allow)
	if err != nil {
		return nil, err
	}
	return &notifier{sender: alerts.NewSender(alerts.SenderOptions{DialContext: dial}), slots: make(chan struct{}, maxNotifications)}, nil
}

// goSend runs send on its own goroutine unless maxNotifications are under
// way, with a context that outlives the step but not timeout.
func (r *Reconciler) goSend(ctx context.Context, canary *v1alpha1.Canary, what string, timeout time.Duration, send func(context.Context)) {
	select {
	case r.notifier.slots <- struct{}{}:
	default:
		r.opts.Log.Warn(fmt.Sprintf("Dropped %s: %d notifications are under way", what, maxNotifications), "canary", canary.Name+"."+canary.Namespace)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	go func() {
		defer func() { <-r.notifier.slots }()
		defer cancel()
		send(ctx)
	}()
}

// callEventWebhooks sends an Event of canary to each of its webhooks of
// type event, as Flagger does: the payload's metadata holds eventType,
// eventMessage and timestamp. A failed call is logged.
func (r *Reconciler) callEventWebhooks(ctx context.Context, canary *v1alpha1.Canary, eventType, message string) {
	if r.webhooks == nil || r.notifier == nil {
		return
	}
	snapshot := canary.DeepCopy()
	event := analysis.Event{Type: eventType, Message: message, Time: r.opts.Now()}
	for _, hook := range snapshot.Spec.Analysis.Webhooks {
		if hook.Type != v1alpha1.WebhookEvent {
			continue
		}
		timeout := eventWebhookTimeout
		if d, err := time.ParseDuration(hook.Timeout); err == nil && d > 0 {
			timeout = d
		}
		r.goSend(ctx, snapshot, "event webhook "+hook.Name, timeout, func(ctx context.Context) {
			res := r.webhooks.CallEvent(ctx, snapshot, hook, snapshot.Status.Phase, snapshot.Status.LastAppliedRevision, event)
			if !res.Passed {
				r.opts.Log.Warn(fmt.Sprintf("Event webhook %s failed %s", hook.Name, res.Message), "canary", snapshot.Name+"."+snapshot.Namespace)
			}
		})
	}
}

// sendAlerts sends a message that is an alert (msg.Alert set) to each of
// the Canary's alerts whose severity admits it. A provider that cannot be
// read or answers an error is logged, never quoting its address.
func (r *Reconciler) sendAlerts(ctx context.Context, canary *v1alpha1.Canary, msg planner.Message) {
	if msg.Alert == "" || r.notifier == nil {
		return
	}
	id := canary.Name + "." + canary.Namespace
	message := alerts.Message{
		Canary: id, Severity: alerts.Severity(msg.Alert), Text: msg.Text, Phase: string(canary.Status.Phase),
		Fields: map[string]string{"Target": canary.Spec.TargetRef.Kind + "/" + canary.Spec.TargetRef.Name + "." + canary.Namespace},
	}
	if commit := canary.Status.LastAppliedCommitShort; commit != "" {
		message.Fields["Commit"] = commit
	}
	for _, alert := range canary.Spec.Analysis.Alerts {
		if !alerts.Severity(alert.Severity).Admits(message.Severity) {
			continue
		}
		namespace := alert.ProviderRef.Namespace
		if namespace == "" {
			namespace = canary.Namespace
		}
		r.goSend(ctx, canary, "alert "+alert.Name, alerts.DefaultTimeout, func(ctx context.Context) {
			provider, err := r.alertProvider(ctx, namespace, alert.ProviderRef.Name)
			if err == nil {
				err = r.notifier.sender.Send(ctx, provider, message)
			}
			if err != nil {
				r.opts.Log.Warn(fmt.Sprintf("Alert %s could not be sent: %v", alert.Name, err), "canary", id)
			}
		})
	}
}

// alertProvider reads the AlertProvider namespace/name and the Secret of
// its secretRef, whose key address overrides spec.address and key proxy
// spec.proxy (Flagger's keys), and resolves them for sending, with
// Flagger's defaults for an empty channel and username.
func (r *Reconciler) alertProvider(ctx context.Context, namespace, name string) (alerts.Provider, error) {
	subject := fmt.Sprintf("AlertProvider %s/%s", namespace, name)
	var ap v1alpha1.AlertProvider
	if err := r.client.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, &ap); err != nil {
		if apierrors.IsNotFound(err) {
			return alerts.Provider{}, fmt.Errorf("%s: not found", subject)
		}
		return alerts.Provider{}, fmt.Errorf("%s: read: %w", subject, err)
	}
	if err := ap.Validate(); err != nil {
		return alerts.Provider{}, err
	}
	provider := alerts.Provider{Name: name, Namespace: namespace, Type: ap.Spec.Type, Address: ap.Spec.Address,
		Channel: ap.Spec.Channel, Username: ap.Spec.Username, Proxy: ap.Spec.Proxy}
	if provider.Channel == "" {
		provider.Channel = "general"
	}
	if provider.Username == "" {
		provider.Username = "sluice"
	}
	if ref := ap.Spec.SecretRef; ref != nil {
		var secret corev1.Secret
		if err := r.client.Get(ctx, types.NamespacedName{Namespace: namespace, Name: ref.Name}, &secret); err != nil {
			return alerts.Provider{}, fmt.Errorf("%s: secret %s of spec.secretRef: %w", subject, ref.Name, notFoundOr(err))
		}
		if address, ok := secret.Data["address"]; ok {
			provider.Address = string(address)
		}
		if proxy, ok := secret.Data["proxy"]; ok {
			provider.Proxy = string(proxy)
		}
	}
	if provider.Address == "" {
		return alerts.Provider{}, fmt.Errorf("%s: no address: set spec.address or key address of the Secret of spec.secretRef", subject)
	}
	return provider, nil
}

// notFoundOr words a not-found error shortly and keeps any other.
func notFoundOr(err error) error {
	if apierrors.IsNotFound(err) {
		return errors.New("not found")
	}
	return err
}
