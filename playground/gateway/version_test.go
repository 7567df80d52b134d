package gateway

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestVersionOf(t *testing.T) {
	tests := []struct {
		name  string
		image string
		want  string
	}{
		{name: "a tag is the version", image: "ghcr.io/sluicehq/detail:2.0", want: "2.0"},
		{name: "no tag is latest", image: "ghcr.io/sluicehq/detail", want: "latest"},
		{name: "a registry port is not a tag", image: "localhost:5000/detail", want: "latest"},
		{name: "a tag after a registry port", image: "localhost:5000/detail:3.0", want: "3.0"},
		{name: "a digest is cut off", image: "detail:2.1@sha256:0123abcd", want: "2.1"},
		{name: "a digest without tag is latest", image: "detail@sha256:0123abcd", want: "latest"},
		{name: "an empty tag is latest", image: "detail:", want: "latest"},
		{name: "an empty image is latest", image: "", want: "latest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, VersionOf(tt.image)); diff != "" {
				t.Errorf("VersionOf(%q) (-want +got):\n%s", tt.image, diff)
			}
		})
	}
}
