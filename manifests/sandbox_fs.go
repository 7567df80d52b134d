package manifests

import (
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// The methods below make the sandbox a kustomize filesys.FileSystem. Every
// path goes through resolve; writes are refused, except kustomize's cleanup
// of its own clones of remote bases when those are allowed.

var _ filesys.FileSystem = (*sandbox)(nil)

// Create refuses: the sandbox is read-only.
func (s *sandbox) Create(name string) (filesys.File, error) { return nil, readOnly(name) }

// Mkdir refuses: the sandbox is read-only.
func (s *sandbox) Mkdir(name string) error { return readOnly(name) }

// MkdirAll refuses: the sandbox is read-only.
func (s *sandbox) MkdirAll(name string) error { return readOnly(name) }

// WriteFile refuses: the sandbox is read-only.
func (s *sandbox) WriteFile(name string, _ []byte) error { return readOnly(name) }

// RemoveAll removes a clone of a remote base; it refuses anything else.
func (s *sandbox) RemoveAll(name string) error {
	abs := filepath.Clean(name)
	if s.cloneParent != "" && filepath.IsAbs(abs) && s.allowed(abs) && !s.inCheckout(abs) {
		return os.RemoveAll(abs)
	}
	return readOnly(name)
}

func readOnly(name string) error {
	return fmt.Errorf("%s: the manifests sandbox is read-only", name)
}

// Open opens a file for reading.
func (s *sandbox) Open(name string) (filesys.File, error) {
	real, err := s.resolve(name)
	if err != nil {
		return nil, err
	}
	if s.inputs != nil {
		_, _ = s.readFile(real)
	}
	return os.Open(real)
}

// IsDir reports whether name is a directory; false when it is refused.
func (s *sandbox) IsDir(name string) bool {
	real, err := s.resolve(name)
	if err != nil {
		return false
	}
	info, err := s.stat(real)
	return err == nil && info.IsDir()
}

// Exists reports whether name exists; false when it is refused.
func (s *sandbox) Exists(name string) bool {
	real, err := s.resolve(name)
	if err != nil {
		return false
	}
	if _, ok := s.overrides[real]; ok {
		return true
	}
	_, err = s.stat(real)
	return err == nil
}

// ReadDir lists the names in a directory.
func (s *sandbox) ReadDir(name string) ([]string, error) {
	real, err := s.resolve(name)
	if err != nil {
		return nil, err
	}
	entries, err := s.readDir(real)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(entries))
	for i, entry := range entries {
		names[i] = entry.Name()
	}
	return names, nil
}

// CleanedAbs splits the symlink-free path of name into a directory and a
// file name; the file name is empty when name is a directory.
func (s *sandbox) CleanedAbs(name string) (filesys.ConfirmedDir, string, error) {
	real, err := s.resolve(name)
	if err != nil {
		return "", "", err
	}
	info, err := s.stat(real)
	if err != nil {
		return "", "", err
	}
	if info.IsDir() {
		return filesys.ConfirmedDir(real), "", nil
	}
	return filesys.ConfirmedDir(filepath.Dir(real)), filepath.Base(real), nil
}

// Glob returns the files matching pattern, without hidden files unless the
// pattern names them, like kustomize's on-disk file system.
func (s *sandbox) Glob(pattern string) ([]string, error) {
	if _, err := s.resolve(filepath.Dir(pattern)); err != nil {
		return nil, err
	}
	matches, err := s.glob(pattern)
	if err != nil {
		return nil, err
	}
	for _, match := range matches {
		if _, err := s.resolve(match); err != nil {
			return nil, err
		}
	}
	if filesys.IsHiddenFilePath(pattern) {
		return matches, nil
	}
	return filesys.RemoveHiddenFiles(matches), nil
}

// Walk walks the tree at name without following symbolic links.
func (s *sandbox) Walk(name string, walkFn filepath.WalkFunc) error {
	real, err := s.resolve(name)
	if err != nil {
		return err
	}
	if s.inputs != nil {
		s.inputs.unrepeatable = true
	}
	return filepath.Walk(real, walkFn)
}

// ReadFile returns the content of a file, or of its override. It notes the
// read, and inspects kustomization files (see inspect), which may refuse
// them.
func (s *sandbox) ReadFile(name string) ([]byte, error) {
	real, err := s.resolve(name)
	if err != nil {
		return nil, err
	}
	content, ok := s.overrides[real]
	if !ok {
		size, err := s.fileSize(real)
		if err != nil {
			return nil, err
		}
		if err := s.checkSize(s.rel(real), size); err != nil {
			return nil, err
		}
		data, err := s.readFile(real)
		if err != nil {
			return nil, err
		}
		if err := s.checkAliases(s.rel(real), data); err != nil {
			return nil, err
		}
		content = override{data: data}
	}
	asked := s.canonical(name)
	if !content.generated && s.inCheckout(real) {
		if _, seen := s.reads[asked]; !seen {
			s.readOrder = append(s.readOrder, asked)
		}
		s.reads[asked] = s.rel(real)
	}
	if isKustomizationFile(real) && s.inCheckout(real) {
		if err := s.inspect(asked, content); err != nil {
			return nil, err
		}
	}
	return content.data, nil
}
