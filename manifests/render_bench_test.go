package manifests

import (
	"fmt"
	"strings"
	"testing"
)

// manyApps returns the files of a checkout with n small apps, each a
// kustomization with a Deployment, a Service, a mounted ConfigMap and a
// Canary in namespace apps, under a root kustomization that lists them all
// (an aggregator, built part by part: see buildAggregate).
func manyApps(n int) map[string]string {
	files := map[string]string{}
	var root strings.Builder
	root.WriteString("resources:\n")
	for i := range n {
		name := fmt.Sprintf("app-%04d", i)
		dir := "apps/" + name + "/"
		fmt.Fprintf(&root, "  - apps/%s\n", name)
		files[dir+"kustomization.yaml"] = "namespace: apps\nresources: [deployment.yaml, service.yaml, configmap.yaml, canary.yaml]\n"
		files[dir+"deployment.yaml"] = deploymentYAML(name) + `
          volumeMounts: [{name: config, mountPath: /etc/app}]
      volumes: [{name: config, configMap: {name: ` + name + `}}]
`
		files[dir+"service.yaml"] = "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + "}\nspec:\n  selector: {app: " + name + "}\n  ports: [{port: 3000}]\n"
		files[dir+"configmap.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + "}\ndata: {size: '20'}\n"
		files[dir+"canary.yaml"] = canaryYAML(name, "Deployment", name)
	}
	files["kustomization.yaml"] = root.String()
	return files
}

func BenchmarkRender1000Apps(b *testing.B) {
	root := writeRepo(b, manyApps(1000), nil)
	b.ReportAllocs()
	for b.Loop() {
		rendering, err := Render(root, ".", Options{})
		if err != nil {
			b.Fatalf("Render: %v", err)
		}
		if len(rendering.Targets) != 1000 {
			b.Fatalf("got %d targets, want 1000", len(rendering.Targets))
		}
	}
}
