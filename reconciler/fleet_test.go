package reconciler

import (
	"fmt"
	"slices"
	"strings"
)

// Fleet is a repository of several apps laid out as real ones are: a root
// kustomization lists every app, sets their image tags (images:) and
// pulls in a shared component (common/) that adds LOG_LEVEL to every
// Deployment; a shared ConfigMap (shared.yaml) is read by every app. Each
// app has its own directory with a Deployment, a ConfigMap of its own
// and a Canary. Tests change it field by field and commit Files.
//
// Every field sits on a line of its own, with an unchanged line between
// any two, so each change is a hunk of its own.
type Fleet struct {
	// Apps are the apps, in the order the root lists them.
	Apps []*FleetApp
	// LogLevel is the LOG_LEVEL the common component gives every app.
	LogLevel string
	// Shared is the data of the ConfigMap every app reads.
	Shared string
	// RootNote is a comment in the root kustomization.
	RootNote int
	// Webhook is the URL of every Canary's pre-rollout webhook.
	Webhook string
}

// FleetApp is one app of a Fleet.
type FleetApp struct {
	Name string
	// Tag is the image tag the root kustomization sets.
	Tag string
	// Mode is the value of the env variable APP_MODE.
	Mode string
	// Greeting is the data of the app's own ConfigMap <name>-config.
	Greeting string
	// Retry is a pod template annotation: a retry bumps it.
	Retry int
	// Replicas of the Deployment: not part of the revision.
	Replicas int
	// Note is a comment at the end of the app's deployment.yaml.
	Note int
	// NoCanary leaves the Canary out: the app is a plain Deployment.
	NoCanary bool
}

// NewFleet returns a fleet of the named apps at tag 1.0.
func NewFleet(webhook string, apps ...string) *Fleet {
	f := &Fleet{LogLevel: "info", Shared: "blue", Webhook: webhook}
	for _, name := range apps {
		f.Add(name)
	}
	return f
}

// Add adds an app at tag 1.0 and returns it.
func (f *Fleet) Add(name string) *FleetApp {
	app := &FleetApp{Name: name, Tag: "1.0", Mode: "a", Greeting: "hello", Replicas: 2}
	f.Apps = append(f.Apps, app)
	return app
}

// App returns the app of that name.
func (f *Fleet) App(name string) *FleetApp {
	for _, app := range f.Apps {
		if app.Name == name {
			return app
		}
	}
	panic("no app " + name)
}

// Clone returns a deep copy.
func (f *Fleet) Clone() *Fleet {
	c := *f
	c.Apps = make([]*FleetApp, len(f.Apps))
	for i, app := range f.Apps {
		copied := *app
		c.Apps[i] = &copied
	}
	return &c
}

// Files renders the fleet's repository.
func (f *Fleet) Files() map[string]string {
	var root strings.Builder
	fmt.Fprintf(&root, "# the fleet of the shop, note %d\nresources:\n- shared.yaml\n", f.RootNote)
	for _, app := range f.Apps {
		fmt.Fprintf(&root, "- %s\n", app.Name)
	}
	root.WriteString("components:\n- common\nimages:\n")
	// Newer apps come first, so that adding one never touches the lines
	// next to another app's tag.
	for _, app := range slices.Backward(f.Apps) {
		fmt.Fprintf(&root, "- name: example.com/%s\n  newTag: %q\n", app.Name, app.Tag)
	}
	files := map[string]string{
		"kustomization.yaml": root.String(),
		"shared.yaml":        fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared-settings\ndata:\n  color: %s\n", f.Shared),
		"common/kustomization.yaml": fmt.Sprintf(`apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
patches:
- target:
    kind: Deployment
  patch: |-
    - op: add
      path: /spec/template/spec/containers/0/env/-
      value:
        name: LOG_LEVEL
        value: %q
`, f.LogLevel),
	}
	for _, app := range f.Apps {
		for name, content := range app.files(f.Webhook) {
			files[app.Name+"/"+name] = content
		}
	}
	return files
}

// files renders the app's directory.
func (a *FleetApp) files(webhook string) map[string]string {
	kustomization := "resources:\n- deployment.yaml\n- config.yaml\n- canary.yaml\n"
	if a.NoCanary {
		kustomization = "resources:\n- deployment.yaml\n- config.yaml\n"
	}
	return map[string]string{
		"kustomization.yaml": kustomization,
		"deployment.yaml": fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
spec:
  replicas: %[2]d
  selector:
    matchLabels:
      app: %[1]s
  template:
    metadata:
      labels:
        app: %[1]s
      annotations:
        sluice.dev/retry: "%[3]d"
    spec:
      containers:
      - name: %[1]s
        image: example.com/%[1]s:0.0
        ports:
        - containerPort: 3000
        env:
        - name: APP_MODE
          value: %[4]q
        - name: GREETING
          valueFrom:
            configMapKeyRef:
              name: %[1]s-config
              key: greeting
        envFrom:
        - configMapRef:
            name: shared-settings
# note %[5]d
`, a.Name, a.Replicas, a.Retry, a.Mode, a.Note),
		"config.yaml": fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s-config\ndata:\n  greeting: %s\n", a.Name, a.Greeting),
		"canary.yaml": fmt.Sprintf(`apiVersion: sluice.dev/v1alpha1
kind: Canary
metadata:
  name: %[1]s
spec:
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: %[1]s
  provider: gatewayapi
  service:
    port: 3000
    gatewayRefs:
    - name: public
      namespace: gateway
    hosts:
    - %[1]s.example.com
  analysis:
    interval: 2s
    threshold: 1
    stepWeight: 5
    maxWeight: 10
    webhooks:
    - name: gate
      type: pre-rollout
      url: %[2]s
`, a.Name, webhook),
	}
}
