package manifests

import (
	"errors"
	"strings"
	"testing"
)

// A named targetPort must name a port of the target's containers: the
// Services would forward to nothing otherwise, the primary's included.
func TestANamedTargetPortMustBeAContainerPortOfTheTarget(t *testing.T) {
	for _, tt := range []struct{ port, want string }{
		{"http", ""},
		{"9898", ""},
		{"grpc", `no container of Deployment podinfo has a port named "grpc"`},
	} {
		t.Run(tt.port, func(t *testing.T) {
			canary := strings.Replace(flaggerCanary, "    targetPort: 9898\n", "    targetPort: "+tt.port+"\n", 1)
			_, err := Render(writeRepo(t, map[string]string{"canary.yaml": canary, "deployment.yaml": podinfo}, nil), ".", Options{DefaultNamespace: "test"})
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Render = %v, want no error", err)
				}
				return
			}
			var invalid *InvalidError
			if !errors.As(err, &invalid) || invalid.Field != "spec.service.targetPort" || invalid.Reason != tt.want {
				t.Errorf("Render = %v, want spec.service.targetPort: %s", err, tt.want)
			}
		})
	}
}
