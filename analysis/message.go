package analysis

import (
	"fmt"
	"strconv"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// HaltMessage returns the event that halts a Canary's advancement because of
// a check, in Flagger's words: "Halt detail.flagger advancement success rate
// 23.03% < 99%". It is meant for results that do not pass, and formats any.
func HaltMessage(canaryName, namespace string, r Result) string {
	return fmt.Sprintf("Halt %s.%s advancement %s", canaryName, namespace, r.Message)
}

// noDataMessage says that a metric had no value and why that usually is:
// "no values found for metric request-success-rate, canary detail.flagger
// may not be receiving traffic". found is false for an empty result; value
// is the NaN or ±Inf returned otherwise.
func noDataMessage(canary *v1alpha1.Canary, metric string, found bool, value float64) string {
	what := "no values found for metric " + metric
	if found {
		what = fmt.Sprintf("metric %s is %s", metric, strconv.FormatFloat(value, 'g', -1, 64))
	}
	return fmt.Sprintf("%s, canary %s.%s may not be receiving traffic", what, canary.Name, canary.Namespace)
}
