package manifests

import (
	"errors"
	"os"
	"path"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"
	kusttypes "sigs.k8s.io/kustomize/api/types"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/yaml"
)

// prepare sets up the kustomization to build at dir so that kustomize
// annotates every object with the file it came from:
//
//   - a directory with one kustomization file is built from it, with
//     buildMetadata [originAnnotations] added when missing;
//   - a directory without one is built from a generated kustomization (see
//     plainResources), which the checkout does not contain;
//   - a directory with several is left alone: kustomize refuses it.
func (s *sandbox) prepare(dir string) error {
	found, err := s.kustomizationFiles(dir)
	if err != nil {
		return err
	}
	switch len(found) {
	case 0:
		var resources []string
		if err := s.plainResources(dir, "", &resources); err != nil {
			return err
		}
		data, err := yaml.Marshal(kusttypes.Kustomization{
			TypeMeta:      kusttypes.TypeMeta{APIVersion: kusttypes.KustomizationVersion, Kind: kusttypes.KustomizationKind},
			Resources:     resources,
			BuildMetadata: []string{kusttypes.OriginAnnotations},
		})
		if err != nil {
			return err
		}
		s.overrides[filepath.Join(dir, konfig.DefaultKustomizationFileName())] = override{data: data, generated: true}
		s.originAdded = true
	case 1:
		data, err := s.readFile(found[0])
		if err != nil {
			return err
		}
		if annotated, added := withOriginAnnotations(data); added {
			s.overrides[found[0]] = override{data: annotated}
			s.originAdded = true
		}
	}
	return nil
}

// kustomizationFiles returns the symlink-free paths of the kustomization
// files in dir; kustomize refuses a directory with more than one.
func (s *sandbox) kustomizationFiles(dir string) ([]string, error) {
	var found []string
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		real, err := s.resolve(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		if info, err := s.stat(real); err == nil && !info.IsDir() {
			found = append(found, real)
		}
	}
	return found, nil
}

// withOriginAnnotations returns a kustomization with "originAnnotations"
// in its buildMetadata, and whether it had to be added. Content that does
// not parse is returned as it is, for kustomize to report.
func withOriginAnnotations(data []byte) ([]byte, bool) {
	node, err := kyaml.Parse(string(data))
	if err != nil || node.YNode().Kind != kyaml.MappingNode {
		return data, false
	}
	list, err := node.Pipe(kyaml.LookupCreate(kyaml.SequenceNode, "buildMetadata"))
	if err != nil || list.YNode().Kind != kyaml.SequenceNode {
		return data, false
	}
	for _, item := range list.YNode().Content {
		if item.Value == kusttypes.OriginAnnotations {
			return data, false
		}
	}
	list.YNode().Content = append(list.YNode().Content, kyaml.NewStringRNode(kusttypes.OriginAnnotations).YNode())
	annotated, err := node.String()
	if err != nil {
		return data, false
	}
	return []byte(annotated), true
}

// plainResources appends to resources what a directory without a
// kustomization renders, relative to the build directory, in lexical order:
// every *.yaml and *.yml file below it, recursively, and every subdirectory
// that has a kustomization of its own (built as such, not descended into).
// Names starting with "." are skipped. Symbolic links are followed to files
// inside the checkout; a link to a directory is not descended into; a link
// that leads outside the checkout is refused.
func (s *sandbox) plainResources(dir, rel string, resources *[]string) error {
	entries, err := s.readDir(dir)
	if err != nil {
		return err
	}
	for _, entry := range entries {
		name := entry.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		full, relName := filepath.Join(dir, name), path.Join(rel, name)
		real, err := s.resolve(full)
		if err != nil {
			return err
		}
		info, err := s.stat(real)
		if errors.Is(err, os.ErrNotExist) && entry.Type()&os.ModeSymlink != 0 {
			// Found by FuzzRender: a dangling link used to fail the
			// rendering with a bare file-system error.
			return s.refuse(&InvalidError{Object: "file " + s.rel(full), Reason: "is a symbolic link to nothing"})
		}
		if err != nil {
			return err
		}
		switch {
		case info.IsDir() && entry.Type()&os.ModeSymlink != 0:
			continue
		case info.IsDir() && s.hasKustomization(real):
			*resources = append(*resources, relName)
		case info.IsDir():
			if err := s.plainResources(full, relName, resources); err != nil {
				return err
			}
		case isYAMLFile(name):
			*resources = append(*resources, relName)
		}
	}
	return nil
}

// hasKustomization reports whether dir holds a kustomization file.
func (s *sandbox) hasKustomization(dir string) bool {
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		if _, err := s.stat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}

// isYAMLFile reports whether a file name has a YAML extension.
func isYAMLFile(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}
