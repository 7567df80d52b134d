package forge

import (
	"strings"
	"testing"
)

func TestTruncateDescription(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   string
		want string
	}{
		{"a short one is kept", "canary weight 10% — step 2/3", "canary weight 10% — step 2/3"},
		{"140 characters are kept", strings.Repeat("é", 140), strings.Repeat("é", 140)},
		{"141 characters are cut with an ellipsis", strings.Repeat("é", 141), strings.Repeat("é", 139) + "…"},
		{"characters, not bytes, are counted", strings.Repeat("—", 100), strings.Repeat("—", 100)},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			if got := truncateDescription(tt.in); got != tt.want {
				t.Errorf("truncateDescription = %q, want %q", got, tt.want)
			}
		})
	}
}
