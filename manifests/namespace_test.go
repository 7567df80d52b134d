package manifests

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestRenderSetsTheDefaultNamespaceOnNamespacedObjectsOnly(t *testing.T) {
	files := map[string]string{
		"objects.yaml": `
apiVersion: v1
kind: ConfigMap
metadata: {name: no-namespace}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: own-namespace, namespace: elsewhere}
---
apiVersion: v1
kind: Namespace
metadata: {name: flagger}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: binding}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: sluice}
spec: {controllerName: sluice.dev/gateway}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: clusterissuers.cert-manager.io}
spec:
  group: cert-manager.io
  scope: Cluster
  names: {kind: ClusterIssuer, plural: clusterissuers}
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
---
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: defined-in-the-rendering}
---
apiVersion: example.com/v1
kind: Tenant
metadata: {name: declared-in-options}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: unknown-kind}
`,
	}
	tests := []struct {
		name string
		opts Options
		want map[string]string // name → namespace
	}{
		{
			name: "the zero Options use default",
			opts: Options{ClusterScopedKinds: []schema.GroupKind{{Group: "example.com", Kind: "Tenant"}}},
			want: map[string]string{
				"no-namespace": "default", "own-namespace": "elsewhere", "flagger": "", "binding": "", "sluice": "",
				"clusterissuers.cert-manager.io": "", "defined-in-the-rendering": "", "declared-in-options": "", "unknown-kind": "default",
			},
		},
		{
			name: "DefaultNamespace is used when set",
			opts: Options{DefaultNamespace: "flagger"},
			want: map[string]string{
				"no-namespace": "flagger", "own-namespace": "elsewhere", "flagger": "", "binding": "", "sluice": "",
				"clusterissuers.cert-manager.io": "", "defined-in-the-rendering": "", "declared-in-options": "flagger", "unknown-kind": "flagger",
			},
		},
	}
	root := writeRepo(t, files, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rendering, err := Render(root, ".", tt.opts)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			got := map[string]string{}
			for _, obj := range rendering.Objects {
				got[obj.GetName()] = obj.GetNamespace()
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("namespaces (-want +got):\n%s", diff)
			}
		})
	}
}
