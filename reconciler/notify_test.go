package reconciler_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// receiver records the bodies POSTed to it.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies = append(r.bodies, string(body))
		r.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) received() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.bodies)
}

// waitFor waits until some body the receiver got holds each of texts.
func (r *receiver) waitFor(t *testing.T, what string, texts ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		missing := ""
		for _, text := range texts {
			if !slices.ContainsFunc(r.received(), func(body string) bool { return strings.Contains(body, text) }) {
				missing = text
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: nothing received holds %q; received:\n%s", what, missing, strings.Join(r.received(), "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A Flagger repository's alerting: a Slack AlertProvider whose webhook URL
// is in a Secret, a generic one for errors only, and a webhook of type
// event. The milestones reach Slack in Slack's shape, only the rollback
// reaches the errors-only receiver, every event reaches the event webhook,
// and the Slack URL's token appears in no log line.
func TestAlertsAndEventWebhooksFollowTheRollout(t *testing.T) {
	t.Parallel() // see parallel_test.go
	ns := playgroundtest.Namespace(t)
	exporter := startRequestsExporter(t, ns, "detail")
	slack, errorsOnly, events := newReceiver(t), newReceiver(t), newReceiver(t)
	const token = "T000-B000-XXXXsecretXXXX"
	slackURL := slack.URL + "/services/" + token
	providers := `apiVersion: flagger.app/v1beta1
kind: AlertProvider
metadata: {name: on-call}
spec:
  type: slack
  channel: deploys
  secretRef: {name: slack-url}
---
apiVersion: v1
kind: Secret
metadata: {name: slack-url}
stringData: {address: "` + slackURL + `"}
---
apiVersion: flagger.app/v1beta1
kind: AlertProvider
metadata: {name: pager}
spec:
  type: generic
  address: ` + errorsOnly.URL + `
`
	canary := `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: detail}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: detail}
  provider: gatewayapi
  service:
    port: 3000
    gatewayRefs: [{name: public, namespace: gateway}]
  progressDeadlineSeconds: 60
  analysis:
    interval: 3s
    threshold: 1
    stepWeight: 5
    maxWeight: 10
    alerts:
    - {name: on-call, severity: info, providerRef: {name: on-call}}
    - {name: pager, severity: error, providerRef: {name: pager}}
    metrics:
    - name: request-success-rate
      thresholdRange: {min: 99}
      interval: 10s
    webhooks:
    - {name: audit, type: event, url: "` + events.URL + `"}
`
	repo := newGitRepo(t)
	repo.commit("detail 1.0 with alerts", map[string]*string{
		"kustomization.yaml": text("resources: [deployment.yaml, canary.yaml, settings.yaml, providers.yaml]\n"),
		"deployment.yaml":    text(deploymentYAML("1.0")),
		"canary.yaml":        text(canary),
		"settings.yaml":      text(settingsYAML("blue")),
		"providers.yaml":     text(providers),
	})
	var logs logLines
	h := newHarness(t, repo, ns, func(o *reconciler.Options) {
		o.PrometheusURL = playgroundtest.Playground().Prometheus.URL
		o.Log = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	h.settle()
	id := "detail." + ns

	repo.commit("detail 2.0", map[string]*string{"deployment.yaml": text(deploymentYAML("2.0"))})
	h.rollUntil("the promotion of 2.0", phaseIs(v1alpha1.PhaseSucceeded))
	slack.waitFor(t, "Slack after the promotion", "New revision detected! Scaling up "+id, "Promotion completed! Scaling down "+id)
	for _, body := range slack.received() {
		var msg struct {
			Channel     string `json:"channel"`
			Username    string `json:"username"`
			Attachments []struct {
				Color string `json:"color"`
				Text  string `json:"text"`
			} `json:"attachments"`
		}
		if err := json.Unmarshal([]byte(body), &msg); err != nil || msg.Channel != "deploys" || msg.Username != "sluice" || len(msg.Attachments) != 1 {
			t.Errorf("Slack got %s (%v), want Slack's shape for channel deploys from sluice", body, err)
		}
	}
	events.waitFor(t, "the event webhook", "Advance "+id+" canary weight 5", "Promotion completed! Scaling down "+id, `"eventType":"Normal"`)
	if got := errorsOnly.received(); len(got) != 0 {
		t.Errorf("the errors-only provider got %d alerts for a promotion: %q", len(got), got)
	}

	repo.commit("detail 3.0", map[string]*string{"deployment.yaml": text(deploymentYAML("3.0"))})
	h.rollUntil("weight 5 for 3.0", func(st v1alpha1.CanaryStatus) bool { return st.CanaryWeight == 5 })
	exporter.setSuccessRate(0.2)
	h.rollUntil("the rollback of 3.0", phaseIs(v1alpha1.PhaseFailed))
	rollback := "Rolling back " + id + " failed checks threshold reached 1"
	slack.waitFor(t, "Slack after the rollback", rollback)
	errorsOnly.waitFor(t, "the errors-only provider after the rollback", rollback, `"severity":"error"`)
	events.waitFor(t, "the event webhook after the rollback", "Halt "+id+" advancement success rate", `"eventType":"Warning"`)
	if got := errorsOnly.received(); len(got) != 1 {
		t.Errorf("the errors-only provider got %d alerts, want the rollback only: %q", len(got), got)
	}
	if strings.Contains(logs.String(), token) || strings.Contains(strings.Join(h.canaryEvents(), "\n"), token) {
		t.Error("the Slack webhook's token reached a log line or an Event")
	}
}
