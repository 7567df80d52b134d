package analysis

import (
	"testing"

	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// TestMain runs the package's tests on one playground, whose Prometheus the
// metric checks query.
func TestMain(m *testing.M) { playgroundtest.Main(m) }
