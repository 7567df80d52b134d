package demo

import "testing"

func TestSplitCanaryShare(t *testing.T) {
	s := Split{PrimaryWeight: 90, CanaryWeight: 10, PrimaryVersion: "1.0", CanaryVersion: "2.0", Requests: 1000, PrimaryAnswers: 897, CanaryAnswers: 103}
	if got := s.CanaryShare(); got != 10.3 {
		t.Errorf("CanaryShare() = %v, want 10.3", got)
	}
	if want := "route 90/10, measured 10.3% on the canary 2.0 (103 of 1000 requests; 897 on the primary 1.0, 0 lost)"; s.String() != want {
		t.Errorf("String() = %q, want %q", s.String(), want)
	}
	if got := (Split{}).CanaryShare(); got != 0 {
		t.Errorf("CanaryShare() of no requests = %v, want 0", got)
	}
}
