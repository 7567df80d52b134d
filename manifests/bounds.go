package manifests

import (
	"bytes"
	"fmt"

	yaml "go.yaml.in/yaml/v3"
)

// The default bounds of a rendering (see Options). No real repository
// comes near them; a hostile one is refused before it costs memory.
const (
	// DefaultMaxFileBytes bounds one file kustomize reads: 8 MiB (the
	// API server refuses objects over 1.5 MiB anyway).
	DefaultMaxFileBytes = 8 << 20
	// DefaultMaxTotalBytes bounds all the files one rendering reads.
	DefaultMaxTotalBytes = 256 << 20
	// DefaultMaxAliasNodes bounds the nodes YAML aliases add to one file
	// once expanded: a 400-byte "billion laughs" adds about 10^9.
	DefaultMaxAliasNodes = 1_000_000
)

func orDefault64(v, fallback int64) int64 {
	if v <= 0 {
		return fallback
	}
	return v
}

// checkBounds refuses a file over the size bounds, given its size, and
// counts it in the total; rel names it.
func (s *sandbox) checkSize(rel string, size int64) error {
	if limit := orDefault64(s.opts.MaxFileBytes, DefaultMaxFileBytes); size > limit {
		return s.refuse(&InvalidError{Object: "file " + rel, Reason: fmt.Sprintf("is %d bytes, more than the limit of %d (--max-file-size)", size, limit)})
	}
	s.totalBytes += size
	s.sized = append(s.sized, sizedRead{rel, size})
	if limit := orDefault64(s.opts.MaxTotalBytes, DefaultMaxTotalBytes); s.totalBytes > limit {
		return s.refuse(tooManyBytes(rel, s.totalBytes, limit))
	}
	return nil
}

// tooManyBytes is the refusal of the file rel that brings the bytes read
// to total, over limit.
func tooManyBytes(rel string, total, limit int64) *InvalidError {
	return &InvalidError{Object: "file " + rel, Reason: fmt.Sprintf("brings the files read to %d bytes, more than the limit of %d (--max-render-size)", total, limit)}
}

// checkAliases refuses YAML whose aliases, expanded, add more than the
// alias budget of nodes. Content without both an anchor and an alias is
// not parsed. Content that does not parse is left to kustomize to report.
func (s *sandbox) checkAliases(rel string, data []byte) error {
	if !bytes.Contains(data, []byte("&")) || !bytes.Contains(data, []byte("*")) {
		return nil
	}
	limit := orDefault64(s.opts.MaxAliasNodes, DefaultMaxAliasNodes)
	decoder := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := decoder.Decode(&doc); err != nil {
			return nil // the end, or YAML kustomize will refuse with its own words
		}
		if added := aliasExpansion(&doc, limit); added > limit {
			return s.refuse(&InvalidError{Object: "file " + rel,
				Reason: fmt.Sprintf("YAML aliases expand to more than %d nodes (--max-yaml-alias-nodes): refused before parsing", limit)})
		}
	}
}

// aliasExpansion counts the nodes that aliases add to a document once
// expanded, stopping past limit. Each anchored node's size is counted
// once and remembered, so the count costs the size of the document, not
// of its expansion.
func aliasExpansion(doc *yaml.Node, limit int64) int64 {
	sizes := map[*yaml.Node]int64{}
	var size func(n *yaml.Node, depth int) int64
	size = func(n *yaml.Node, depth int) int64 {
		if n == nil || depth > 10_000 {
			return limit + 1 // nesting this deep is an attack too
		}
		if s, ok := sizes[n]; ok {
			return s
		}
		total := int64(1)
		if n.Kind == yaml.AliasNode {
			total += size(n.Alias, depth+1)
		}
		for _, child := range n.Content {
			total += size(child, depth+1)
			if total > limit*2 {
				break
			}
		}
		sizes[n] = total
		return total
	}
	var literal func(n *yaml.Node) int64
	literal = func(n *yaml.Node) int64 {
		total := int64(1)
		if n.Kind != yaml.AliasNode {
			for _, child := range n.Content {
				total += literal(child)
			}
		}
		return total
	}
	return size(doc, 0) - literal(doc)
}

// fileSize returns the size of a file on disk.
func (s *sandbox) fileSize(path string) (int64, error) {
	info, err := s.stat(path)
	if err != nil {
		return 0, err
	}
	return info.Size(), nil
}
