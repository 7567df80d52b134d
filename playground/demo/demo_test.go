package demo

import (
	"context"
	"strings"
	"testing"
)

func TestAnUnknownStoryIsAnErrorBeforeAnythingStarts(t *testing.T) {
	report, err := Run(context.Background(), Options{Sluice: "/nonexistent/sluice", Story: "sequel"})
	if err == nil || !strings.Contains(err.Error(), `unknown story "sequel": want one of seed, compare`) {
		t.Errorf("Run with an unknown story: %v, want the stories it knows", err)
	}
	if report != nil {
		t.Errorf("report %+v, want none: nothing was played", report)
	}
}
