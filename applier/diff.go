package applier

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/fluxcd/pkg/ssa"
	"github.com/pmezard/go-difflib/difflib"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// Diff is what applying one object would do, with a unified diff of its
// YAML when it would be configured. Secret values are masked.
type Diff struct {
	Change
	// Text is the unified diff, live → desired; empty unless Configured.
	Text string
}

// Diff dry-runs objects against the cluster, writing nothing, and returns
// what Apply would do to each, in order. An object whose namespace does not
// exist yet is reported as created.
func (a *Applier) Diff(ctx context.Context, objects []*unstructured.Unstructured) ([]Diff, error) {
	objects = a.withOwnerLabels(objects)
	diffs := make([]Diff, 0, len(objects))
	for _, obj := range objects {
		entry, live, merged, err := a.manager.Diff(ctx, obj, ssa.DiffOptions{ForceSelector: map[string]string{ForceAnnotation: "enabled"}})
		if err != nil {
			if isMissingNamespace(err) || meta.IsNoMatchError(errors.Unwrap(err)) || meta.IsNoMatchError(err) {
				diffs = append(diffs, Diff{Change: Change{Subject: subjectOf(obj), Action: Created}})
				continue
			}
			return diffs, classifyApplyError(err)
		}
		d := Diff{Change: Change{Subject: entry.Subject, Action: Action(entry.Action)}}
		if d.Action == Configured && live != nil && merged != nil {
			text, err := unifiedYAMLDiff(live, merged)
			if err != nil {
				return diffs, fmt.Errorf("applier: diff %s: %w", d.Subject, err)
			}
			d.Text = text
		}
		diffs = append(diffs, d)
	}
	return diffs, nil
}

// isMissingNamespace reports a dry run refused because the object's
// namespace is not there yet (it would be created in the same apply). A kind
// whose CRD is not installed yet is reported the same way, as created.
func isMissingNamespace(err error) bool {
	return strings.Contains(err.Error(), "namespaces \"") && strings.Contains(err.Error(), "not found")
}

// unifiedYAMLDiff returns the unified diff of two objects as YAML, without
// the metadata the server maintains.
func unifiedYAMLDiff(live, desired *unstructured.Unstructured) (string, error) {
	texts := make([]string, 2)
	for i, obj := range []*unstructured.Unstructured{live, desired} {
		obj = obj.DeepCopy()
		for _, field := range []string{"managedFields", "resourceVersion", "generation", "uid", "creationTimestamp"} {
			unstructured.RemoveNestedField(obj.Object, "metadata", field)
		}
		unstructured.RemoveNestedField(obj.Object, "status")
		data, err := yaml.Marshal(obj.Object)
		if err != nil {
			return "", err
		}
		texts[i] = string(data)
	}
	return difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(texts[0]), B: difflib.SplitLines(texts[1]),
		FromFile: "live", ToFile: "git", Context: 2,
	})
}
