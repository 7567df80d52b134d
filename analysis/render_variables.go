package analysis

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/template/parse"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// UnknownVariableError is returned when a query template uses a variable
// that does not exist: a name other than those of RenderQuery and the
// text/template built-in functions, a {{ variables.NAME }} whose NAME is not
// in the metric's templateVariables, or a field of the data such as
// {{ .Namespace }}.
type UnknownVariableError struct {
	// Metric is the name of the metric whose query uses the variable.
	Metric string
	// Variable is the variable as written, without braces: "service",
	// "variables.region", ".Namespace".
	Variable string
	// Known lists the variables the metric's query may use, as written.
	Known []string
}

func (e *UnknownVariableError) Error() string {
	return fmt.Sprintf("metric %s: query uses unknown variable {{ %s }}: known variables are %s",
		e.Metric, e.Variable, strings.Join(e.Known, ", "))
}

// builtinFuncs are text/template's predefined functions, which a query may
// call: they are functions, not unknown variables.
var builtinFuncs = []string{
	"and", "call", "html", "index", "slice", "js", "len", "not", "or", "print",
	"printf", "println", "urlquery", "eq", "ge", "gt", "le", "lt", "ne",
}

// checkVariables walks a parsed query template and returns an
// *UnknownVariableError for the first variable the metric does not have.
func checkVariables(node parse.Node, metric v1alpha1.CanaryMetric) error {
	unknown := func(variable string) error {
		return &UnknownVariableError{Metric: metric.Name, Variable: variable, Known: knownVariables(metric)}
	}
	switch n := node.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, child := range n.Nodes {
			if err := checkVariables(child, metric); err != nil {
				return err
			}
		}
	case *parse.ActionNode:
		return checkVariables(n.Pipe, metric)
	case *parse.TemplateNode:
		return checkVariables(n.Pipe, metric)
	case *parse.IfNode:
		return checkBranch(&n.BranchNode, metric)
	case *parse.RangeNode:
		// A range over a number loops that many times, writing or not: a
		// query template from Git could keep sluice busy forever.
		return fmt.Errorf("metric %s: range is not allowed in a query template", metric.Name)
	case *parse.WithNode:
		return checkBranch(&n.BranchNode, metric)
	case *parse.PipeNode:
		if n == nil {
			return nil
		}
		for _, cmd := range n.Cmds {
			if err := checkVariables(cmd, metric); err != nil {
				return err
			}
		}
	case *parse.CommandNode:
		for _, arg := range n.Args {
			if err := checkVariables(arg, metric); err != nil {
				return err
			}
		}
	case *parse.ChainNode:
		if ident, ok := n.Node.(*parse.IdentifierNode); ok && ident.Ident == varVariables {
			if _, ok := metric.TemplateVariables[n.Field[0]]; len(n.Field) != 1 || !ok {
				return unknown(varVariables + "." + strings.Join(n.Field, "."))
			}
			return nil
		}
		return checkVariables(n.Node, metric)
	case *parse.IdentifierNode:
		switch {
		case slices.Contains(plainVariables, n.Ident), n.Ident == varVariables:
		case slices.Contains(builtinFuncs, n.Ident):
		default:
			return unknown(n.Ident)
		}
	case *parse.FieldNode:
		return unknown("." + strings.Join(n.Ident, "."))
	}
	return nil
}

// checkBranch checks the pipeline and both lists of an if, range or with.
func checkBranch(n *parse.BranchNode, metric v1alpha1.CanaryMetric) error {
	for _, child := range []parse.Node{n.Pipe, n.List, n.ElseList} {
		if err := checkVariables(child, metric); err != nil {
			return err
		}
	}
	return nil
}

// knownVariables lists the variables a metric's query may use, as written.
func knownVariables(metric v1alpha1.CanaryMetric) []string {
	known := make([]string, 0, len(plainVariables)+len(metric.TemplateVariables))
	for _, name := range plainVariables {
		known = append(known, "{{ "+name+" }}")
	}
	for _, name := range slices.Sorted(maps.Keys(metric.TemplateVariables)) {
		known = append(known, "{{ variables."+name+" }}")
	}
	return known
}
