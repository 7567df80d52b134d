package manifests

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/provider"
	"sigs.k8s.io/kustomize/api/resource"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/yaml"
)

// TestDecodeResourceMatchesTheJSONRoundTrip pins the fast conversion of
// decodeResource to kustomize's own (YAML text, then JSON), on the values
// where YAML and JSON typing differ: each document must decode to the same
// object either way, by the fast path or by falling back.
func TestDecodeResourceMatchesTheJSONRoundTrip(t *testing.T) {
	docs := map[string]string{
		"plain strings, ints, booleans and null": `apiVersion: v1
kind: ConfigMap
metadata: {name: a, labels: {app: a}}
data: {size: "20", empty: "", n: null, t: ~}
replicas: 3
negative: -12
zero: 0
on: true
off: false
list: [a, 1, true, null, {x: y}, []]
emptyMap: {}
`,
		"numbers written otherwise": `apiVersion: v1
kind: X
metadata: {name: x}
hex: 0x1F
octal: 0o17
leadingZero: 012
float: 1.5
integralFloat: 2.0
big: 12345678901234567890
exponent: 1e3
infinity: .inf
underscore: 1_000
plus: +1
`,
		"YAML 1.1 spellings and timestamps": `apiVersion: v1
kind: X
metadata: {name: x}
yes: yes
y: n
On: On
date: 2001-12-14
base60: 1:20
`,
		"quoted and block strings": `apiVersion: v1
kind: X
metadata: {name: x}
a: "true"
b: '3'
c: |
  line one
  line two
d: >
  folded
  text
e: "tab\there"
f: "\u2028 and <>&"
`,
		"anchors, aliases and merge keys": `apiVersion: v1
kind: X
metadata: {name: x}
base: &base {a: 1, b: two}
copy: *base
merged:
  <<: *base
  c: 3
`,
		"explicit tags": `apiVersion: v1
kind: X
metadata: {name: x}
s: !!str 3
i: !!int "4"
custom: !thing value
binary: !!binary aGVsbG8=
`,
		"non-string keys": `apiVersion: v1
kind: X
metadata: {name: x}
map: {1: one, true: yes, null: nothing}
`,
	}
	factory := provider.NewDefaultDepProvider().GetResourceFactory()
	fastPaths := 0
	defer func() {
		if fastPaths == 0 {
			t.Error("no document took the fast path: the test no longer tests it")
		}
	}()
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			resources, err := factory.SliceFromBytes([]byte(doc))
			if err != nil {
				t.Fatalf("SliceFromBytes: %v", err)
			}
			for _, res := range resources {
				// Kustomize adds untagged plain scalars; add some that
				// YAML reads as strings and some it does not.
				for _, value := range []string{"abc", "yes", "On", "a: b", "x #y"} {
					extra := &kyaml.Node{Kind: kyaml.ScalarNode, Value: value}
					key := &kyaml.Node{Kind: kyaml.ScalarNode, Value: "untagged" + value}
					res.YNode().Content = append(res.YNode().Content, key, extra)
				}
				want := &unstructured.Unstructured{}
				data, wantErr := res.MarshalJSON()
				if wantErr == nil {
					wantErr = want.UnmarshalJSON(data)
				}
				if _, fast := plainMapping(res.YNode()); fast {
					fastPaths++
				}
				got, gotErr := decodeResource(res)
				if (wantErr != nil) != (gotErr != nil) {
					t.Fatalf("error: want %v, got %v", wantErr, gotErr)
				}
				if wantErr != nil {
					return
				}
				if diff := cmp.Diff(want.Object, got.Object); diff != "" {
					t.Errorf("decodeResource differs from the JSON round trip (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestPlainOriginMatchesGetOrigin pins plainOrigin to kustomize's parsing
// of the origin annotation (resource.GetOrigin): where it parses one
// itself, it must give the same Origin.
func TestPlainOriginMatchesGetOrigin(t *testing.T) {
	annotations := []string{
		"path: deployment.yaml\n",
		"path: ../../base/deployment.yaml\n",
		"path: ./sub/dir/file.yml\n",
		"configuredIn: kustomization.yaml\nconfiguredBy:\n  apiVersion: builtin\n  kind: ConfigMapGenerator\n",
		"configuredIn: apps/a/kustomization.yaml\nconfiguredBy:\n  apiVersion: builtin\n  kind: SecretGenerator\n  name: x\n  namespace: y\n",
		"path: deployment.yaml\nrepo: https://github.com/org/repo\nref: v1\n",
		"path: yes\n",
		"path: 123.yaml\n",
		"path: \"quoted: value\"\n",
		"path: .inf\n",
		"path: Null\n",
		"path: a b.yaml\n",
		"unknown: field\n",
		"path: one.yaml\npath: two.yaml\n",
		"configuredBy:\n  kind: X\npath: after.yaml\n",
		"  kind: X\n",
	}
	parsed := 0
	for _, annotation := range annotations {
		got, ok := plainOrigin(annotation)
		if !ok {
			continue
		}
		parsed++
		want := &resource.Origin{}
		if err := yaml.Unmarshal([]byte(annotation), want); err != nil {
			t.Errorf("plainOrigin parsed %q, which kustomize refuses: %v", annotation, err)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("plainOrigin(%q) differs from kustomize's (-want +got):\n%s", annotation, diff)
		}
	}
	if parsed < 5 {
		t.Errorf("plainOrigin parsed %d annotations, want the 5 that kustomize writes for files and generators", parsed)
	}
	if origin, ok := plainOrigin(""); !ok || origin != nil {
		t.Errorf("plainOrigin of no annotation = %v, %t; want nil, true", origin, ok)
	}
}
