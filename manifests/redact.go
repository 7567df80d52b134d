package manifests

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/kio"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// redacted stands in an error message for a value that may be secret.
const redacted = "<redacted>"

// minSecretLength is the shortest secret value redacted by replacement; a
// message that may quote a shorter one is withheld as a whole instead (a
// one-letter password would otherwise blank every such letter).
const minSecretLength = 4

// secretValues returns what a message about this build must not quote:
// the literals of every secretGenerator (whole, and their values), the
// lines and values of its files and env files, and the values of every
// Secret read (as written and base64-decoded). short reports that some
// were shorter than minSecretLength.
func (s *sandbox) secretValues() (values []string, short bool) {
	add := func(v string) {
		v = strings.TrimSpace(v)
		switch {
		case v == "":
		case len(v) < minSecretLength:
			short = true
		default:
			values = append(values, v)
		}
	}
	for _, k := range s.kustomizations {
		for _, g := range k.spec.SecretGenerator {
			for _, literal := range g.LiteralSources {
				add(literal)
				if i := strings.IndexAny(literal, "=:"); i >= 0 {
					add(literal[i+1:])
				}
			}
			for _, file := range slices.Concat(g.FileSources, g.EnvSources, []string{g.EnvSource}) {
				if file == "" {
					continue
				}
				data, err := os.ReadFile(filepath.Join(s.root, filepath.FromSlash(k.path(fileSourcePath(file)))))
				if err != nil {
					continue
				}
				add(string(data))
				for _, line := range strings.Split(string(data), "\n") {
					add(line)
					if i := strings.Index(line, "="); i >= 0 {
						add(line[i+1:])
					}
				}
			}
		}
	}
	for _, file := range s.readOrder {
		data, err := os.ReadFile(filepath.Join(s.root, filepath.FromSlash(s.reads[file])))
		if err != nil || !bytes.Contains(data, []byte("Secret")) {
			continue
		}
		nodes, err := kio.FromBytes(data)
		if err != nil {
			continue
		}
		for _, node := range nodes {
			if node.GetKind() != "Secret" {
				continue
			}
			for _, field := range []string{"data", "stringData"} {
				m := node.Field(field)
				if m == nil || m.Value == nil {
					continue
				}
				_ = m.Value.VisitFields(func(f *kyaml.MapNode) error {
					v := f.Value.YNode().Value
					add(v)
					if decoded, err := base64.StdEncoding.DecodeString(v); err == nil {
						add(string(decoded))
					}
					return nil
				})
			}
		}
	}
	slices.SortFunc(values, func(a, b string) int { return len(b) - len(a) }) // longest first
	return values, short
}

// holdsSecrets reports whether a file's raw content may hold secret values
// that could not be told apart (a Secret or secretGenerator that does not
// parse).
func holdsSecrets(data []byte) bool {
	return bytes.Contains(data, []byte("Secret")) || bytes.Contains(data, []byte("secretGenerator"))
}

// redactSecrets removes from a message every secret value of the build.
// When it may quote a value too short to replace safely, the message is
// withheld as a whole.
func (s *sandbox) redactSecrets(message string) string {
	values, short := s.secretValues()
	for _, v := range values {
		message = strings.ReplaceAll(message, v, redacted)
	}
	if short {
		return "details withheld: they may quote a secret value"
	}
	return message
}
