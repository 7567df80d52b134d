package fuzz_test

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sluicehq/sluice/analysis"
	"github.com/sluicehq/sluice/api/v1alpha1"
)

// canary is a Canary of provider istio named detail in flagger.
func canary() *v1alpha1.Canary {
	return &v1alpha1.Canary{
		ObjectMeta: metav1.ObjectMeta{Name: "detail", Namespace: "flagger"},
		Spec:       v1alpha1.CanarySpec{TargetRef: v1alpha1.TargetRef{Kind: "Deployment", Name: "detail"}, Provider: v1alpha1.ProviderIstio},
	}
}

// FuzzRenderQueryVariablesStayInTheirLabelValue puts arbitrary values in a
// metric's template variable inside a quoted label value: whatever the
// value, the rendered query's label value reads back as exactly that
// value, so it can never end the string and add a matcher or a query of
// its own.
func FuzzRenderQueryVariablesStayInTheirLabelValue(f *testing.F) {
	for _, seed := range []string{"5..", `"} or vector(1) #`, `\`, "a\nb", `\"`, "}}{{", "{{ namespace }}", "é\x00\xff"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		metric := v1alpha1.CanaryMetric{Name: "m", Query: `up{code="{{ variables.v }}"}`, TemplateVariables: map[string]string{"v": value}}
		query, err := analysis.RenderQuery(canary(), metric, "")
		if err != nil {
			if strings.Contains(err.Error(), "longer than") {
				return
			}
			t.Fatalf("RenderQuery: %v", err)
		}
		inner, ok := strings.CutPrefix(query, `up{code=`)
		if !ok || !strings.HasSuffix(inner, "}") {
			t.Fatalf("query %q lost its shape", query)
		}
		got, err := strconv.Unquote(strings.TrimSuffix(inner, "}"))
		if err != nil || got != value {
			t.Fatalf("the label value of %q reads %q (%v), want exactly %q", query, got, err, value)
		}
	})
}

// FuzzWebhookPayloadRoundTrip checks the payload a webhook receives reads
// back field for field: decoded, encoded and decoded again, it is the same
// payload, and for valid UTF-8 the same strings.
func FuzzWebhookPayloadRoundTrip(f *testing.F) {
	f.Add("detail", "flagger", "hey -z 1m -q 10 -c 2 http://detail-canary:3000/", "type", "bash")
	f.Add("", "", "", "", "")
	f.Add("a\"b", "\x00", "\u2028", "k\n", "v\\")
	f.Fuzz(func(t *testing.T, name, namespace, cmd, key, value string) {
		payload := analysis.WebhookPayload{Name: name, Namespace: namespace, Phase: v1alpha1.PhaseProgressing, Checksum: "rev",
			Metadata: map[string]string{"cmd": cmd, key: value}}
		first, err := json.Marshal(payload)
		if err != nil {
			t.Fatal(err)
		}
		var got analysis.WebhookPayload
		if err := json.Unmarshal(first, &got); err != nil {
			t.Fatalf("a payload does not decode: %v\n%s", err, first)
		}
		// Encoded again and decoded, it is the same payload. (Not the same
		// bytes: invalid UTF-8 is first written \ufffd, then as the rune;
		// the fuzzer found that, testdata keeps the case.)
		second, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		var again analysis.WebhookPayload
		if err := json.Unmarshal(second, &again); err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("the payload changed on the way (%v):\n%s\n%s", err, first, second)
		}
		valid := utf8.ValidString(name) && utf8.ValidString(namespace) && utf8.ValidString(cmd) && utf8.ValidString(key) && utf8.ValidString(value)
		if valid && (got.Name != name || got.Namespace != namespace || got.Metadata[key] != value ||
			key != "cmd" && got.Metadata["cmd"] != cmd) {
			t.Fatalf("payload %+v reads back as %+v", payload, got)
		}
	})
}
