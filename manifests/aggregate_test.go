package manifests

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// aggregatorApps returns a checkout whose root kustomization lists a
// namespace file and n apps; each app has a generated ConfigMap that its
// Deployment mounts, a Service, a Canary and a base with a component.
func aggregatorApps(n int) map[string]string {
	files := map[string]string{
		"namespace.yaml":                        "apiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n",
		"shared/base/kustomization.yaml":        "resources: [role.yaml]\ncomponents: [../monitoring]\n",
		"shared/base/role.yaml":                 "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: reader}\nrules: []\n",
		"shared/monitoring/kustomization.yaml":  "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nlabels: [{pairs: {monitored: 'true'}}]\n",
		"shared/monitoring/unused-patch.yaml":   "unused: true\n",
		"apps/README.md":                        "not rendered\n",
		"apps/notes/kustomization-template.txt": "not rendered\n",
	}
	root := []string{"namespace.yaml"}
	for i := range n {
		name := fmt.Sprintf("app-%02d", i)
		dir := "apps/" + name + "/"
		root = append(root, "apps/"+name)
		files[dir+"kustomization.yaml"] = `
namespace: ns-` + name + `
resources: [deployment.yaml, service.yaml, canary.yaml, ../../shared/base]
configMapGenerator: [{name: settings, files: [settings.properties]}]
images: [{name: public.ecr.aws/u2g6w7p2/eks-microservice-demo/detail, newTag: '2.0'}]
`
		files[dir+"settings.properties"] = "size=" + name + "\n"
		files[dir+"deployment.yaml"] = deploymentYAML(name) + `
          volumeMounts: [{name: settings, mountPath: /etc/app}]
      volumes: [{name: settings, configMap: {name: settings}}]
`
		files[dir+"service.yaml"] = "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + "}\nspec:\n  selector: {app: " + name + "}\n  ports: [{port: 3000}]\n"
		files[dir+"canary.yaml"] = canaryYAML(name, "Deployment", name)
	}
	files["kustomization.yaml"] = "resources: [" + strings.Join(root, ", ") + "]\n"
	return files
}

func TestAggregatorBuildsPartByPartLikeOneRun(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		repo  string // a repository of testdata/repos instead of files
		// whole is true when the aggregator must be built in one run.
		whole bool
	}{
		{name: "apps with generated ConfigMaps, shared bases and components", files: aggregatorApps(6)},
		{name: "the seed app", repo: "seed"},
		{name: "a directory without kustomization", repo: "plain", whole: true},
		{
			name: "an app whose env names a Service of another app in another namespace",
			files: with(aggregatorApps(3), map[string]string{
				"apps/app-01/deployment.yaml": strings.Replace(deploymentYAML("app-01"), "image:", "env: [{name: PEER, value: app-02}]\n          image:", 1),
			}),
		},
		{
			name: "an app whose env names a Service of another app in the same namespace",
			files: with(aggregatorApps(3), map[string]string{
				"apps/app-01/kustomization.yaml": "namespace: ns-app-02\nresources: [deployment.yaml]\n",
				"apps/app-01/deployment.yaml":    strings.Replace(deploymentYAML("app-01"), "image:", "env: [{name: PEER, value: app-02}]\n          image:", 1),
			}),
			whole: true,
		},
		{
			name: "an app whose RoleBinding names another app's ServiceAccount",
			files: with(aggregatorApps(3), map[string]string{
				"apps/app-01/kustomization.yaml": "namespace: ns-app-01\nresources: [binding.yaml]\n",
				"apps/app-01/binding.yaml":       "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}\nsubjects: [{kind: ServiceAccount, name: robot, namespace: ns-app-02}]\n",
				"apps/app-02/kustomization.yaml": "namespace: ns-app-02\nresources: [account.yaml]\n",
				"apps/app-02/account.yaml":       "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: robot}\n",
			}),
			whole: true,
		},
		{name: "two apps under a root that sets their namespace", files: twoApps(), whole: true},
		{
			name:  "a root that keeps origin annotations",
			files: with(aggregatorApps(2), map[string]string{"kustomization.yaml": "buildMetadata: [originAnnotations]\nresources: [apps/app-00, apps/app-01]\n"}),
			whole: true,
		},
		{
			name: "an app that mounts another app's generated ConfigMap",
			files: with(aggregatorApps(3), map[string]string{
				"apps/app-01/kustomization.yaml": "namespace: ns-app-00\nresources: [deployment.yaml]\n",
				"apps/app-01/deployment.yaml":    strings.Replace(deploymentYAML("app-01"), "image:", "envFrom: [{configMapRef: {name: settings}}]\n          image:", 1),
			}),
			whole: true,
		},
		{
			name:  "an app with a name prefix",
			files: with(aggregatorApps(3), map[string]string{"apps/app-01/kustomization.yaml": "namePrefix: x-\nnamespace: ns-app-01\nresources: [deployment.yaml]\n"}),
			whole: true,
		},
		{
			name:  "two apps defining the same object",
			files: with(aggregatorApps(3), map[string]string{"apps/app-01/kustomization.yaml": "namespace: ns-app-00\nresources: [service.yaml]\n", "apps/app-01/service.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: app-00}\nspec: {ports: [{port: 1}]}\n"}),
			whole: true,
		},
		{
			name:  "a root that also sets a namespace",
			files: with(aggregatorApps(3), map[string]string{"kustomization.yaml": "namespace: apps\nresources: [apps/app-00, apps/app-01, apps/app-02]\n"}),
			whole: true,
		},
		{
			name:  "an app with a transformer configuration",
			files: with(aggregatorApps(3), map[string]string{"apps/app-01/kustomization.yaml": "namespace: ns-app-01\nresources: [deployment.yaml]\nconfigurations: [names.yaml]\n", "apps/app-01/names.yaml": "nameReference: []\n"}),
			whole: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := writeRepo(t, tt.files, nil)
			if tt.repo != "" {
				root = copyRepo(t, tt.repo)
			}

			box, dir, err := openSandbox(root, ".", Options{})
			if err != nil {
				t.Fatal(err)
			}
			_, partByPart, err := box.buildAggregate(dir)
			if err != nil {
				t.Fatalf("buildAggregate: %v", err)
			}
			if partByPart == tt.whole {
				t.Errorf("built part by part: %v, want %v", partByPart, !tt.whole)
			}

			oneRun, errOneRun := renderWith(root, ".", Options{}, false)
			rendering, err := Render(root, ".", Options{})
			if fmt.Sprint(err) != fmt.Sprint(errOneRun) {
				t.Fatalf("Render error = %v, one run gives %v", err, errOneRun)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(string(summarize(t, oneRun)), string(summarize(t, rendering))); diff != "" {
				t.Errorf("Render differs from one kustomize run (-one run +Render):\n%s", diff)
			}
		})
	}
}

// TestAggregatorRefusesOverBoundsAsInOrder pins the bounds of a rendering
// whose entries are built in parallel (see adopt): the file refused, and
// the total named, must be those of building the entries one after the
// other, as before they were built in parallel. The expected messages are
// what the sequential build gave.
func TestAggregatorRefusesOverBoundsAsInOrder(t *testing.T) {
	files := manyApps(30)
	files["apps/app-0003/big.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata: {a: '" + strings.Repeat("0", 900) + "'}\n"
	files["apps/app-0003/kustomization.yaml"] = "namespace: apps\nresources: [deployment.yaml, service.yaml, configmap.yaml, canary.yaml, big.yaml]\n"
	root := writeRepo(t, files, nil)
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"the root alone is over the total", Options{MaxTotalBytes: 500},
			"file kustomization.yaml: brings the files read to 551 bytes, more than the limit of 500 (--max-render-size)"},
		{"the first entry brings the total over", Options{MaxTotalBytes: 1000},
			"file apps/app-0000/service.yaml: brings the files read to 1083 bytes, more than the limit of 1000 (--max-render-size)"},
		{"a later entry brings the total over", Options{MaxTotalBytes: 20000},
			"file apps/app-0018/canary.yaml: brings the files read to 20290 bytes, more than the limit of 20000 (--max-render-size)"},
		{"the total is crossed in the entry with a file too big", Options{MaxFileBytes: 800, MaxTotalBytes: 5000},
			"file apps/app-0003/big.yaml: is 967 bytes, more than the limit of 800 (--max-file-size)"},
		{"the total is crossed at the file too big", Options{MaxTotalBytes: 5000},
			"file apps/app-0003/big.yaml: brings the files read to 5470 bytes, more than the limit of 5000 (--max-render-size)"},
		{"a file too big before the total is crossed", Options{MaxFileBytes: 800, MaxTotalBytes: 30000},
			"file apps/app-0003/big.yaml: is 967 bytes, more than the limit of 800 (--max-file-size)"},
		{"within the bounds", Options{MaxTotalBytes: 40000}, "<nil>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, render := range []func(string, string, Options) (*Rendering, error){Render, NewRenderer().Render} {
				_, err := render(root, ".", tt.opts)
				if diff := cmp.Diff(tt.want, fmt.Sprint(err)); diff != "" {
					t.Errorf("error (-want +got):\n%s", diff)
				}
			}
		})
	}
}
