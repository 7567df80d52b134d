package analysis

import (
	"fmt"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// RenderQuery returns the PromQL of a metric for a Canary: the metric's own
// query when it has one (a metric with a query is custom whatever its name),
// else the mesh's template of the built-in metric. The template variables
// are:
//
//	{{ name }}            the Canary's name
//	{{ namespace }}       the Canary's namespace
//	{{ target }}          the targetRef name: the canary Deployment, e.g. detail
//	{{ service }}         the apex Service's name: spec.service.name, else the target's
//	{{ ingress }}, {{ route }}  the target's name, as Flagger has them
//	{{ interval }}        the metric's interval, 1m when empty
//	{{ variables.NAME }}  the metric's templateVariables[NAME]
//
// They are written exactly as above (functions, not fields: no leading dot)
// and inserted escaped as the inside of a PromQL double-quoted string
// (see escapePromQL): a value that holds a quote cannot escape the label
// value it is put in. The text/template built-in
// functions (printf, index, …) are available too. The empty mesh means
// MeshForProvider(canary.Spec.Provider). RenderQuery does no I/O.
//
// A variable that does not exist, including a NAME missing from
// templateVariables, is an *UnknownVariableError naming the metric and the
// variable; an unknown provider is an *UnknownProviderError. A template
// that does not parse, that uses range, or that renders more than
// MaxQueryBytes, an unknown mesh and a metric that is neither built in nor
// has a query are errors too. Every error starts with "metric NAME:".
func RenderQuery(canary *v1alpha1.Canary, metric v1alpha1.CanaryMetric, mesh Mesh) (string, error) {
	text, err := queryTemplate(canary, metric, mesh)
	if err != nil {
		return "", fmt.Errorf("metric %s: %w", metric.Name, err)
	}
	return render(canary, metric, text)
}

// RenderTemplateQuery returns the PromQL of a metric whose query is the
// text of its MetricTemplate, rendered as RenderQuery renders a query.
func RenderTemplateQuery(canary *v1alpha1.Canary, metric v1alpha1.CanaryMetric, text string) (string, error) {
	return render(canary, metric, text)
}

// render renders the query template text of a metric for a Canary.
func render(canary *v1alpha1.Canary, metric v1alpha1.CanaryMetric, text string) (string, error) {
	return renderFor(canary, metric, text, workloadVariables{})
}

// workloadVariables override the variables that differ between the
// renderings of a comparison; an empty field keeps the usual value.
type workloadVariables struct {
	// target is {{ target }}, {{ ingress }} and {{ route }}: the workload
	// measured, the canary's or the primary's.
	target string
	// interval is {{ interval }}: the window of one sample.
	interval string
}

// renderFor renders the query template text of a metric for a Canary
// with the variables of vars.
func renderFor(canary *v1alpha1.Canary, metric v1alpha1.CanaryMetric, text string, vars workloadVariables) (string, error) {
	tree, err := parseQuery(metric.Name, text)
	if err != nil {
		return "", fmt.Errorf("metric %s: parse query template: %w", metric.Name, err)
	}
	if err := checkVariables(tree.Root, metric); err != nil {
		return "", err
	}
	tmpl, err := template.New(metric.Name).Option("missingkey=error").
		Funcs(templateFuncs(canary, metric, vars)).AddParseTree(metric.Name, tree)
	if err != nil {
		return "", fmt.Errorf("metric %s: query template: %w", metric.Name, err)
	}
	query := &boundedWriter{limit: MaxQueryBytes}
	if err := tmpl.Execute(query, nil); err != nil {
		return "", fmt.Errorf("metric %s: render query template: %w", metric.Name, err)
	}
	return strings.TrimSpace(query.String()), nil
}

// MaxQueryBytes bounds a rendered query: a template that writes more (a
// templateVariable repeated by nested templates, say) is an error.
const MaxQueryBytes = 64 << 10

// boundedWriter collects at most limit bytes and fails past them, which
// stops the template's execution.
type boundedWriter struct {
	strings.Builder
	limit int
}

func (w *boundedWriter) Write(p []byte) (int, error) {
	if w.Len()+len(p) > w.limit {
		return 0, fmt.Errorf("the query is longer than %d bytes", w.limit)
	}
	return w.Builder.Write(p)
}

// queryTemplate returns the template of the metric's query: its own, or the
// built-in one of mesh (of the Canary's provider when mesh is empty).
func queryTemplate(canary *v1alpha1.Canary, metric v1alpha1.CanaryMetric, mesh Mesh) (string, error) {
	if metric.Query != "" {
		return metric.Query, nil
	}
	if metric.TemplateRef != nil {
		return "", fmt.Errorf("its query is in MetricTemplate %s (see RenderTemplateQuery)", metric.TemplateRef.Name)
	}
	if !v1alpha1.IsBuiltinMetric(metric.Name) {
		return "", fmt.Errorf("not a built-in metric (%s) and no query", strings.Join(v1alpha1.BuiltinMetrics(), ", "))
	}
	if mesh == "" {
		var err error
		if mesh, err = MeshForProvider(canary.Spec.Provider); err != nil {
			return "", err
		}
	}
	text, ok := builtinQueries[mesh][metric.Name]
	if !ok {
		return "", fmt.Errorf("unknown mesh %q: known meshes are %s", mesh, joinMeshes())
	}
	return text, nil
}

// parseQuery parses a query template without checking its functions, so
// that checkVariables can name an unknown one as a variable rather than
// text/template reporting an undefined function.
func parseQuery(name, text string) (*parse.Tree, error) {
	tree := parse.New(name)
	tree.Mode = parse.SkipFuncCheck
	return tree.Parse(text, "", "", map[string]*parse.Tree{})
}

// The names of the template variables.
const (
	varName      = "name"
	varNamespace = "namespace"
	varTarget    = "target"
	varService   = "service"
	varIngress   = "ingress"
	varRoute     = "route"
	varInterval  = "interval"
	varVariables = "variables"
)

// plainVariables are the variables that are a single value.
var plainVariables = []string{varName, varNamespace, varTarget, varService, varIngress, varRoute, varInterval}

// templateFuncs returns the template variables of a metric of a Canary, as
// the template functions that make {{ namespace }} work without a dot.
func templateFuncs(canary *v1alpha1.Canary, metric v1alpha1.CanaryMetric, vars workloadVariables) template.FuncMap {
	interval := metric.Interval
	if interval == "" {
		interval = v1alpha1.DefaultInterval
	}
	if vars.interval != "" {
		interval = vars.interval
	}
	workload := canary.Spec.TargetRef.Name
	if vars.target != "" {
		workload = vars.target
	}
	variables := make(map[string]string, len(metric.TemplateVariables))
	for name, value := range metric.TemplateVariables {
		variables[name] = escapePromQL(value)
	}
	target := func() string { return escapePromQL(workload) }
	service := func() string { return escapePromQL(canary.ApexServiceName()) }
	return template.FuncMap{
		varName:      func() string { return escapePromQL(canary.Name) },
		varNamespace: func() string { return escapePromQL(canary.Namespace) },
		varTarget:    target,
		varService:   service,
		varIngress:   target,
		varRoute:     target,
		varInterval:  func() string { return escapePromQL(interval) },
		varVariables: func() map[string]string { return variables },
	}
}

// escapePromQL escapes a variable's value as the inside of a PromQL
// double-quoted string (Go's escapes, which PromQL reads): a value can
// never end the label value it is put in, whatever Git holds. A value
// without quotes, backslashes or unprintable characters is unchanged.
func escapePromQL(value string) string {
	quoted := strconv.Quote(value)
	return quoted[1 : len(quoted)-1]
}

// joinMeshes lists the known meshes for an error message.
func joinMeshes() string {
	names := make([]string, len(meshes))
	for i, m := range meshes {
		names[i] = string(m)
	}
	return strings.Join(names, ", ")
}
