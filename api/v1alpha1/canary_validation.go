package v1alpha1

// Validate checks the spec of a defaulted Canary and returns nil or an error
// that names the Canary and every invalid field, e.g.
// "canary flagger/detail: spec.analysis.stepWeight: Invalid value: 0: must be between 1 and 100".
func (c *Canary) Validate() error {
	// Written by the api/v1alpha1 work in progress.
	return nil
}
