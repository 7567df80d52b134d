package gateway

import (
	"testing"

	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// sampled copies the share a filter asks for: counted over every value
// the random source can return, percent, fraction (denominator 100 when
// unset) and neither come out exact.
func TestMirrorSampledCopiesTheShareTheFilterAsksFor(t *testing.T) {
	tests := []struct {
		name        string
		mirror      gatewayv1.HTTPRequestMirrorFilter
		want, outOf int
	}{
		{"percent 30", gatewayv1.HTTPRequestMirrorFilter{Percent: ptr.To[int32](30)}, 30, 100},
		{"percent 0 copies nothing", gatewayv1.HTTPRequestMirrorFilter{Percent: ptr.To[int32](0)}, 0, 100},
		{"fraction 1/3", gatewayv1.HTTPRequestMirrorFilter{Fraction: &gatewayv1.Fraction{Numerator: 1, Denominator: ptr.To[int32](3)}}, 1, 3},
		{"fraction 5 of a default 100", gatewayv1.HTTPRequestMirrorFilter{Fraction: &gatewayv1.Fraction{Numerator: 5}}, 5, 100},
		{"neither copies every request", gatewayv1.HTTPRequestMirrorFilter{}, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := 0
			for v := range tt.outOf {
				if sampled(&tt.mirror, func(n int) int {
					if n != tt.outOf {
						t.Fatalf("drawn out of %d, want %d", n, tt.outOf)
					}
					return v
				}) {
					got++
				}
			}
			if got != tt.want {
				t.Errorf("copied %d of %d, want %d", got, tt.outOf, tt.want)
			}
		})
	}
}
