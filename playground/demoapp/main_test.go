package demoapp_test

import (
	"os"
	"testing"

	"github.com/sluicehq/sluice/playground/demoapp"
)

// TestMain lets the child tests re-execute this test binary as an app.
func TestMain(m *testing.M) {
	demoapp.RunIfChild()
	os.Exit(m.Run())
}
