package main

import (
	"context"
	"strings"
	"testing"
)

func TestDemoTakesNoArgumentsAndOffersKeep(t *testing.T) {
	if _, err := sluice(context.Background(), "demo", "now"); err == nil || !strings.Contains(err.Error(), `unknown command "now"`) {
		t.Errorf("sluice demo now: error %v, want one about the argument", err)
	}
	out, err := sluice(context.Background(), "demo", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--keep", "--sluice-log", "promoted through 5/10/15/20 %"} {
		if !strings.Contains(out, want) {
			t.Errorf("sluice demo --help does not mention %q:\n%s", want, out)
		}
	}
}

func TestDemoOffersTheCompareStoryAndRefusesAnUnknownOne(t *testing.T) {
	out, err := sluice(context.Background(), "demo", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--story string", "seed or compare", "--story compare", "p99 latency of canary"} {
		if !strings.Contains(out, want) {
			t.Errorf("sluice demo --help does not mention %q:\n%s", want, out)
		}
	}
	if _, err := sluice(context.Background(), "demo", "--story", "sequel"); err == nil || !strings.Contains(err.Error(), `unknown story "sequel"`) {
		t.Errorf("sluice demo --story sequel: error %v, want one naming the story", err)
	}
}
