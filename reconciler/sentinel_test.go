package reconciler_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-github/v60/github"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// The sentinels stand in every place a secret lives: the Git and forge
// token, a webhook's metadata, a Secret's data, a secretGenerator literal,
// an env value. None may come out anywhere sluice writes.
var sentinels = map[string]string{
	"token":     "SENTINEL-T0KEN-6a1f",
	"metadata":  "SENTINEL-H00K-93bd",
	"secret":    "SENTINEL-SECR3T-71c2",
	"generator": "SENTINEL-GENER8-0e44",
	"env":       "SENTINEL-ENVV4L-5d90",
}

func sentinelFiles(tag, gate string) map[string]string {
	deployment := strings.Replace(deploymentYAML(tag), "        ports: [{containerPort: 3000}]\n",
		"        ports: [{containerPort: 3000}]\n        env: [{name: MODE, value: "+sentinels["env"]+"}]\n"+
			"        envFrom: [{secretRef: {name: detail-secret}}, {secretRef: {name: detail-gen}}]\n", 1)
	canary := strings.Replace(seedCanaryYAML(gate), `metadata: {type: bash, cmd: "curl -sf http://detail-canary:3000/catalogDetail"}`,
		`metadata: {type: bash, cmd: "curl -sf -H 'Authorization: Bearer `+sentinels["metadata"]+`' http://detail-canary:3000/"}`, 1)
	canary = strings.Replace(canary, "    metrics:\n    - name: request-success-rate\n      thresholdRange: {min: 99}\n      interval: 10s\n", "", 1)
	return map[string]string{
		"kustomization.yaml": "resources: [detail/deployment.yaml, detail/canary.yaml, detail/secret.yaml]\n" +
			"secretGenerator:\n- name: detail-gen\n  literals: [API_KEY=" + sentinels["generator"] + "]\n",
		"detail/deployment.yaml": deployment,
		"detail/canary.yaml":     canary,
		"detail/secret.yaml":     "apiVersion: v1\nkind: Secret\nmetadata: {name: detail-secret}\nstringData: {password: " + sentinels["secret"] + "}\n",
	}
}

// TestNoSecretComesOutAnywhere plays the story — install, a promotion, a
// rollback whose webhook echoes its payload (as Flagger's load tester
// does), the revert pull request — with sentinels in every secret place,
// and greps everything sluice wrote: logs, Events, the Canary's status and
// conditions, commit statuses, pull request titles and bodies, /metrics.
func TestNoSecretComesOutAnywhere(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	var failing atomic.Bool
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if failing.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte("command failed: " + string(body)))
		}
	}))
	defer echo.Close()
	repo := newForgeRepoWithToken(t, sentinels["token"])
	first := repo.push("detail 1.0", sentinelFiles("1.0", echo.URL))
	var logs logLines
	reg := prometheus.NewRegistry()
	h := forgeHarness(t, repo, ns, &logs, func(o *reconciler.Options) { o.Metrics = reg })
	h.settle()

	promoted := repo.mergePR("detail 2.0", map[string]string{"detail/deployment.yaml": sentinelFiles("2.0", echo.URL)["detail/deployment.yaml"]})
	h.rollUntil("2.0 promoted", phaseIs(v1alpha1.PhaseSucceeded))
	failing.Store(true)
	failed := repo.mergePR("detail 3.0", map[string]string{"detail/deployment.yaml": sentinelFiles("3.0", echo.URL)["detail/deployment.yaml"]})
	st := h.rollUntil("the revert pull request", func(st v1alpha1.CanaryStatus) bool { return st.RevertPullRequest != 0 })
	if st.Phase != v1alpha1.PhaseFailed {
		t.Fatalf("phase %s, want Failed", st.Phase)
	}

	outputs := map[string]string{"logs": logs.String()}
	var events corev1.EventList
	if err := h.client.List(context.Background(), &events, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, e := range events.Items {
		outputs["events"] += e.Message + "\n"
	}
	status, _ := json.Marshal(h.canary().Status)
	outputs["canary status and conditions"] = string(status)
	for _, sha := range []string{first, promoted, failed} {
		list, _, err := repo.user.Repositories.ListStatuses(context.Background(), "shop", "fleet", sha, &github.ListOptions{PerPage: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range list {
			outputs["commit statuses"] += s.GetDescription() + " " + s.GetTargetURL() + "\n"
		}
	}
	for _, pr := range repo.pulls() {
		outputs["pull requests"] += pr.GetTitle() + "\n" + pr.GetBody() + "\n"
	}
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	outputs["metrics"] = rec.Body.String()

	for place, text := range outputs {
		if text == "" {
			t.Errorf("%s: nothing was collected; the test would prove nothing", place)
		}
		for what, sentinel := range sentinels {
			if strings.Contains(text, sentinel) {
				t.Errorf("the %s sentinel comes out in %s", what, place)
			}
		}
	}
	if !strings.Contains(outputs["events"], "command failed:") {
		t.Errorf("the webhook's answer is not in any Event; the test does not exercise its redaction:\n%s", outputs["events"])
	}
}
