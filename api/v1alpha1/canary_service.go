package v1alpha1

// ApexServiceName is the name of the Canary's apex Service:
// spec.service.name, or the target's name when it is empty, as in
// Flagger. The primary and canary Services are <apex>-primary and
// <apex>-canary, and the routing objects are named after the apex too;
// the primary Deployment stays <target>-primary whatever the Service is
// called.
func (c *Canary) ApexServiceName() string {
	if c.Spec.Service.Name != "" {
		return c.Spec.Service.Name
	}
	return c.Spec.TargetRef.Name
}
