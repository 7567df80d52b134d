package forgeemu

import "testing"

func TestValidBranchName(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		want bool
	}{
		{"main", true},
		{"sluice/revert-detail-abc1234", true},
		{"release-1.2", true},
		{"", false},
		{"-option", false},
		{"a..b", false},
		{"a b", false},
		{"a:b", false},
		{"a~1", false},
		{"a^", false},
		{"a@{0}", false},
		{"@", false},
		{"/a", false},
		{"a/", false},
		{"a//b", false},
		{".hidden", false},
		{"a/.hidden", false},
		{"a.lock", false},
		{"a.", false},
		{"a\\b", false},
		{"a\tb", false},
	}
	for _, tt := range cases {
		if got := validBranchName(tt.name); got != tt.want {
			t.Errorf("validBranchName(%q) = %t, want %t", tt.name, got, tt.want)
		}
	}
}
