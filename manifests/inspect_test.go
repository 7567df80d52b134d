package manifests

import "testing"

func TestIsRemoteTakesInEveryFormKustomizeFetches(t *testing.T) {
	tests := []struct {
		ref  string
		want bool
	}{
		{"https://github.com/sluicehq/apps//detail?ref=v1", true},
		{"http://example.com/deployment.yaml", true},
		{"HTTPS://EXAMPLE.COM/deployment.yaml", true},
		{"ssh://git@github.com/sluicehq/apps.git", true},
		{"file:///srv/git/apps.git//detail", true},
		{"git::https://github.com/sluicehq/apps", true},
		{"git@github.com:sluicehq/apps.git//detail", true},
		{"deploy@gitlab.example.com:apps/detail", true},
		{"github.com/sluicehq/apps/detail", true},
		{"github.com:sluicehq/apps", true},
		{"s3://bucket/deployment.yaml", true},
		{"deployment.yaml", false},
		{"../../base/detail", false},
		{"apps/github.com/notes.yaml", false},
		{"patches/v2@latest.yaml", false},
		{"", false},
		{"apiVersion: builtin\nkind: PrefixTransformer\nmetadata: {name: x}\nprefix: https://\n", false},
	}
	for _, tt := range tests {
		if got := isRemote(tt.ref); got != tt.want {
			t.Errorf("isRemote(%q) = %v, want %v", tt.ref, got, tt.want)
		}
	}
}
