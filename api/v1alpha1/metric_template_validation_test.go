package v1alpha1

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestMetricTemplateValidate(t *testing.T) {
	valid := func() *MetricTemplate {
		return &MetricTemplate{
			ObjectMeta: metav1.ObjectMeta{Name: "error-rate", Namespace: "monitoring"},
			Spec: MetricTemplateSpec{
				Provider: MetricTemplateProvider{Type: "prometheus", Address: "https://thanos.monitoring:9090",
					Headers: map[string][]string{"X-Scope-OrgID": {"team-a"}}, SecretRef: &corev1.LocalObjectReference{Name: "thanos-auth"}},
				Query: `sum(rate(errors{namespace="{{ namespace }}"}[{{ interval }}]))`,
			},
		}
	}
	tests := []struct {
		name   string
		change func(*MetricTemplate)
		want   string
	}{
		{name: "a Prometheus template with an address, a header and a Secret is valid", change: func(*MetricTemplate) {}},
		{name: "an empty type and address mean sluice's Prometheus", change: func(m *MetricTemplate) { m.Spec.Provider = MetricTemplateProvider{} }},
		{
			name:   "a provider type Flagger has and sluice has not is refused by name",
			change: func(m *MetricTemplate) { m.Spec.Provider.Type = "cloudwatch" },
			want:   `metrictemplate monitoring/error-rate: spec.provider.type: Invalid value: "cloudwatch": not supported by sluice: export CloudWatch metrics to Prometheus (e.g. YACE) and query them there; supported: prometheus, and what answers its API (Thanos, Mimir, Cortex, VictoriaMetrics)`,
		},
		{
			name:   "an unknown provider type lists the supported one",
			change: func(m *MetricTemplate) { m.Spec.Provider.Type = "graphana" },
			want:   `metrictemplate monitoring/error-rate: spec.provider.type: Unsupported value: "graphana": supported values: "prometheus"`,
		},
		{
			name:   "an address that is not an absolute http URL",
			change: func(m *MetricTemplate) { m.Spec.Provider.Address = "thanos:9090" },
			want:   `metrictemplate monitoring/error-rate: spec.provider.address: Invalid value: "thanos:9090": must be an absolute http or https URL`,
		},
		{
			name:   "a password in the address is refused and not shown",
			change: func(m *MetricTemplate) { m.Spec.Provider.Address = "https://admin:hunter2@thanos:9090" },
			want:   `metrictemplate monitoring/error-rate: spec.provider.address: Invalid value: "https://REDACTED@thanos:9090": must not hold credentials: put them in the Secret of secretRef`,
		},
		{
			name:   "credentials in a header are refused",
			change: func(m *MetricTemplate) { m.Spec.Provider.Headers = map[string][]string{"authorization": {"Bearer x"}} },
			want:   `metrictemplate monitoring/error-rate: spec.provider.headers[authorization]: Forbidden: credentials belong in the Secret of secretRef (key token, or username and password)`,
		},
		{
			name:   "a query is required",
			change: func(m *MetricTemplate) { m.Spec.Query = " \n" },
			want:   `metrictemplate monitoring/error-rate: spec.query: Required value: the PromQL the metric runs`,
		},
		{
			name:   "a huge query is refused",
			change: func(m *MetricTemplate) { m.Spec.Query = strings.Repeat("x", MaxMetricTemplateQueryBytes+1) },
			want:   `metrictemplate monitoring/error-rate: spec.query: Too long: may not be more than 65536 bytes`,
		},
		{
			name:   "a secretRef names a Secret",
			change: func(m *MetricTemplate) { m.Spec.Provider.SecretRef = &corev1.LocalObjectReference{} },
			want:   `metrictemplate monitoring/error-rate: spec.provider.secretRef.name: Required value`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := valid()
			tt.change(m)
			got := ""
			if err := m.Validate(); err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate() (-want +got):\n%s", diff)
			}
			if strings.Contains(got, "hunter2") {
				t.Errorf("the error shows the password")
			}
		})
	}
}
