// Package v1alpha1 is the sluice.dev/v1alpha1 API: the Canary policy that
// lives in Git next to a workload and holds, in its status, the whole state of
// that workload's rollouts.
//
// +kubebuilder:object:generate=true
// +groupName=sluice.dev
package v1alpha1
