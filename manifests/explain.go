package manifests

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"

	kusttypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/kio"
)

// explain turns a kustomize build error into an *InvalidError that names
// the file at fault when it can be told: a kustomization file or a resource
// or patch file that does not parse. Other failures name the kustomization
// built, with kustomize's message; paths in it are made relative to the
// checkout root.
func (s *sandbox) explain(err error, dir string) error {
	if s.malformed != nil {
		s.malformed.Err = errors.New(s.scrub(err.Error()))
		return s.malformed
	}
	if file, parseErr := s.firstMalformedYAML(); parseErr != nil {
		reason := "YAML does not parse: " + s.scrub(parseErr.Error())
		if data, readErr := os.ReadFile(filepath.Join(s.root, filepath.FromSlash(s.reads[file]))); readErr != nil || holdsSecrets(data) {
			reason = "YAML does not parse (the parser's details are withheld: the file may hold a Secret)"
		}
		return &InvalidError{Object: "file " + file, Reason: reason, Err: errors.New(reason)}
	}
	reason := "build failed: " + s.scrub(err.Error())
	if kusttypes.IsErrOnlyBuiltinPluginsAllowed(err) {
		reason += " (Options.AllowExecPlugins is false)"
	}
	return &InvalidError{Object: s.built(dir), Reason: reason, Err: errors.New(reason)}
}

// built names what was built at dir: "kustomization deploy/kustomization.yaml",
// or "directory deploy" when it has no kustomization file.
func (s *sandbox) built(dir string) string {
	if k, ok := s.kustomizations[s.rel(dir)]; ok && k.file != "" {
		return "kustomization " + k.file
	}
	return "directory " + s.rel(dir)
}

// firstMalformedYAML returns the first resource or patch file kustomize
// read that is not valid YAML, with the parser's error.
func (s *sandbox) firstMalformedYAML() (string, error) {
	manifests := map[string]bool{}
	for _, k := range s.kustomizations {
		entries := slices.Clone(k.spec.Resources)
		for _, patch := range slices.Concat(k.spec.Patches, k.spec.PatchesJson6902) {
			entries = append(entries, patch.Path)
		}
		for _, patch := range k.spec.PatchesStrategicMerge {
			entries = append(entries, string(patch))
		}
		for _, entry := range entries {
			if entry != "" && !isRemote(entry) {
				manifests[s.canonical(k.path(entry))] = true
			}
		}
	}
	for _, file := range s.readOrder {
		if !manifests[file] {
			continue
		}
		data, err := os.ReadFile(filepath.Join(s.root, filepath.FromSlash(s.reads[file])))
		if err != nil {
			continue
		}
		if _, err := kio.FromBytes(data); err != nil {
			return file, err
		}
	}
	return "", nil
}

// scrub makes the checkout's absolute paths in a message relative, and
// removes every secret value of the build from it (see redactSecrets):
// the message goes to logs, Events and conditions.
func (s *sandbox) scrub(message string) string {
	message = strings.ReplaceAll(message, s.root+string(filepath.Separator), "")
	message = strings.ReplaceAll(message, s.root, ".")
	return s.redactSecrets(message)
}
