package manifests

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// edit replaces old with new in a file of a checkout, failing when old is
// not there.
func edit(t *testing.T, root, name, old, new string) {
	t.Helper()
	content := readFile(t, root, name)
	if !strings.Contains(content, old) {
		t.Fatalf("%s does not contain %q", name, old)
	}
	writeFile(t, root, name, strings.Replace(content, old, new, 1))
}

// seedRevision renders the seed repository at root and returns the
// revision of its one target.
func seedRevision(t *testing.T, root string) string {
	t.Helper()
	rendering, err := Render(root, ".", Options{})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if len(rendering.Targets) != 1 {
		t.Fatalf("got %d targets, want 1", len(rendering.Targets))
	}
	return rendering.Targets[0].Revision
}

func TestRevisionFollowsThePodTemplateAndItsConfigs(t *testing.T) {
	tests := []struct {
		name       string
		change     func(t *testing.T, root string)
		wantChange bool
	}{
		{
			name:       "the image changes",
			change:     func(t *testing.T, root string) { edit(t, root, "detail/deployment.yaml", "detail:1.0", "detail:2.0") },
			wantChange: true,
		},
		{
			name: "an annotation of the pod template changes",
			change: func(t *testing.T, root string) {
				edit(t, root, "detail/deployment.yaml", `prometheus.io/scrape: "true"`, `prometheus.io/scrape: "true"
        sluice.dev/retry: "1"`)
			},
			wantChange: true,
		},
		{
			name: "the data of the mounted ConfigMap changes",
			change: func(t *testing.T, root string) {
				edit(t, root, "detail/configmap.yaml", "catalog.size=20", "catalog.size=21")
			},
			wantChange: true,
		},
		{
			name: "the image changes through an images transformer",
			change: func(t *testing.T, root string) {
				edit(t, root, "detail/kustomization.yaml", "namespace: flagger", "namespace: flagger\nimages: [{name: public.ecr.aws/u2g6w7p2/eks-microservice-demo/detail, newTag: '3.0'}]")
			},
			wantChange: true,
		},
		{
			name:   "only the replicas change",
			change: func(t *testing.T, root string) { edit(t, root, "detail/deployment.yaml", "replicas: 2", "replicas: 5") },
		},
		{
			name: "only the replicas change through a replicas transformer",
			change: func(t *testing.T, root string) {
				edit(t, root, "detail/kustomization.yaml", "namespace: flagger", "namespace: flagger\nreplicas: [{name: detail, count: 9}]")
			},
		},
		{
			name: "only the Deployment's own labels and strategy change",
			change: func(t *testing.T, root string) {
				edit(t, root, "detail/deployment.yaml", "  labels:\n    app: detail\nspec:\n", "  labels:\n    app: detail\n    team: catalog\nspec:\n  strategy: {type: Recreate}\n")
			},
		},
		{
			name: "the data of an unrelated ConfigMap changes",
			change: func(t *testing.T, root string) {
				edit(t, root, "detail/configmap.yaml", "greeting: hello", "greeting: bonjour")
			},
		},
		{
			name:   "the Service changes",
			change: func(t *testing.T, root string) { edit(t, root, "detail/service.yaml", "port: 3000", "port: 3001") },
		},
		{
			name:   "the Canary's analysis changes",
			change: func(t *testing.T, root string) { edit(t, root, "detail/canary.yaml", "stepWeight: 5", "stepWeight: 3") },
		},
		{
			name: "the YAML is reformatted",
			change: func(t *testing.T, root string) {
				edit(t, root, "detail/deployment.yaml", "        - name: detail\n", "        - # the app\n          name: detail\n")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := copyRepo(t, "seed")
			before := seedRevision(t, root)

			tt.change(t, root)

			after := seedRevision(t, root)
			if changed := before != after; changed != tt.wantChange {
				t.Errorf("revision %s → %s: changed = %v, want %v", before, after, changed, tt.wantChange)
			}
		})
	}
}

func TestRevisionOfConfigsOutsideTheRendering(t *testing.T) {
	// The pod template reads a Secret that is not in the rendering: it is
	// listed, not hashed. Adding it to the rendering changes the revision,
	// and so does a change of its data; optional references behave the
	// same.
	root := copyRepo(t, "seed")
	edit(t, root, "detail/deployment.yaml", "          volumeMounts:", `            - name: TOKEN
              valueFrom:
                secretKeyRef: {name: detail-token, key: token, optional: true}
          envFrom:
            - secretRef: {name: detail-credentials}
          volumeMounts:`)
	render := func() Target {
		t.Helper()
		rendering, err := Render(root, ".", Options{})
		if err != nil {
			t.Fatalf("Render: %v", err)
		}
		return rendering.Targets[0]
	}

	outside := render()
	wantConfigs := []ConfigRef{
		{Kind: "ConfigMap", Name: "detail-config", InRender: true, DataHash: outside.Configs[0].DataHash},
		{Kind: "Secret", Name: "detail-credentials"},
		{Kind: "Secret", Name: "detail-token"},
	}
	if diff := cmp.Diff(wantConfigs, outside.Configs); diff != "" {
		t.Errorf("Configs (-want +got):\n%s", diff)
	}

	writeFile(t, root, "detail/secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: detail-token}\nstringData: {token: one}\n")
	edit(t, root, "detail/kustomization.yaml", "  - canary.yaml", "  - canary.yaml\n  - secret.yaml")
	inside := render()
	if !inside.Configs[2].InRender || inside.Configs[2].DataHash == "" {
		t.Errorf("the Secret added to the rendering: %+v, want InRender with a DataHash", inside.Configs[2])
	}
	var objects []string
	for _, obj := range inside.ConfigObjects {
		objects = append(objects, obj.GetKind()+"/"+obj.GetName())
	}
	if diff := cmp.Diff([]string{"ConfigMap/detail-config", "Secret/detail-token"}, objects); diff != "" {
		t.Errorf("ConfigObjects: the rendered configs of Configs that are InRender, in order (-want +got):\n%s", diff)
	}
	if inside.Revision == outside.Revision {
		t.Errorf("the revision did not change when a Secret it reads joined the rendering")
	}

	edit(t, root, "detail/secret.yaml", "token: one", "token: two")
	changed := render()
	if changed.Revision == inside.Revision || changed.Configs[2].DataHash == inside.Configs[2].DataHash {
		t.Errorf("the revision or the data hash did not change with the Secret's data")
	}
	if !strings.Contains(strings.Join(changed.SourceFiles, " "), "detail/secret.yaml") {
		t.Errorf("SourceFiles %v do not list the Secret's file", changed.SourceFiles)
	}
}

func TestConfigRefsListsEveryWayAPodUsesConfig(t *testing.T) {
	root := writeRepo(t, map[string]string{
		"kustomization.yaml": "namespace: flagger\nresources: [deployment.yaml, canary.yaml]\n",
		"canary.yaml":        canaryYAML("detail", "Deployment", "detail"),
		"deployment.yaml": `
apiVersion: apps/v1
kind: Deployment
metadata: {name: detail}
spec:
  selector: {matchLabels: {app: detail}}
  template:
    metadata: {labels: {app: detail}}
    spec:
      initContainers:
        - name: init
          image: busybox
          envFrom: [{configMapRef: {name: init-env}}]
      containers:
        - name: app
          image: detail
          env:
            - {name: A, valueFrom: {configMapKeyRef: {name: env-config, key: a}}}
            - {name: B, valueFrom: {secretKeyRef: {name: env-secret, key: b}}}
            - {name: C, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
            - {name: D, value: plain}
          envFrom: [{secretRef: {name: envfrom-secret}}, {configMapRef: {name: env-config}}]
      volumes:
        - {name: a, configMap: {name: volume-config}}
        - {name: b, secret: {secretName: volume-secret}}
        - name: c
          projected:
            sources:
              - configMap: {name: projected-config}
              - secret: {name: projected-secret}
              - downwardAPI: {items: [{path: name, fieldRef: {fieldPath: metadata.name}}]}
        - {name: d, emptyDir: {}}
`,
	}, nil)

	rendering, err := Render(root, ".", Options{})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}

	var got []string
	for _, config := range rendering.Targets[0].Configs {
		got = append(got, config.Key())
	}
	want := []string{
		"configmap/env-config", "configmap/init-env", "configmap/projected-config", "configmap/volume-config",
		"secret/env-secret", "secret/envfrom-secret", "secret/projected-secret", "secret/volume-secret",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Configs (-want +got):\n%s", diff)
	}
}
