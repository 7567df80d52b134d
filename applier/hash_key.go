package applier

import (
	"context"
	"crypto/rand"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// hashKeyField is the data key of the hash key Secret.
const hashKeyField = "key"

// hashKeyName is the Secret holding the installation's key for hashing
// Secret data: <owner>-hash-key in the owner namespace.
func (a *Applier) hashKeyName() client.ObjectKey {
	return client.ObjectKey{Namespace: a.opts.OwnerNamespace, Name: a.opts.Owner + "-hash-key"}
}

// HashKey returns this installation's key for hashing Secret data (see
// manifests.Options.SecretKey): 32 random bytes kept in the Secret
// <owner>-hash-key of the owner namespace, created on first use when
// create is true. Without the Secret and with create false it returns
// nil: plain hashes. The Secret is not in the inventory: nothing prunes
// it.
func (a *Applier) HashKey(ctx context.Context, create bool) ([]byte, error) {
	var secret corev1.Secret
	err := a.client.Get(ctx, a.hashKeyName(), &secret)
	switch {
	case err == nil && len(secret.Data[hashKeyField]) >= 32:
		return secret.Data[hashKeyField], nil
	case err == nil:
		return nil, fmt.Errorf("applier: secret %s: no key of 32 bytes in %q", a.hashKeyName(), hashKeyField)
	case !apierrors.IsNotFound(err):
		return nil, fmt.Errorf("applier: read secret %s: %w", a.hashKeyName(), err)
	case !create:
		return nil, nil
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	secret = corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: a.hashKeyName().Name, Namespace: a.hashKeyName().Namespace,
			Labels: map[string]string{"app.kubernetes.io/managed-by": "sluice"}},
		Data: map[string][]byte{hashKeyField: key},
	}
	if err := a.client.Create(ctx, &secret); err != nil {
		if apierrors.IsAlreadyExists(err) { // another replica made it first
			return a.HashKey(ctx, false)
		}
		return nil, fmt.Errorf("applier: create secret %s: %w", a.hashKeyName(), err)
	}
	return key, nil
}
