package applier

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// objectKey names an object across versions of its kind:
// "group/Kind/namespace/name".
type objectKey string

func keyOf(gk schema.GroupKind, namespace, name string) objectKey {
	return objectKey(strings.Join([]string{gk.Group, gk.Kind, namespace, name}, "/"))
}

func keyOfObject(obj *unstructured.Unstructured) objectKey {
	return keyOf(obj.GroupVersionKind().GroupKind(), obj.GetNamespace(), obj.GetName())
}

// proof is what a dry run established: the live object, at
// resourceVersion, matched the desired object whose hash is desiredHash.
type proof struct {
	desiredHash     string
	resourceVersion string
	at              time.Time
}

// memo holds the proofs of objects found unchanged. It is safe for
// concurrent use.
type memo struct {
	mu     sync.Mutex
	proofs map[objectKey]proof
}

func newMemo() *memo { return &memo{proofs: map[objectKey]proof{}} }

// proves reports whether a proof of key covers the desired object hashed
// desiredHash against the live resourceVersion, and is younger than maxAge.
func (m *memo) proves(key objectKey, desiredHash, resourceVersion string, now time.Time, maxAge time.Duration) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.proofs[key]
	return ok && p.desiredHash == desiredHash && p.resourceVersion == resourceVersion && now.Sub(p.at) < maxAge
}

func (m *memo) remember(key objectKey, p proof) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.proofs[key] = p
}

func (m *memo) forget(keys ...objectKey) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, key := range keys {
		delete(m.proofs, key)
	}
}

func (m *memo) clear() {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.proofs)
}

// desiredHash hashes the canonical JSON of obj (encoding/json sorts map
// keys), owner labels included.
func desiredHash(obj *unstructured.Unstructured) (string, error) {
	data, err := json.Marshal(obj.Object)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}
