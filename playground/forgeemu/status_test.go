package forgeemu

import "testing"

func TestCombinedState(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		states []string
		want   string
	}{
		{"none is pending", nil, "pending"},
		{"all success is success", []string{"success", "success"}, "success"},
		{"a pending one is pending", []string{"success", "pending"}, "pending"},
		{"an error is failure", []string{"pending", "error"}, "failure"},
		{"a failure is failure", []string{"failure", "success"}, "failure"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			var statuses []statusJSON
			for _, state := range tt.states {
				statuses = append(statuses, statusJSON{State: state})
			}
			if got := combinedState(statuses); got != tt.want {
				t.Errorf("combinedState(%v) = %s, want %s", tt.states, got, tt.want)
			}
		})
	}
}
