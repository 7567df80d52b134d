package manifests

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// A sandbox that records (see sandbox.inputs) notes every question it asks
// the disk during a build — a file's content, whether a path exists and is
// a directory or a symbolic link, where links lead, what a directory lists,
// what a pattern matches — with a summary of the answer. Asking the same
// questions again later and comparing the summaries tells whether the
// build would read the same input: the condition for reusing its result
// (see Renderer).

// probeKind is a question asked of the disk.
type probeKind byte

const (
	probeRead  probeKind = 'r' // content: SHA-256, or "!" when unreadable
	probeStat  probeKind = 's' // following links: dir, file, other or none
	probeLstat probeKind = 'l' // link, dir, file, other or none
	probeEval  probeKind = 'e' // where symbolic links lead, or "!"
	probeList  probeKind = 'd' // the names and types of a directory's entries
	probeGlob  probeKind = 'g' // the paths a pattern matches
)

// probe is one question: its kind and the path (or pattern) asked about,
// relative to the checkout root and slash-separated ("../…" outside it),
// so that the answers hold for another checkout of the same files.
type probe struct {
	kind probeKind
	path string
}

// inputs are the questions one build asked, with their answers.
type inputs struct {
	answers map[probe]string
	// unrepeatable: the build asked something that is not recorded (a
	// walk of a tree), so it is never reused.
	unrepeatable bool
}

func newInputs() *inputs { return &inputs{answers: map[probe]string{}} }

// note records an answer when the sandbox records.
func (s *sandbox) note(kind probeKind, abs, answer string) {
	if s.inputs != nil {
		s.inputs.answers[probe{kind, s.rel(abs)}] = answer
	}
}

// stat is os.Stat, recorded.
func (s *sandbox) stat(p string) (fs.FileInfo, error) {
	info, err := os.Stat(p)
	s.note(probeStat, p, statAnswer(info, err))
	return info, err
}

// lstat is os.Lstat, recorded.
func (s *sandbox) lstat(p string) (fs.FileInfo, error) {
	info, err := os.Lstat(p)
	s.note(probeLstat, p, lstatAnswer(info, err))
	return info, err
}

// evalSymlinks is filepath.EvalSymlinks, recorded.
func (s *sandbox) evalSymlinks(p string) (string, error) {
	real, err := filepath.EvalSymlinks(p)
	s.note(probeEval, p, s.evalAnswer(real, err))
	return real, err
}

// readFile is os.ReadFile, recorded.
func (s *sandbox) readFile(p string) ([]byte, error) {
	data, err := os.ReadFile(p)
	s.note(probeRead, p, readAnswer(data, err))
	return data, err
}

// readDir is os.ReadDir, recorded.
func (s *sandbox) readDir(p string) ([]os.DirEntry, error) {
	entries, err := os.ReadDir(p)
	s.note(probeList, p, listAnswer(entries, err))
	return entries, err
}

// glob is filepath.Glob, recorded.
func (s *sandbox) glob(pattern string) ([]string, error) {
	matches, err := filepath.Glob(pattern)
	s.note(probeGlob, pattern, s.globAnswer(matches, err))
	return matches, err
}

func statAnswer(info fs.FileInfo, err error) string {
	switch {
	case err != nil:
		return "none"
	case info.IsDir():
		return "dir"
	case info.Mode().IsRegular():
		return "file"
	}
	return "other"
}

func lstatAnswer(info fs.FileInfo, err error) string {
	if err == nil && info.Mode()&os.ModeSymlink != 0 {
		return "link"
	}
	return statAnswer(info, err)
}

func (s *sandbox) evalAnswer(real string, err error) string {
	if err != nil {
		return "!"
	}
	return s.rel(real)
}

func readAnswer(data []byte, err error) string {
	if err != nil {
		return "!"
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func listAnswer(entries []os.DirEntry, err error) string {
	if err != nil {
		return "!"
	}
	var b strings.Builder
	for _, entry := range entries {
		b.WriteString(entry.Name())
		b.WriteByte(0)
		b.WriteString(entry.Type().String())
		b.WriteByte(0)
	}
	return b.String()
}

func (s *sandbox) globAnswer(matches []string, err error) string {
	if err != nil {
		return "!" + err.Error()
	}
	rel := make([]string, len(matches))
	for i, match := range matches {
		rel[i] = s.rel(match)
	}
	return strings.Join(rel, "\x00")
}

// answers asks the disk questions again, for the checkout at root; each
// question is asked once however many builds asked it. It is safe for
// concurrent use.
type answers struct {
	s *sandbox // for rel; its maps are not used
	// changed, when not nil, lists what changed since the checkout at
	// which every build being checked was last confirmed: a question it
	// does not affect keeps its recorded answer without asking the disk.
	changed *changedPaths
	mu      sync.Mutex
	seen    map[probe]string
	// listings are the types of the entries of directories, by
	// directory; nil for one that cannot be listed.
	listings map[string]map[string]fs.FileMode
}

// newAnswers returns answers for the checkout at root, about size
// questions.
func newAnswers(root string, size int) *answers {
	return &answers{s: &sandbox{root: root}, seen: make(map[probe]string, size), listings: map[string]map[string]fs.FileMode{}}
}

// unchanged reports whether every question of in has the same answer now.
func (a *answers) unchanged(in *inputs) bool {
	if in == nil || in.unrepeatable {
		return false
	}
	for question, answer := range in.answers {
		if a.changed != nil && !a.changed.affects(question, answer) {
			continue
		}
		if question.kind == probeStat {
			if lstat, ok := in.answers[probe{probeLstat, question.path}]; ok && lstat != "link" {
				continue // the same as lstat's, checked with it
			}
		}
		if a.answer(question) != answer {
			return false
		}
	}
	return true
}

// answer asks one question, or returns the answer it already had.
func (a *answers) answer(question probe) string {
	a.mu.Lock()
	answer, ok := a.seen[question]
	a.mu.Unlock()
	if ok {
		return answer
	}
	p := filepath.Join(a.s.root, filepath.FromSlash(question.path))
	switch question.kind {
	case probeRead:
		answer = hashFile(p)
	case probeStat:
		info, err := os.Stat(p)
		answer = statAnswer(info, err)
	case probeLstat:
		answer = a.lstat(question.path, p)
	case probeEval:
		answer = a.eval(question.path)
	case probeList:
		entries, err := os.ReadDir(p)
		answer = listAnswer(entries, err)
	case probeGlob:
		matches, err := filepath.Glob(p)
		answer = a.s.globAnswer(matches, err)
	}
	a.mu.Lock()
	a.seen[question] = answer
	a.mu.Unlock()
	return answer
}

// eval answers where the symbolic links of rel lead, as
// filepath.EvalSymlinks: from where its directory leads and whether rel
// itself is a link, which other questions ask too, so that a directory
// costs one Lstat rather than one per element of its path.
func (a *answers) eval(rel string) string {
	if rel == "." {
		return "." // the root is symlink-free
	}
	if rel != ".." && !strings.HasPrefix(rel, "../") {
		switch a.answer(probe{probeLstat, rel}) {
		case "none":
			return "!"
		case "link":
		default:
			dir := a.answer(probe{probeEval, path.Dir(rel)})
			if dir == "!" {
				return "!"
			}
			return path.Join(dir, path.Base(rel))
		}
	}
	real, err := filepath.EvalSymlinks(filepath.Join(a.s.root, filepath.FromSlash(rel)))
	return a.s.evalAnswer(real, err)
}

// lstat answers whether rel, at p, is a link, a directory, a file,
// something else or nothing. On Linux the answer comes from the listing
// of its directory (the type of a directory entry is the type Lstat
// gives), read once for all the entries of the directory that builds ask
// about; elsewhere, and when the directory cannot be listed, from Lstat.
func (a *answers) lstat(rel, p string) string {
	if runtime.GOOS == "linux" && rel != "." && rel != ".." && !strings.HasPrefix(rel, "../") {
		if entries, ok := a.listing(path.Dir(rel)); ok {
			mode, found := entries[path.Base(rel)]
			switch {
			case !found:
				return "none"
			case mode&fs.ModeSymlink != 0:
				return "link"
			case mode.IsDir():
				return "dir"
			case mode.IsRegular():
				return "file"
			}
			return "other"
		}
	}
	info, err := os.Lstat(p)
	return lstatAnswer(info, err)
}

// listing returns the types of the entries of the directory rel, read
// once; ok is false when it cannot be read.
func (a *answers) listing(rel string) (map[string]fs.FileMode, bool) {
	a.mu.Lock()
	entries, ok := a.listings[rel]
	a.mu.Unlock()
	if ok {
		return entries, entries != nil
	}
	list, err := os.ReadDir(filepath.Join(a.s.root, filepath.FromSlash(rel)))
	if err == nil {
		entries = make(map[string]fs.FileMode, len(list))
		for _, entry := range list {
			entries[entry.Name()] = entry.Type()
		}
	}
	a.mu.Lock()
	a.listings[rel] = entries
	a.mu.Unlock()
	return entries, entries != nil
}

// readBuffers are reused by hashFile.
var readBuffers = sync.Pool{New: func() any { return new([32 << 10]byte) }}

// hashFile returns readAnswer of the content of the file p, reading it
// through a pooled buffer.
func hashFile(p string) string {
	f, err := os.Open(p)
	if err != nil {
		return "!"
	}
	defer f.Close()
	buf := readBuffers.Get().(*[32 << 10]byte)
	defer readBuffers.Put(buf)
	hash := sha256.New()
	if _, err := io.CopyBuffer(hash, struct{ io.Reader }{f}, buf[:]); err != nil {
		return "!"
	}
	return hex.EncodeToString(hash.Sum(nil))
}

// changedPaths are the paths that differ between two checkouts (see
// Changes), with every directory that holds one of them.
type changedPaths struct {
	paths, dirs map[string]bool
}

func newChangedPaths(paths []string) *changedPaths {
	c := &changedPaths{paths: make(map[string]bool, len(paths)), dirs: map[string]bool{".": true}}
	for _, p := range paths {
		p = path.Clean(strings.TrimPrefix(filepath.ToSlash(p), "/"))
		c.paths[p] = true
		for dir := path.Dir(p); dir != "." && !c.dirs[dir]; dir = path.Dir(dir) {
			c.dirs[dir] = true
		}
	}
	return c
}

// affects reports whether the answer to question may differ between the
// two checkouts: when its path changed, holds a change (a directory), or
// lies under a path that changed (a file that became a directory or a
// link); a pattern, a path outside the checkout and a question whose
// recorded answer involves a symbolic link are always asked again.
func (c *changedPaths) affects(question probe, answer string) bool {
	p := question.path
	switch {
	case question.kind == probeGlob, p == "..", strings.HasPrefix(p, "../"):
		return true
	case question.kind == probeEval && answer != p, question.kind == probeLstat && answer == "link":
		return true
	case c.paths[p], c.dirs[p] && len(c.paths) > 0:
		return true
	}
	for dir := path.Dir(p); dir != "."; dir = path.Dir(dir) {
		if c.paths[dir] {
			return true
		}
	}
	return false
}
