// Package manifests renders the manifests of one Git checkout and tells what
// in them is a progressive rollout: it builds a kustomization with kustomize
// (krusty) inside a sandbox that confines every read to the checkout, splits
// the result into plain objects and Canary policies, finds the Deployment
// each Canary targets, computes the target's revision (a hash of its pod
// template and of the data of the ConfigMaps and Secrets it uses) and lists
// the source files that produced it.
//
// The package touches the file system only: no network, no cluster. Render
// is the whole API, with Renderer for rendering commit after commit while
// reusing the work of the previous one; everything they refuse is reported
// as an *InvalidError.
package manifests
