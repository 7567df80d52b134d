package manifests

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/types"
)

// appsSharingConfigs is a checkout of two apps, each with a Canary and its own
// ConfigMap, both reading a shared one, and a Job that reads a third.
func appsSharingConfigs(detailGreeting, shared string) map[string]string {
	app := func(name, greeting string) string {
		return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ` + name + `}
spec:
  selector: {matchLabels: {app: ` + name + `}}
  template:
    metadata: {labels: {app: ` + name + `}}
    spec:
      containers:
      - name: app
        image: example.com/` + name + `:1.0
        envFrom: [{configMapRef: {name: shared}}, {configMapRef: {name: ` + name + `-config}}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ` + name + `-config}
data: {greeting: ` + greeting + `}
---
apiVersion: sluice.dev/v1alpha1
kind: Canary
metadata: {name: ` + name + `}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: ` + name + `}
  provider: kubernetes
  service: {port: 80}
  analysis: {interval: 1m, threshold: 1, iterations: 2, webhooks: [{name: gate, type: pre-rollout, url: "http://gate/"}]}
`
	}
	return map[string]string{
		"detail.yaml":   app("detail", detailGreeting),
		"frontend.yaml": app("frontend", "hello"),
		"shared.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared}\ndata: {color: " + shared + "}\n",
		"job.yaml": `apiVersion: batch/v1
kind: CronJob
metadata: {name: report}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: report, image: report, env: [{name: X, valueFrom: {configMapKeyRef: {name: detail-config, key: greeting}}}]}]
`,
	}
}

func TestScopeHoldsWhatBelongsToOneTargetAlone(t *testing.T) {
	files := appsSharingConfigs("hello", "blue")
	// The report job reads detail's config: it is not detail's alone.
	rendering, err := Render(writeRepo(t, files, nil), ".", Options{DefaultNamespace: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	got := rendering.Scope(types.NamespacedName{Namespace: "shop", Name: "frontend"})
	want := map[ObjectKey]bool{
		{Group: "sluice.dev", Kind: "Canary", Namespace: "shop", Name: "frontend"}: true,
		{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "frontend"}:   true,
		{Kind: "ConfigMap", Namespace: "shop", Name: "frontend-config"}:            true,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("scope of frontend (-want +got):\n%s", diff)
	}
	detail := rendering.Scope(types.NamespacedName{Namespace: "shop", Name: "detail"})
	if detail[ObjectKey{Kind: "ConfigMap", Namespace: "shop", Name: "detail-config"}] {
		t.Error("detail-config is in detail's scope although the report CronJob reads it too")
	}
	if got := rendering.Describe(ObjectKey{Kind: "ConfigMap", Namespace: "shop", Name: "shared"}); got != "ConfigMap shared.shop (canary detail.shop, frontend.shop)" {
		t.Errorf("Describe(shared) = %q", got)
	}
	if n := len(rendering.Scope(types.NamespacedName{Namespace: "shop", Name: "missing"})); n != 0 {
		t.Errorf("scope of a Canary the rendering lacks has %d objects, want none", n)
	}
}

func TestDifferencesListWhatTwoRenderingsDoNotHaveAlike(t *testing.T) {
	render := func(files map[string]string) *Rendering {
		t.Helper()
		r, err := Render(writeRepo(t, files, nil), ".", Options{DefaultNamespace: "shop"})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	base := render(appsSharingConfigs("hello", "blue"))
	if diff := Differences(base, render(appsSharingConfigs("hello", "blue"))); len(diff) != 0 {
		t.Errorf("equal renderings differ in %v", diff)
	}
	changed := appsSharingConfigs("hi", "green")
	delete(changed, "job.yaml")
	changed["frontend.yaml"] = strings.Replace(changed["frontend.yaml"], "iterations: 2", "iterations: 3", 1)
	var got []string
	for _, key := range Differences(base, render(changed)) {
		got = append(got, key.String())
	}
	want := []string{"Canary.sluice.dev frontend.shop", "ConfigMap detail-config.shop", "ConfigMap shared.shop", "CronJob.batch report.shop"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("differences (-want +got):\n%s", diff)
	}
}
