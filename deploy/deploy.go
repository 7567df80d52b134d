// Package deploy holds the install manifests of sluice, a kustomization:
// the sluice-system namespace, the Canary CRD, RBAC and the Deployment
// running `sluice run`. Apply it with `kubectl apply -k deploy/`.
package deploy
