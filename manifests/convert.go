package manifests

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// Conversion is what ConvertFlagger did to one file.
type Conversion struct {
	// Content is the file with every Flagger Canary's apiVersion line
	// rewritten; comments, layout and every other line kept.
	Content []byte
	// Changes say what was rewritten, one line per Canary.
	Changes []string
	// Refused say, one line per field, what sluice refuses in the file's
	// Canaries (see fromFlagger), converted or not.
	Refused []string
}

// flaggerAPIVersion matches the apiVersion line of a Flagger object.
var flaggerAPIVersion = regexp.MustCompile(`(?m)^apiVersion:[ \t]*["']?flagger\.app/v1beta1["']?[ \t]*$`)

// ConvertFlagger rewrites, in the YAML documents of one file, the
// apiVersion of every Canary, MetricTemplate and AlertProvider of
// Flagger's group to sluice's, and lists the fields of those objects that
// sluice refuses. Other documents, and those that do not parse, are left
// as they are. It reads and writes
// nothing: the caller gives the content and writes the result.
func ConvertFlagger(content []byte) Conversion {
	out := Conversion{}
	docs := splitDocuments(content)
	for i, doc := range docs {
		nodes, err := kio.FromBytes(doc)
		if err != nil || len(nodes) != 1 {
			continue
		}
		if _, other := flaggerKinds[nodes[0].GetKind()]; nodes[0].GetKind() != "Canary" && !other {
			continue
		}
		node := nodes[0]
		kind := strings.ToLower(node.GetKind())
		name := node.GetName()
		if ns := node.GetNamespace(); ns != "" {
			name = ns + "/" + name
		}
		if node.GetApiVersion() == FlaggerGroup+"/v1beta1" {
			docs[i] = flaggerAPIVersion.ReplaceAll(doc, []byte("apiVersion: "+v1alpha1.GroupVersion.String()))
			out.Changes = append(out.Changes, fmt.Sprintf("%s %s: apiVersion %s/v1beta1 → %s", kind, name, FlaggerGroup, v1alpha1.GroupVersion))
		}
		if node.GetApiVersion() != FlaggerGroup+"/v1beta1" && node.GetApiVersion() != v1alpha1.GroupVersion.String() {
			continue
		}
		var content map[string]any
		if m, err := node.Map(); err == nil {
			content = m
		}
		if validate, other := flaggerKinds[node.GetKind()]; other {
			content["apiVersion"] = v1alpha1.GroupVersion.String()
			if err := validate(content); err != nil {
				out.Refused = append(out.Refused, kind+" "+name+": "+strings.TrimPrefix(err.Error(), kind+" "+name+": "))
			}
			continue
		}
		for _, u := range unsupported {
			if path, found := find(content, strings.Split(u.path, ".")); found {
				out.Refused = append(out.Refused, fmt.Sprintf("canary %s: %s: not supported by sluice: %s", name, path, u.reason))
			}
		}
	}
	out.Content = bytes.Join(docs, nil)
	return out
}

// splitDocuments cuts YAML content into its documents, each with the
// separator line that ends it, so that joining them gives the content
// back byte for byte.
func splitDocuments(content []byte) [][]byte {
	var docs [][]byte
	start := 0
	for i := 0; i < len(content); {
		end := bytes.IndexByte(content[i:], '\n')
		lineEnd := len(content)
		if end >= 0 {
			lineEnd = i + end + 1
		}
		line := bytes.TrimRight(content[i:lineEnd], "\r\n")
		if bytes.Equal(bytes.TrimRight(line, " \t"), []byte("---")) && i > start {
			docs = append(docs, content[start:i])
			start = i
		}
		i = lineEnd
	}
	return append(docs, content[start:])
}
