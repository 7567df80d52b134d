package manifests

import "strings"

// InvalidError reports manifests that Render refuses: a kustomization that
// does not build, YAML that does not parse, a path or symlink that leaves the
// checkout, a remote base or plugin that Options do not allow, a Canary that
// does not validate or whose target is missing, of the wrong kind, or
// already taken by another Canary, or whose autoscaler is missing or
// scales another workload. Nothing of a rendering that fails this
// way should be applied. Use errors.As to branch on it.
type InvalidError struct {
	// Object names what is at fault, with its kind first:
	// "canary flagger/detail", "file apps/detail/deployment.yaml",
	// "path ../elsewhere", "kustomization apps/kustomization.yaml".
	// Paths are relative to the checkout root.
	Object string
	// Field is the offending field of Object, e.g. "spec.targetRef" or
	// "resources[2]"; empty when Object is wrong as a whole.
	Field string
	// Reason says what is wrong, in words.
	Reason string
	// Err is the underlying error (from kustomize, the YAML parser or
	// Canary validation), or nil. Unwrap returns it.
	Err error
}

// Error returns "Object: Field: Reason", leaving out an empty Field.
func (e *InvalidError) Error() string {
	parts := []string{e.Object}
	if e.Field != "" {
		parts = append(parts, e.Field)
	}
	return strings.Join(append(parts, e.Reason), ": ")
}

// Unwrap returns the underlying error, or nil.
func (e *InvalidError) Unwrap() error { return e.Err }
