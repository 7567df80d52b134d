package reconciler

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sluicehq/sluice/analysis"
	"github.com/sluicehq/sluice/api/v1alpha1"
)

// metricTemplate reads the MetricTemplate namespace/name and the Secret of
// its secretRef from the cluster (where the sync applied them from Git, or
// where another tool keeps them) and resolves them for a check: it is the
// analysis.TemplateLookup of every metric check. Its errors name the
// object that is missing or wrong and never hold a secret value.
func (r *Reconciler) metricTemplate(ctx context.Context, namespace, name string) (*analysis.Template, error) {
	var tmpl v1alpha1.MetricTemplate
	if err := r.client.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, &tmpl); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, errors.New("not found")
		}
		return nil, fmt.Errorf("read: %w", err)
	}
	if err := tmpl.Validate(); err != nil {
		return nil, err
	}
	provider := tmpl.Spec.Provider
	source := analysis.Source{Address: provider.Address, Header: http.Header(provider.Headers), InsecureSkipVerify: provider.InsecureSkipVerify}
	if ref := provider.SecretRef; ref != nil {
		var secret corev1.Secret
		if err := r.client.Get(ctx, types.NamespacedName{Namespace: namespace, Name: ref.Name}, &secret); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, fmt.Errorf("secret %s/%s of spec.provider.secretRef: not found", namespace, ref.Name)
			}
			return nil, fmt.Errorf("secret %s/%s of spec.provider.secretRef: read: %w", namespace, ref.Name, err)
		}
		if err := credentials(&source, secret.Data); err != nil {
			return nil, fmt.Errorf("secret %s/%s of spec.provider.secretRef: %w", namespace, ref.Name, err)
		}
	}
	return &analysis.Template{Name: namespace + "/" + name, Query: tmpl.Spec.Query, Source: source}, nil
}

// credentials puts the credentials of a MetricTemplate's Secret in
// source, with Flagger's keys: token (a bearer token), else username and
// password.
func credentials(source *analysis.Source, data map[string][]byte) error {
	if token, ok := data["token"]; ok {
		source.Token = string(token)
		return nil
	}
	username, hasUser := data["username"]
	password, hasPassword := data["password"]
	if !hasUser || !hasPassword {
		return errors.New("has neither key token nor keys username and password")
	}
	source.Username, source.Password = string(username), string(password)
	return nil
}
