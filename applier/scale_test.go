package applier_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

func TestScaleSetsTheReplicasOnlyAndWritesNothingTheSecondTime(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	a := newApplier(t, ns)
	ctx := context.Background()
	if _, err := a.Apply(ctx, objects(t, ns, deployment)); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKey{Namespace: ns, Name: "detail"}
	subject := "Deployment/" + ns + "/detail"

	for _, want := range []applier.Changes{{{Subject: subject, Action: applier.Configured}}, {{Subject: subject, Action: applier.Unchanged}}} {
		got, err := a.Scale(ctx, key, 3)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Scale to 3 (-want +got):\n%s", diff)
		}
	}
	if replicas, err := a.Replicas(ctx, key); err != nil || replicas != 3 {
		t.Errorf("Replicas = %d, %v; want 3", replicas, err)
	}
	// Scaling rewrote nothing but the replicas.
	changes, err := a.Diff(ctx, objects(t, ns, deployment))
	if err != nil || len(changes) != 1 || !strings.Contains(changes[0].Text, "replicas") || strings.Contains(changes[0].Text, "image") {
		t.Errorf("a re-apply of the 1-replica Deployment after Scale: %+v, %v; want a diff of the replicas only", changes, err)
	}

	_, err = a.Scale(ctx, client.ObjectKey{Namespace: ns, Name: "missing"}, 1)
	if !apierrors.IsNotFound(errors.Unwrap(err)) {
		t.Errorf("Scale of a missing Deployment: %v, want not found", err)
	}
}
