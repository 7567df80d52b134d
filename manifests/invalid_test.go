package manifests

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// app returns the files of a checkout with one app, flagger/detail, in a
// kustomization at the root; a test changes or adds files to break it.
func app() map[string]string {
	return map[string]string{
		"kustomization.yaml": `
namespace: flagger
resources:
  - deployment.yaml
  - canary.yaml
`,
		"deployment.yaml": deploymentYAML("detail"),
		"canary.yaml":     canaryYAML("detail", "Deployment", "detail"),
	}
}

func deploymentYAML(name string) string {
	return `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ` + name + `
spec:
  selector:
    matchLabels: {app: ` + name + `}
  template:
    metadata:
      labels: {app: ` + name + `}
    spec:
      containers:
        - name: app
          image: public.ecr.aws/u2g6w7p2/eks-microservice-demo/detail:1.0
`
}

func canaryYAML(name, targetKind, targetName string) string {
	return `
apiVersion: sluice.dev/v1alpha1
kind: Canary
metadata:
  name: ` + name + `
spec:
  targetRef: {apiVersion: apps/v1, kind: ` + targetKind + `, name: ` + targetName + `}
  service:
    port: 3000
    gatewayRefs: [{name: public, namespace: gateway}]
  analysis:
    interval: 1m
    threshold: 1
    stepWeight: 5
    maxWeight: 15
    webhooks: [{name: gate, type: pre-rollout, url: "http://gate/"}]
`
}

// with returns files with changes applied; an empty content removes a file.
func with(files map[string]string, changes map[string]string) map[string]string {
	out := maps.Clone(files)
	for name, content := range changes {
		if content == "" {
			delete(out, name)
			continue
		}
		out[name] = content
	}
	return out
}

// invalid is the part of an *InvalidError a test pins: the object and
// field named exactly, and words of the reason.
type invalid struct {
	Object, Field string
	// Reason is a substring of InvalidError.Reason.
	Reason string
}

func TestRenderRefusesBadInput(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		links map[string]string // path → target, relative to the link, or "OUTSIDE/…"
		path  string
		opts  Options
		want  invalid
		// message, when set, is the whole error message.
		message string
	}{
		{
			name:    "a Canary whose target is not in the rendering",
			files:   with(app(), map[string]string{"canary.yaml": canaryYAML("detail", "Deployment", "details")}),
			want:    invalid{"canary flagger/detail", "spec.targetRef", "Deployment details not found"},
			message: "canary flagger/detail: spec.targetRef: Deployment details not found in the rendered manifests",
		},
		{
			name: "a Canary whose target is in another namespace",
			files: with(app(), map[string]string{
				"kustomization.yaml": "resources: [deployment.yaml, canary.yaml]\n",
				"canary.yaml":        strings.Replace(canaryYAML("detail", "Deployment", "detail"), "name: detail\n", "name: detail\n  namespace: flagger\n", 1),
			}),
			want:    invalid{"canary flagger/detail", "spec.targetRef", "not found"},
			message: "canary flagger/detail: spec.targetRef: Deployment detail not found in the rendered manifests",
		},
		{
			name: "two Canaries on one target",
			files: with(app(), map[string]string{
				"kustomization.yaml": "namespace: flagger\nresources: [deployment.yaml, canary.yaml, second.yaml]\n",
				"second.yaml":        canaryYAML("detail-again", "Deployment", "detail"),
			}),
			want:    invalid{"canary flagger/detail-again", "spec.targetRef", "already the target of canary flagger/detail"},
			message: "canary flagger/detail-again: spec.targetRef: Deployment detail is already the target of canary flagger/detail",
		},
		{
			name:  "a Canary whose target is a StatefulSet",
			files: with(app(), map[string]string{"canary.yaml": canaryYAML("detail", "StatefulSet", "detail")}),
			want:  invalid{"canary flagger/detail", "spec.targetRef.kind", "StatefulSet"},
		},
		{
			name:  "a Canary that does not validate",
			files: with(app(), map[string]string{"canary.yaml": strings.Replace(canaryYAML("detail", "Deployment", "detail"), "stepWeight: 5", "stepWeight: 500", 1)}),
			want:  invalid{"canary flagger/detail", "spec.analysis.stepWeight", "500"},
		},
		{
			name:  "a Canary with a field that does not exist",
			files: with(app(), map[string]string{"canary.yaml": strings.Replace(canaryYAML("detail", "Deployment", "detail"), "stepWeight: 5", "stepWeigth: 5", 1)}),
			want:  invalid{"canary flagger/detail", "", "stepWeigth"},
		},
		{
			name:  "a Canary of an unknown version",
			files: with(app(), map[string]string{"canary.yaml": strings.Replace(canaryYAML("detail", "Deployment", "detail"), "v1alpha1", "v1", 1)}),
			want:  invalid{"canary flagger/detail", "apiVersion", "sluice.dev/v1 is not supported"},
		},
		{
			name:  "a kustomization that does not build",
			files: with(app(), map[string]string{"kustomization.yaml": "resources: [deployment.yaml, canary.yaml, missing.yaml]\n"}),
			want:  invalid{"kustomization kustomization.yaml", "", "missing.yaml"},
		},
		{
			name:  "a kustomization that does not parse",
			files: with(app(), map[string]string{"kustomization.yaml": "resources: [deployment.yaml\n"}),
			want:  invalid{"file kustomization.yaml", "", "is not a valid kustomization"},
		},
		{
			name:  "a kustomization with a field that does not exist",
			files: with(app(), map[string]string{"kustomization.yaml": "resource: [deployment.yaml]\n"}),
			want:  invalid{"file kustomization.yaml", "", `unknown field "resource"`},
		},
		{
			name:  "a resource that is not YAML",
			files: with(app(), map[string]string{"deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: [detail\n"}),
			want:  invalid{"file deployment.yaml", "", "YAML does not parse"},
		},
		{
			name: "a resource of a base that is not YAML",
			files: map[string]string{
				"overlay/kustomization.yaml": "resources: [../base]\n",
				"base/kustomization.yaml":    "resources: [deployment.yaml]\n",
				"base/deployment.yaml":       "kind: Deployment\n\tmetadata: {}\n",
			},
			path: "overlay",
			want: invalid{"file base/deployment.yaml", "", "YAML does not parse"},
		},
		{
			name:  "a file of a directory without kustomization that is not YAML",
			files: map[string]string{"apps/detail.yaml": deploymentYAML("detail"), "apps/broken.yml": "kind: [\n"},
			want:  invalid{"file apps/broken.yml", "", "YAML does not parse"},
		},
		{
			name:  "a path that leaves the checkout",
			files: app(),
			path:  "../elsewhere",
			want:  invalid{"path ../elsewhere", "", "outside the checkout"},
		},
		{
			name:  "an absolute path",
			files: app(),
			path:  "/etc",
			want:  invalid{"path /etc", "", "is absolute"},
		},
		{
			name:  "a path that is not a directory",
			files: app(),
			path:  "deployment.yaml",
			want:  invalid{"path deployment.yaml", "", "not a directory"},
		},
		{
			name:  "a base that leaves the checkout",
			files: with(app(), map[string]string{"kustomization.yaml": "resources: [deployment.yaml, canary.yaml, ../../outside]\n"}),
			want:  invalid{"path ../../outside", "", "outside the checkout"},
		},
		{
			name:  "a patch file that leaves the checkout",
			files: with(app(), map[string]string{"kustomization.yaml": "resources: [deployment.yaml]\npatches: [{path: ../patch.yaml}]\n"}),
			want:  invalid{"path ../patch.yaml", "", "outside the checkout"},
		},
		{
			name:  "a resource that is a symbolic link out of the checkout",
			files: with(app(), map[string]string{"kustomization.yaml": "resources: [deployment.yaml, canary.yaml, secret.yaml]\n"}),
			links: map[string]string{"secret.yaml": "OUTSIDE/secret.yaml"},
			want:  invalid{"path secret.yaml", "", "symbolic link that leads outside"},
		},
		{
			name:  "a base that is a symbolic link out of the checkout",
			files: with(app(), map[string]string{"kustomization.yaml": "resources: [deployment.yaml, canary.yaml, base]\n"}),
			links: map[string]string{"base": "OUTSIDE"},
			want:  invalid{"path base", "", "symbolic link that leads outside"},
		},
		{
			name:  "a generator file that is a symbolic link out of the checkout",
			files: with(app(), map[string]string{"kustomization.yaml": "resources: [deployment.yaml]\nconfigMapGenerator: [{name: config, files: [app.properties]}]\n"}),
			links: map[string]string{"app.properties": "OUTSIDE/secret.yaml"},
			want:  invalid{"path app.properties", "", "symbolic link that leads outside"},
		},
		{
			name:  "a symbolic link out of the checkout in a directory without kustomization",
			files: map[string]string{"apps/detail.yaml": deploymentYAML("detail")},
			links: map[string]string{"apps/leak.yaml": "OUTSIDE/secret.yaml"},
			want:  invalid{"path apps/leak.yaml", "", "symbolic link that leads outside"},
		},
		{
			name:  "a path that is a symbolic link out of the checkout",
			files: app(),
			links: map[string]string{"deploy": "OUTSIDE"},
			path:  "deploy",
			want:  invalid{"path deploy", "", "symbolic link that leads outside"},
		},
		{
			name:    "a remote base over https",
			files:   with(app(), map[string]string{"kustomization.yaml": "resources:\n  - deployment.yaml\n  - https://github.com/sluicehq/apps//detail?ref=v1\n"}),
			want:    invalid{"kustomization kustomization.yaml", "resources[1]", "Options.AllowRemoteBases is false"},
			message: `kustomization kustomization.yaml: resources[1]: remote base "https://github.com/sluicehq/apps//detail?ref=v1" refused: Options.AllowRemoteBases is false`,
		},
		{
			name:  "a remote base on github.com without scheme",
			files: with(app(), map[string]string{"kustomization.yaml": "resources: [deployment.yaml, canary.yaml, github.com/sluicehq/apps/detail]\n"}),
			want:  invalid{"kustomization kustomization.yaml", "resources[2]", "refused"},
		},
		{
			name:  "a remote base over ssh in a base",
			files: with(app(), map[string]string{"kustomization.yaml": "resources: [deployment.yaml, base]\n", "base/kustomization.yaml": "resources: ['git@github.com:sluicehq/apps.git//detail']\n"}),
			want:  invalid{"kustomization base/kustomization.yaml", "resources[0]", "refused"},
		},
		{
			name:  "a remote component",
			files: with(app(), map[string]string{"kustomization.yaml": "resources: [deployment.yaml]\ncomponents: ['file:///srv/git/components.git//monitoring']\n"}),
			want:  invalid{"kustomization kustomization.yaml", "components[0]", "refused"},
		},
		{
			name:  "a remote patch file",
			files: with(app(), map[string]string{"kustomization.yaml": "resources: [deployment.yaml]\npatches: [{path: 'https://example.com/patch.yaml'}]\n"}),
			want:  invalid{"kustomization kustomization.yaml", "patches[0].path", `remote file "https://example.com/patch.yaml" refused`},
		},
		{
			name: "an exec KRM function",
			files: with(app(), map[string]string{
				"kustomization.yaml": "resources: [deployment.yaml]\ntransformers: [fn.yaml]\n",
				"fn.yaml": `
apiVersion: example.com/v1
kind: Sed
metadata:
  name: sed
  annotations:
    config.kubernetes.io/function: |
      exec:
        path: ./sed.sh
`,
			}),
			want: invalid{"kustomization kustomization.yaml", "", "Options.AllowExecPlugins is false"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			outside := t.TempDir()
			if err := os.WriteFile(filepath.Join(outside, "secret.yaml"), []byte(deploymentYAML("leaked")), 0o644); err != nil {
				t.Fatal(err)
			}
			links := map[string]string{}
			for name, target := range tt.links {
				links[name] = strings.Replace(target, "OUTSIDE", outside, 1)
			}
			root := writeRepo(t, tt.files, links)
			path := tt.path
			if path == "" {
				path = "."
			}
			rendering, err := Render(root, path, tt.opts)
			var got *InvalidError
			if !errors.As(err, &got) {
				t.Fatalf("Render returned %v, %v; want an *InvalidError", rendering, err)
			}
			if rendering != nil {
				t.Errorf("Render returned a rendering with its error")
			}
			if diff := cmp.Diff(tt.want, invalid{got.Object, got.Field, tt.want.Reason}); diff != "" || !strings.Contains(got.Reason, tt.want.Reason) {
				t.Errorf("Render error: %v\nobject and field (-want +got):\n%s\nwant a reason containing %q", err, diff, tt.want.Reason)
			}
			if tt.message != "" && err.Error() != tt.message {
				t.Errorf("Render error:\n got %s\nwant %s", err, tt.message)
			}
			if strings.Contains(err.Error(), root) {
				t.Errorf("the error shows the checkout's absolute path: %v", err)
			}
		})
	}
}
