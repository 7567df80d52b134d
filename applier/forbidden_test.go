package applier

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestAsForbiddenErrorNamesTheRefusedVerbAndResource(t *testing.T) {
	refusal := func(group, resource, verb string) error {
		return apierrors.NewForbidden(schema.GroupResource{Group: group, Resource: resource}, "nightly",
			fmt.Errorf(`User "system:serviceaccount:sluice-system:sluice" cannot %s resource %q in API group %q in the namespace "shop"`, verb, resource, group))
	}
	tests := []struct {
		name string
		err  error
		want *ForbiddenError
	}{
		{"a dry-run apply of a CronJob names patch and cronjobs.batch", refusal("batch", "cronjobs", "patch"), &ForbiddenError{Verb: "patch", Resource: "cronjobs.batch"}},
		{"a core kind is named without a group", refusal("", "serviceaccounts", "get"), &ForbiddenError{Verb: "get", Resource: "serviceaccounts"}},
		{"a wrapped refusal is still found", fmt.Errorf("CronJob/shop/nightly dry-run failed: %w", refusal("batch", "cronjobs", "patch")), &ForbiddenError{Verb: "patch", Resource: "cronjobs.batch"}},
		{"another error is not a refusal", errors.New("connection refused"), nil},
		{"a missing object is not a refusal", apierrors.NewNotFound(schema.GroupResource{Resource: "services"}, "web"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := asForbiddenError(tt.err)
			if got != nil {
				got.Err = nil
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("asForbiddenError (-want +got):\n%s", diff)
			}
		})
	}
}
