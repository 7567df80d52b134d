package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// MetricTemplate is a metric query that Canaries share: a metric of a
// Canary names it with templateRef instead of writing its own query. Its
// fields follow Flagger's MetricTemplate.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=mt,categories=sluice
// +kubebuilder:printcolumn:name="Provider",type=string,JSONPath=`.spec.provider.type`
type MetricTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec MetricTemplateSpec `json:"spec"`
}

// MetricTemplateList is a list of MetricTemplates.
//
// +kubebuilder:object:root=true
type MetricTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []MetricTemplate `json:"items"`
}

// MetricTemplateSpec is where a query runs and the query.
type MetricTemplateSpec struct {
	// Provider is the metrics server the query runs in.
	// +optional
	Provider MetricTemplateProvider `json:"provider,omitempty"`
	// Query is PromQL with the template variables {{ name }} (the Canary's
	// name), {{ namespace }}, {{ target }} (the targetRef name),
	// {{ service }} (the apex Service's name: spec.service.name, else the
	// target's), {{ ingress }}, {{ route }} (both the target's name, as
	// Flagger has them for a Canary without an ingressRef or a routeRef),
	// {{ interval }} (the metric's) and
	// {{ variables.NAME }} (the metric's templateVariables). The query must
	// return one value.
	Query string `json:"query"`
}

// MetricTemplateProvider is a Prometheus HTTP API: Prometheus itself, or
// Thanos, Mimir, Cortex or VictoriaMetrics, which answer the same API.
type MetricTemplateProvider struct {
	// Type is prometheus; empty means prometheus. Flagger's other types
	// (datadog, cloudwatch, …) are refused by name.
	// +optional
	Type string `json:"type,omitempty"`
	// Address is the base URL of the HTTP API, e.g.
	// http://thanos-query.monitoring:9090. Empty means sluice's
	// --prometheus-url.
	// +optional
	Address string `json:"address,omitempty"`
	// Headers are sent with every query, e.g. X-Scope-OrgID for a
	// multi-tenant Mimir or Cortex.
	// +optional
	Headers map[string][]string `json:"headers,omitempty"`
	// SecretRef names a Secret in the MetricTemplate's namespace with the
	// credentials of the API: key token (a bearer token), or keys username
	// and password (basic authentication). Its values are never logged.
	// +optional
	SecretRef *corev1.LocalObjectReference `json:"secretRef,omitempty"`
	// InsecureSkipVerify accepts any TLS certificate of Address.
	// +optional
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
}

// MetricTemplateRef names a MetricTemplate.
type MetricTemplateRef struct {
	// Name of the MetricTemplate.
	Name string `json:"name"`
	// Namespace of the MetricTemplate; empty means the Canary's.
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// The metric provider types.
const (
	// MetricProviderPrometheus is the Prometheus HTTP API.
	MetricProviderPrometheus = "prometheus"
)
