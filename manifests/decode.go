package manifests

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/resource"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// decodeResource converts a kustomize resource into an Unstructured,
// giving exactly what its JSON form (res.MarshalJSON, then
// Unstructured.UnmarshalJSON) gives, without the round trip through YAML
// text and JSON that costs a quarter of a large rendering's memory.
//
// The node tree is walked directly when every node is plain: mappings with
// string keys, sequences, and scalars that are strings (valid UTF-8,
// tagged or quoted as strings), booleans written true or false, null, and
// integers written in decimal that fit an int64. Anything else — anchors
// and aliases, merge keys, custom tags, floats, other spellings of numbers
// and booleans, untagged plain scalars, duplicate keys — goes the slow
// way, so that kustomize's own conversion decides.
func decodeResource(res *resource.Resource) (*unstructured.Unstructured, error) {
	if m, ok := plainMapping(res.YNode()); ok {
		if kind, _ := m["kind"].(string); kind != "" {
			return &unstructured.Unstructured{Object: m}, nil
		}
	}
	data, err := res.MarshalJSON()
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	return u, nil
}

// plainMapping converts a mapping node of plain nodes (see
// decodeResource); ok is false when the node is not one.
func plainMapping(n *kyaml.Node) (map[string]any, bool) {
	if n == nil || n.Kind != kyaml.MappingNode || n.Anchor != "" || (n.Tag != "" && n.Tag != kyaml.NodeTagMap) || len(n.Content)%2 != 0 {
		return nil, false
	}
	m := make(map[string]any, len(n.Content)/2)
	for i := 0; i < len(n.Content); i += 2 {
		key, ok := plainString(n.Content[i])
		if !ok {
			return nil, false
		}
		if _, dup := m[key]; dup {
			return nil, false
		}
		value, ok := plainValue(n.Content[i+1])
		if !ok {
			return nil, false
		}
		m[key] = value
	}
	return m, true
}

// plainValue converts a plain node (see decodeResource).
func plainValue(n *kyaml.Node) (any, bool) {
	switch n.Kind {
	case kyaml.MappingNode:
		return plainMapping(n)
	case kyaml.SequenceNode:
		if n.Anchor != "" || (n.Tag != "" && n.Tag != kyaml.NodeTagSeq) {
			return nil, false
		}
		items := make([]any, len(n.Content))
		for i, item := range n.Content {
			value, ok := plainValue(item)
			if !ok {
				return nil, false
			}
			items[i] = value
		}
		return items, true
	case kyaml.ScalarNode:
		return plainScalar(n)
	}
	return nil, false
}

// plainScalar converts a plain scalar (see decodeResource).
func plainScalar(n *kyaml.Node) (any, bool) {
	if n.Anchor != "" || n.Style&kyaml.TaggedStyle != 0 {
		return nil, false
	}
	switch n.Tag {
	case kyaml.NodeTagString:
		return plainString(n)
	case kyaml.NodeTagBool:
		switch n.Value {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	case kyaml.NodeTagNull:
		if n.Value == "null" || n.Value == "~" || n.Value == "" {
			return nil, true
		}
	case kyaml.NodeTagInt:
		if decimal(n.Value) {
			if v, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
				return v, true
			}
		}
	case "":
		return plainString(n)
	}
	return nil, false
}

// plainString returns the value of a string scalar: tagged !!str, or
// untagged and either quoted or plain but read as a string (see
// readsAsString); not one that is not valid UTF-8 (YAML encodes it as
// binary).
func plainString(n *kyaml.Node) (string, bool) {
	if n.Kind != kyaml.ScalarNode || n.Anchor != "" || n.Style&kyaml.TaggedStyle != 0 || !utf8.ValidString(n.Value) {
		return "", false
	}
	quoted := n.Style&(kyaml.DoubleQuotedStyle|kyaml.SingleQuotedStyle|kyaml.LiteralStyle|kyaml.FoldedStyle) != 0
	if n.Tag != kyaml.NodeTagString && (n.Tag != "" || !quoted && !readsAsString(n.Value)) {
		return "", false
	}
	return n.Value, true
}

// readsAsString reports whether YAML surely reads the plain scalar s as a
// string: it starts with a letter and is not one of the spellings of
// booleans and null. Kustomize adds such untagged scalars (annotation
// keys, for one); other untagged scalars go the slow way.
func readsAsString(s string) bool {
	if s == "" || !('a' <= s[0] && s[0] <= 'z' || 'A' <= s[0] && s[0] <= 'Z') {
		return false
	}
	switch s {
	case "true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL":
		return false
	}
	return true
}

// decimal reports whether s is an integer written in decimal without a
// sign other than "-" and without leading zeros.
func decimal(s string) bool {
	digits := s
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if digits == "" || (digits[0] == '0' && len(digits) > 1) {
		return false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return true
}

// plainOrigin parses the origin annotation kustomize writes, as
// resource.GetOrigin does, when it is plain: no annotation (nil), or lines
// "key: value" of the fields of resource.Origin, configuredBy's indented
// below it, whose values are paths or names YAML reads as strings without
// quotes. ok is false for anything else, for GetOrigin to parse: it costs
// a YAML parser per object.
func plainOrigin(annotation string) (origin *resource.Origin, ok bool) {
	if annotation == "" {
		return nil, true
	}
	origin = &resource.Origin{}
	inConfiguredBy := false
	for _, line := range strings.Split(strings.TrimSuffix(annotation, "\n"), "\n") {
		if line == "configuredBy:" {
			inConfiguredBy = true
			continue
		}
		nested := strings.HasPrefix(line, "  ")
		key, value, found := strings.Cut(strings.TrimPrefix(line, "  "), ": ")
		if !found || !plainOriginValue(value) {
			return nil, false
		}
		var field *string
		switch {
		case nested && inConfiguredBy:
			switch key {
			case "apiVersion":
				field = &origin.ConfiguredBy.APIVersion
			case "kind":
				field = &origin.ConfiguredBy.Kind
			case "name":
				field = &origin.ConfiguredBy.Name
			case "namespace":
				field = &origin.ConfiguredBy.Namespace
			}
		case !nested:
			inConfiguredBy = false
			switch key {
			case "path":
				field = &origin.Path
			case "repo":
				field = &origin.Repo
			case "ref":
				field = &origin.Ref
			case "configuredIn":
				field = &origin.ConfiguredIn
			}
		}
		if field == nil || *field != "" {
			return nil, false
		}
		*field = value
	}
	return origin, true
}

// plainOriginValue reports whether YAML surely reads s, unquoted, as the
// string s: letters, digits and "_./-", starting with a letter, "_", "./"
// or "../", and not a spelling of a boolean or null.
func plainOriginValue(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '/' || c == '-') {
			return false
		}
	}
	first := s[0]
	if !('a' <= first && first <= 'z' || 'A' <= first && first <= 'Z' || first == '_' || strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../")) {
		return false
	}
	switch strings.ToLower(s) {
	case "y", "n", "yes", "no", "on", "off", "true", "false", "null":
		return false
	}
	return true
}
