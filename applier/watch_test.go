package applier

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/metadata/fake"
	k8stesting "k8s.io/client-go/testing"
)

// A role extended after sluice started (as the ForbiddenError of an apply
// asks) must not need a restart for the kind to be watched: a refused watch
// is tried again, and its refusal logged once however often it is.
func TestARefusedWatchIsRetriedAfterAWhileAndLoggedOnce(t *testing.T) {
	configMaps := schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	md := fake.NewSimpleMetadataClient(fake.NewTestScheme())
	md.PrependReactor("list", "configmaps", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(configMaps.GroupResource(), "", errors.New("no role"))
	})
	var log bytes.Buffer
	w := newLiveWatch(md, "", map[string]string{"sluice.dev/name": "test"}, slog.New(slog.NewTextHandler(&log, nil)))
	defer w.close()
	mappings := []*meta.RESTMapping{{Resource: configMaps, Scope: meta.RESTScopeNamespace}}
	now := time.Now()

	w.watch(context.Background(), mappings, now)
	first := w.kinds[configMaps]
	if _, ok := w.resourceVersion(configMaps, "shop", "settings", now); ok {
		t.Error("a refused watch vouches for an object")
	}
	w.watch(context.Background(), mappings, now.Add(time.Minute))
	if w.kinds[configMaps] != first {
		t.Error("a refused watch was tried again after a minute, want after retryRefusedAfter")
	}
	w.watch(context.Background(), mappings, now.Add(retryRefusedAfter+time.Second))
	second := w.kinds[configMaps]
	if second == first {
		t.Error("a refused watch was not tried again after retryRefusedAfter")
	}
	if !second.settled() || second.trusted(now.Add(retryRefusedAfter+time.Second)) {
		t.Error("the retried watch, refused again, is trusted")
	}
	if n := strings.Count(log.String(), "Cannot watch configmaps"); n != 1 {
		t.Errorf("logged the refusal %d times, want once:\n%s", n, log.String())
	}
}

// A list that fails for a reason retrying may cure (an API server restart,
// a broken conversion webhook) must neither hold Apply for
// firstListTimeout nor be trusted: its objects are dry-run meanwhile.
func TestAFailingWatchIsNotWaitedForNorTrusted(t *testing.T) {
	configMaps := schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	md := fake.NewSimpleMetadataClient(fake.NewTestScheme())
	md.PrependReactor("list", "configmaps", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewInternalError(errors.New("etcd is restarting"))
	})
	w := newLiveWatch(md, "", map[string]string{"sluice.dev/name": "test"}, slog.New(slog.DiscardHandler))
	defer w.close()
	start := time.Now()
	w.watch(context.Background(), []*meta.RESTMapping{{Resource: configMaps, Scope: meta.RESTScopeNamespace}}, start)
	if waited := time.Since(start); waited > firstListTimeout/2 {
		t.Errorf("the first Apply waited %s for a failing list", waited)
	}
	if w.kinds[configMaps].trusted(time.Now()) {
		t.Error("a watch whose list fails is trusted")
	}
}
