package manifests

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// twoApps returns a checkout with two apps, detail and frontend, each in
// its own kustomization under apps/, and a root kustomization for both.
func twoApps() map[string]string {
	files := map[string]string{
		"kustomization.yaml": "namespace: flagger\nresources: [apps/detail, apps/frontend]\n",
	}
	for _, name := range []string{"detail", "frontend"} {
		files["apps/"+name+"/kustomization.yaml"] = "resources: [deployment.yaml, canary.yaml]\n"
		files["apps/"+name+"/deployment.yaml"] = deploymentYAML(name)
		files["apps/"+name+"/canary.yaml"] = canaryYAML(name, "Deployment", name)
	}
	return files
}

func TestSourceFilesListWhatFedEachTarget(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		links map[string]string
		path  string
		want  map[string][]string // canary → source files
	}{
		{
			name:  "each app has its own files and shares the root kustomization",
			files: twoApps(),
			want: map[string][]string{
				"flagger/detail":   {"apps/detail/canary.yaml", "apps/detail/deployment.yaml", "apps/detail/kustomization.yaml", "kustomization.yaml"},
				"flagger/frontend": {"apps/frontend/canary.yaml", "apps/frontend/deployment.yaml", "apps/frontend/kustomization.yaml", "kustomization.yaml"},
			},
		},
		{
			name: "a patch naming one app feeds that app only",
			files: with(twoApps(), map[string]string{
				"kustomization.yaml":  "namespace: flagger\nresources: [apps/detail, apps/frontend]\npatches: [{path: detail-patch.yaml}, {path: frontend-patch.yaml, target: {kind: Deployment, name: front.*}}]\n",
				"detail-patch.yaml":   "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: detail}\nspec: {replicas: 3}\n",
				"frontend-patch.yaml": "- {op: replace, path: /spec/replicas, value: 2}\n",
			}),
			want: map[string][]string{
				"flagger/detail":   {"apps/detail/canary.yaml", "apps/detail/deployment.yaml", "apps/detail/kustomization.yaml", "detail-patch.yaml", "kustomization.yaml"},
				"flagger/frontend": {"apps/frontend/canary.yaml", "apps/frontend/deployment.yaml", "apps/frontend/kustomization.yaml", "frontend-patch.yaml", "kustomization.yaml"},
			},
		},
		{
			name: "a patch selecting every Deployment by label feeds every app",
			files: with(twoApps(), map[string]string{
				"kustomization.yaml": "namespace: flagger\nresources: [apps/detail, apps/frontend]\npatches: [{path: all.yaml, target: {kind: Deployment, labelSelector: 'tier notin (data)'}}]\n",
				"all.yaml":           "- {op: add, path: /metadata/labels, value: {tier: web}}\n",
			}),
			want: map[string][]string{
				"flagger/detail":   {"all.yaml", "apps/detail/canary.yaml", "apps/detail/deployment.yaml", "apps/detail/kustomization.yaml", "kustomization.yaml"},
				"flagger/frontend": {"all.yaml", "apps/frontend/canary.yaml", "apps/frontend/deployment.yaml", "apps/frontend/kustomization.yaml", "kustomization.yaml"},
			},
		},
		{
			name: "a patch written for the name before the overlay's prefix",
			files: map[string]string{
				"prod/kustomization.yaml":  "namePrefix: prod-\nnamespace: flagger\nresources: [../base]\npatches: [{path: patch.yaml}]\n",
				"prod/patch.yaml":          "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: detail}\nspec: {replicas: 3}\n",
				"base/kustomization.yaml":  "resources: [deployment.yaml, canary.yaml]\n",
				"base/deployment.yaml":     deploymentYAML("detail"),
				"base/canary.yaml":         canaryYAML("prod-detail", "Deployment", "prod-detail"),
				"other/kustomization.yaml": "resources: [../base]\n",
			},
			path: "prod",
			want: map[string][]string{
				"flagger/prod-prod-detail": {"base/canary.yaml", "base/deployment.yaml", "base/kustomization.yaml", "prod/kustomization.yaml", "prod/patch.yaml"},
			},
		},
		{
			name: "a generator merging into a base's ConfigMap feeds the app that mounts it",
			files: map[string]string{
				"prod/kustomization.yaml": `
namespace: flagger
resources: [../base]
configMapGenerator:
  - {name: detail-config, behavior: merge, envs: [detail.env]}
  - {name: other-config, files: [other.properties]}
`,
				"prod/detail.env":         "LOG_LEVEL=debug\n",
				"prod/other.properties":   "other=1\n",
				"base/kustomization.yaml": "resources: [deployment.yaml, canary.yaml]\nconfigMapGenerator: [{name: detail-config, files: [detail.properties]}]\n",
				"base/detail.properties":  "size=1\n",
				"base/deployment.yaml": deploymentYAML("detail") + `
      volumes: [{name: config, configMap: {name: detail-config}}]
`,
				"base/canary.yaml": canaryYAML("detail", "Deployment", "detail"),
			},
			path: "prod",
			want: map[string][]string{
				"flagger/detail": {"base/canary.yaml", "base/deployment.yaml", "base/detail.properties", "base/kustomization.yaml", "prod/detail.env", "prod/kustomization.yaml"},
			},
		},
		{
			name: "a replacement file targeting the Deployment",
			files: with(twoApps(), map[string]string{
				"kustomization.yaml": "namespace: flagger\nresources: [apps/detail, apps/frontend, version.yaml]\nreplacements: [{path: replacement.yaml}]\n",
				"version.yaml":       "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: version}\ndata: {tag: '2.0'}\n",
				"replacement.yaml": `
source: {kind: ConfigMap, name: version, fieldPath: data.tag}
targets:
  - select: {kind: Deployment, name: frontend}
    fieldPaths: [spec.template.spec.containers.0.image]
    options: {delimiter: ':', index: 1}
`,
			}),
			want: map[string][]string{
				"flagger/detail":   {"apps/detail/canary.yaml", "apps/detail/deployment.yaml", "apps/detail/kustomization.yaml", "kustomization.yaml"},
				"flagger/frontend": {"apps/frontend/canary.yaml", "apps/frontend/deployment.yaml", "apps/frontend/kustomization.yaml", "kustomization.yaml", "replacement.yaml"},
			},
		},
		{
			name: "a symbolic link inside the checkout lists the link and its target",
			files: map[string]string{
				"kustomization.yaml":      "namespace: flagger\nresources: [deployment.yaml, canary.yaml]\n",
				"shared/deployment.yaml":  deploymentYAML("detail"),
				"canary.yaml":             canaryYAML("detail", "Deployment", "detail"),
				"shared/kustomization.md": "not read",
			},
			links: map[string]string{"deployment.yaml": "shared/deployment.yaml"},
			want: map[string][]string{
				"flagger/detail": {"canary.yaml", "deployment.yaml", "kustomization.yaml", "shared/deployment.yaml"},
			},
		},
		{
			name: "a directory without kustomization lists no kustomization",
			files: map[string]string{
				"detail/deployment.yaml": deploymentYAML("detail"),
				"detail/canary.yaml":     canaryYAML("detail", "Deployment", "detail"),
				"other/deployment.yaml":  deploymentYAML("other"),
			},
			want: map[string][]string{
				"default/detail": {"detail/canary.yaml", "detail/deployment.yaml"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := writeRepo(t, tt.files, tt.links)
			path := tt.path
			if path == "" {
				path = "."
			}
			rendering, err := Render(root, path, Options{})
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			got := map[string][]string{}
			for _, target := range rendering.Targets {
				got[target.Canary.String()] = target.SourceFiles
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SourceFiles (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSourceFilesOfTheSeedOverlays(t *testing.T) {
	// The revert of a failed rollout of detail touches these files only:
	// nothing of frontend, of the staging overlay or of detail's Service.
	rendering, err := Render(filepath.Join("testdata", "repos", "overlays"), "clusters/prod", Options{})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	want := []string{
		"base/detail/canary.yaml",
		"base/detail/deployment.yaml",
		"base/detail/kustomization.yaml",
		"clusters/prod/config/detail.env",
		"clusters/prod/config/detail.properties",
		"clusters/prod/kustomization.yaml",
		"clusters/prod/patches/detail-replicas.yaml",
		"components/monitoring/kustomization.yaml",
		"components/monitoring/scrape.yaml",
	}
	if diff := cmp.Diff(want, rendering.Targets[0].SourceFiles); diff != "" {
		t.Errorf("SourceFiles of %s (-want +got):\n%s", rendering.Targets[0].Canary, diff)
	}
}
