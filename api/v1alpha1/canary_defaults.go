package v1alpha1

// Default fills the zero fields of the spec with their documented defaults.
// It is idempotent.
func (c *Canary) Default() {
	// Written by the api/v1alpha1 work in progress.
}
