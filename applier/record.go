package applier

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The annotations that record on a primary Deployment the last revision
// that failed its analysis, so that the cluster remembers it when the
// Canary or its status is lost.
const (
	FailedRevisionAnnotation = "sluice.dev/failed-revision"
	FailedCommitAnnotation   = "sluice.dev/failed-commit"
	FailedReasonAnnotation   = "sluice.dev/failed-reason"
)

// recordField is the field manager of the failure record: not the
// manager that applies the primary, so that a promotion's apply keeps it.
const recordField = "sluice-record"

// PrimaryRecord is what a primary Deployment records of its Canary's
// history (see Primary and RecordFailure).
type PrimaryRecord struct {
	// Exists is false when there is no primary Deployment.
	Exists bool
	// Revision and Commit are what it runs; empty on a primary sluice did
	// not make (one of Flagger's, say).
	Revision, Commit string
	// FailedRevision, FailedCommit and FailedReason are the last revision
	// that failed its analysis; empty when none did.
	FailedRevision, FailedCommit, FailedReason string
}

// ReadPrimaryRecord reads the record of the primary Deployment key. A
// missing primary is a record with Exists false, not an error.
func (a *Applier) ReadPrimaryRecord(ctx context.Context, key client.ObjectKey) (PrimaryRecord, error) {
	return a.ReadWorkloadRecord(ctx, "Deployment", key)
}

// ReadWorkloadRecord is ReadPrimaryRecord for a primary of kind
// (Deployment or DaemonSet), read as metadata only.
func (a *Applier) ReadWorkloadRecord(ctx context.Context, kind string, key client.ObjectKey) (PrimaryRecord, error) {
	deploy := workloadMetadata(kind)
	if err := a.client.Get(ctx, key, deploy); err != nil {
		if apierrors.IsNotFound(err) {
			return PrimaryRecord{}, nil
		}
		return PrimaryRecord{}, fmt.Errorf("applier: read %s %s: %w", strings.ToLower(kind), key, err)
	}
	ann := deploy.Annotations
	return PrimaryRecord{
		Exists: true, Revision: ann[RevisionAnnotation], Commit: ann[CommitAnnotation],
		FailedRevision: ann[FailedRevisionAnnotation], FailedCommit: ann[FailedCommitAnnotation], FailedReason: ann[FailedReasonAnnotation],
	}, nil
}

// RecordFailure records on the primary Deployment key the revision that
// failed, its commit and the reason, with a merge patch of its
// annotations alone (the primary's pods are not touched). It is
// idempotent. A missing primary is an error satisfying
// apierrors.IsNotFound.
func (a *Applier) RecordFailure(ctx context.Context, key client.ObjectKey, revision, commit, reason string) (Changes, error) {
	return a.RecordWorkloadFailure(ctx, "Deployment", key, revision, commit, reason)
}

// RecordWorkloadFailure is RecordFailure on a primary of kind (Deployment
// or DaemonSet).
func (a *Applier) RecordWorkloadFailure(ctx context.Context, kind string, key client.ObjectKey, revision, commit, reason string) (Changes, error) {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{
		FailedRevisionAnnotation: revision, FailedCommitAnnotation: commit, FailedReasonAnnotation: reason,
	}}})
	if err != nil {
		return nil, err
	}
	deploy := workloadMetadata(kind)
	deploy.SetNamespace(key.Namespace)
	deploy.SetName(key.Name)
	if err := a.client.Get(ctx, key, deploy); err != nil {
		return nil, fmt.Errorf("applier: record failure on %s %s: %w", strings.ToLower(kind), key, err)
	}
	ann := deploy.Annotations
	if ann[FailedRevisionAnnotation] == revision && ann[FailedCommitAnnotation] == commit && ann[FailedReasonAnnotation] == reason {
		return Changes{{Subject: kind + "/" + key.Namespace + "/" + key.Name, Action: Unchanged}}, nil
	}
	if err := a.client.Patch(ctx, deploy, client.RawPatch(types.MergePatchType, patch), client.FieldOwner(recordField)); err != nil {
		return nil, fmt.Errorf("applier: record failure on %s %s: %w", strings.ToLower(kind), key, err)
	}
	return Changes{{Subject: kind + "/" + key.Namespace + "/" + key.Name, Action: Configured}}, nil
}

// workloadMetadata is an empty apps/v1 object of kind, for reading and
// patching its metadata only.
func workloadMetadata(kind string) *metav1.PartialObjectMetadata {
	obj := &metav1.PartialObjectMetadata{}
	obj.SetGroupVersionKind(appsv1.SchemeGroupVersion.WithKind(kind))
	return obj
}
