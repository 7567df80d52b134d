package manifests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// sandbox is the file system kustomize builds from during one Render: the
// checkout on disk, read-only, with every path confined to the checkout root
// (and, only when remote bases are allowed, to kustomize's own clone
// directories). On the way it notes which checkout files kustomize reads and
// inspects every kustomization file kustomize loads, so that remote
// references are refused before they are fetched and the files behind each
// object can be told afterwards.
//
// A sandbox serves one build and is not safe for concurrent use.
type sandbox struct {
	root string // absolute, symlink-free path of the checkout
	opts Options
	// cloneParent is where kustomize clones remote bases, symlink-free;
	// empty unless Options.AllowRemoteBases.
	cloneParent string

	// overrides are served instead of the disk, by symlink-free path: the
	// kustomization generated for a plain directory, or the build's own
	// kustomization with origin annotations turned on.
	overrides map[string]override
	// originAdded says that sluice, not the user, turned origin annotations
	// on, so they are stripped from the objects.
	originAdded bool

	realDirs map[string]string // absolute directory → its symlink-free path
	// reads maps every checkout file read, by its canonical path, to the
	// file it resolves to, relative to root (see canonical).
	reads     map[string]string
	readOrder []string
	// kustomizations are the checkout's kustomization files kustomize
	// loaded, by directory relative to root.
	kustomizations map[string]*kustomization
	// malformed is the first kustomization file that did not parse.
	malformed *InvalidError
	// refused is the first access refused; it fails the build even when
	// kustomize would have carried on.
	refused *InvalidError
	// totalBytes counts the bytes of the files read, for MaxTotalBytes,
	// and sized lists the files counted, in order, for adding up the
	// builds of an aggregator's entries (see buildAggregate).
	totalBytes int64
	sized      []sizedRead
	// refusedAt is len(sized) when the refusal was made.
	refusedAt int

	// inputs, when not nil, records what the build asks the disk (see
	// sandbox_record.go).
	inputs *inputs
	// entries, when not nil, holds the builds of an aggregator's entries
	// of an earlier rendering, for reuse (see Renderer).
	entries *entryCache
}

// sizedRead is a file read and its size.
type sizedRead struct {
	file string
	size int64
}

// override is content served in place of a file.
type override struct {
	data []byte
	// generated: no such file exists in the checkout.
	generated bool
}

// openSandbox confines a build to the checkout at root and returns the
// sandbox with the symlink-free directory to build, root/path. A path that
// is absolute, leaves the checkout or is not a directory gives an
// *InvalidError; a root that cannot be read gives a plain error.
func openSandbox(root, path string, opts Options) (*sandbox, string, error) {
	realRoot, err := realDir(root)
	if err != nil {
		return nil, "", fmt.Errorf("checkout %s: %w", root, err)
	}
	s := &sandbox{
		root:           realRoot,
		opts:           opts,
		overrides:      map[string]override{},
		realDirs:       map[string]string{},
		reads:          map[string]string{},
		kustomizations: map[string]*kustomization{},
	}
	if opts.AllowRemoteBases {
		if s.cloneParent, err = filepath.EvalSymlinks(os.TempDir()); err != nil {
			return nil, "", fmt.Errorf("temporary directory: %w", err)
		}
	}
	if filepath.IsAbs(path) {
		return nil, "", &InvalidError{Object: "path " + path, Reason: "is absolute: give a path relative to the checkout root"}
	}
	dir, err := s.resolve(path)
	if err != nil {
		return nil, "", err
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return nil, "", &InvalidError{Object: "path " + filepath.ToSlash(filepath.Clean(path)), Reason: "is not a directory in the checkout"}
	}
	return s, dir, nil
}

// realDir returns the absolute, symlink-free path of an existing directory.
func realDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", err
	}
	info, err := os.Stat(real)
	if err != nil {
		return "", err
	}
	if !info.IsDir() {
		return "", fmt.Errorf("not a directory")
	}
	return real, nil
}

// resolve returns the symlink-free absolute path that name (absolute, or
// relative to the checkout root) designates, or an *InvalidError when it
// lies outside the checkout, lexically or through a symbolic link. The
// refusal is also recorded in s.refused. A path that does not exist is
// returned with its existing directories resolved; reading it fails.
func (s *sandbox) resolve(name string) (string, error) {
	abs := name
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(s.root, abs)
	}
	abs = filepath.Clean(abs)
	if !s.allowed(abs) {
		return "", s.refuse(&InvalidError{Object: "path " + s.rel(abs), Reason: "is outside the checkout"})
	}
	real := s.realPath(abs)
	if !s.allowed(real) {
		return "", s.refuse(&InvalidError{Object: "path " + s.rel(abs), Reason: "is a symbolic link that leads outside the checkout"})
	}
	return real, nil
}

// realPath resolves the symbolic links of abs, as far as it exists. The
// real paths of directories are cached: kustomize asks about many files of
// few directories.
func (s *sandbox) realPath(abs string) string {
	dir, base := filepath.Split(abs)
	if base == "" {
		return abs
	}
	real, ok := s.realDirs[dir]
	if !ok {
		var err error
		if real, err = s.evalSymlinks(dir); err != nil {
			return abs
		}
		s.realDirs[dir] = real
	}
	file := filepath.Join(real, base)
	info, err := s.lstat(file)
	if err != nil || info.Mode()&os.ModeSymlink == 0 {
		return file
	}
	if target, err := s.evalSymlinks(file); err == nil {
		return target
	}
	return file
}

// allowed reports whether the sandbox may touch the symlink-free path p.
func (s *sandbox) allowed(p string) bool {
	if within(s.root, p) {
		return true
	}
	if s.cloneParent == "" || !within(s.cloneParent, p) || p == s.cloneParent {
		return false
	}
	rel, err := filepath.Rel(s.cloneParent, p)
	return err == nil && strings.HasPrefix(rel, "kustomize-")
}

// within reports whether p is dir or lies below it.
func within(dir, p string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, string(filepath.Separator))+string(filepath.Separator))
}

// canonical returns name (absolute, or relative to the checkout root)
// relative to the checkout root and slash-separated, with the symbolic
// links of its directories resolved but not that of its last element: the
// name under which kustomize reads a file. Kustomize reads files as
// "symlink-free directory + entry of a kustomization", and the entry may
// climb through other directories; canonical names agree whichever way a
// file was reached.
func (s *sandbox) canonical(name string) string {
	abs := name
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(s.root, abs)
	}
	dir, base := filepath.Split(filepath.Clean(abs))
	real, ok := s.realDirs[dir]
	if !ok {
		var err error
		if real, err = s.evalSymlinks(dir); err != nil {
			real = dir
		} else {
			s.realDirs[dir] = real
		}
	}
	return s.rel(filepath.Join(real, base))
}

// inCheckout reports whether the symlink-free path p lies in the checkout.
func (s *sandbox) inCheckout(p string) bool { return within(s.root, p) }

// rel returns abs relative to the checkout root, slash-separated; it starts
// with ".." when abs is outside.
func (s *sandbox) rel(abs string) string {
	rel, err := filepath.Rel(s.root, abs)
	if err != nil {
		return filepath.ToSlash(abs)
	}
	return filepath.ToSlash(rel)
}

// refuse records the first refusal and returns err.
func (s *sandbox) refuse(err *InvalidError) error {
	if s.refused == nil {
		s.refused, s.refusedAt = err, len(s.sized)
	}
	return err
}
