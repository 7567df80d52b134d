package gitsync

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// errNotAFile marks a path at which a tree holds a directory or a
// submodule, or that goes through a file as if it were a directory.
var errNotAFile = errors.New("not a regular file")

// readVersion reads the file at a slash-separated path of tree. A path the
// tree has no entry for is absent (the zero fileVersion); one that names a
// directory or a submodule, or goes through a file, is errNotAFile.
func readVersion(tree *object.Tree, path string) (fileVersion, error) {
	parts := strings.Split(path, "/")
	for _, dir := range parts[:len(parts)-1] {
		entry, err := tree.FindEntry(dir)
		switch {
		case errors.Is(err, object.ErrEntryNotFound):
			return fileVersion{}, nil
		case err != nil:
			return fileVersion{}, fmt.Errorf("%s: %w", path, err)
		case entry.Mode != filemode.Dir:
			return fileVersion{}, errNotAFile
		}
		if tree, err = tree.Tree(dir); err != nil {
			return fileVersion{}, fmt.Errorf("%s: %w", path, err)
		}
	}
	entry, err := tree.FindEntry(parts[len(parts)-1])
	switch {
	case errors.Is(err, object.ErrEntryNotFound):
		return fileVersion{}, nil
	case err != nil:
		return fileVersion{}, fmt.Errorf("%s: %w", path, err)
	case !entry.Mode.IsFile():
		return fileVersion{}, errNotAFile
	}
	file, err := tree.TreeEntryFile(entry)
	if err != nil {
		return fileVersion{}, fmt.Errorf("%s: %w", path, err)
	}
	reader, err := file.Reader()
	if err != nil {
		return fileVersion{}, fmt.Errorf("%s: %w", path, err)
	}
	defer reader.Close()
	content, err := io.ReadAll(reader)
	if err != nil {
		return fileVersion{}, fmt.Errorf("%s: %w", path, err)
	}
	return fileVersion{exists: true, mode: entry.Mode, content: content}, nil
}

// commitSpec is a commit to write: files replaced in the tree of a parent.
type commitSpec struct {
	// parent is the commit the new one follows, and whose tree it edits.
	parent *object.Commit
	// files maps slash-separated paths to their new version; an absent
	// version deletes the file. Directories left empty disappear.
	files   map[string]fileVersion
	author  object.Signature
	message string
}

// writeCommit stores the blobs, trees and commit of spec in s and returns
// the commit's hash. The author is the committer too.
func writeCommit(s storer.EncodedObjectStorer, spec commitSpec) (plumbing.Hash, error) {
	edits := make(map[string]*object.TreeEntry, len(spec.files))
	for path, version := range spec.files {
		if !version.exists {
			edits[path] = nil
			continue
		}
		hash, err := writeBlob(s, version.content)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("%s: %w", path, err)
		}
		edits[path] = &object.TreeEntry{Mode: version.mode, Hash: hash}
	}
	parentTree, err := spec.parent.Tree()
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("tree of %s: %w", spec.parent.Hash, err)
	}
	tree, _, err := writeTree(s, parentTree, edits)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	commit := &object.Commit{
		Author:       spec.author,
		Committer:    spec.author,
		Message:      spec.message,
		TreeHash:     tree,
		ParentHashes: []plumbing.Hash{spec.parent.Hash},
	}
	return store(s, commit)
}

// writeTree stores the tree that is tree (nil: an empty one) with the
// entries of edits, keyed by slash-separated path, put in place of what is
// there; a nil entry removes the path. It returns the new tree's hash and
// whether it is empty, which the caller drops as Git keeps no empty
// directories.
func writeTree(s storer.EncodedObjectStorer, tree *object.Tree, edits map[string]*object.TreeEntry) (plumbing.Hash, bool, error) {
	entries := map[string]object.TreeEntry{}
	if tree != nil {
		for _, entry := range tree.Entries {
			entries[entry.Name] = entry
		}
	}
	below := map[string]map[string]*object.TreeEntry{}
	for path, edit := range edits {
		dir, rest, nested := strings.Cut(path, "/")
		switch {
		case nested && below[dir] == nil:
			below[dir] = map[string]*object.TreeEntry{rest: edit}
		case nested:
			below[dir][rest] = edit
		case edit == nil:
			delete(entries, path)
		default:
			entries[path] = object.TreeEntry{Name: path, Mode: edit.Mode, Hash: edit.Hash}
		}
	}
	for dir, dirEdits := range below {
		var subtree *object.Tree
		if entry, ok := entries[dir]; ok {
			if entry.Mode != filemode.Dir {
				return plumbing.ZeroHash, false, fmt.Errorf("%s: %w, cannot hold %d files", dir, errNotAFile, len(dirEdits))
			}
			var err error
			if subtree, err = object.GetTree(s, entry.Hash); err != nil {
				return plumbing.ZeroHash, false, fmt.Errorf("%s: %w", dir, err)
			}
		}
		hash, empty, err := writeTree(s, subtree, dirEdits)
		if err != nil {
			return plumbing.ZeroHash, false, fmt.Errorf("%s/%w", dir, err)
		}
		if empty {
			delete(entries, dir)
			continue
		}
		entries[dir] = object.TreeEntry{Name: dir, Mode: filemode.Dir, Hash: hash}
	}
	list := make([]object.TreeEntry, 0, len(entries))
	for _, entry := range entries {
		list = append(list, entry)
	}
	sort.Sort(object.TreeEntrySorter(list))
	hash, err := store(s, &object.Tree{Entries: list})
	return hash, len(list) == 0, err
}

// writeBlob stores content as a blob.
func writeBlob(s storer.EncodedObjectStorer, content []byte) (plumbing.Hash, error) {
	obj := s.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(content); err != nil {
		_ = w.Close()
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return s.SetEncodedObject(obj)
}

// store encodes a tree or a commit into s.
func store(s storer.EncodedObjectStorer, o interface {
	Encode(plumbing.EncodedObject) error
}) (plumbing.Hash, error) {
	obj := s.NewEncodedObject()
	if err := o.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return s.SetEncodedObject(obj)
}

// signature is who writes a commit, when: the zero fields of who are
// sluice's own name and address.
func signature(who Signature, when time.Time) object.Signature {
	return object.Signature{
		Name:  firstNonEmpty(who.Name, defaultAuthor.Name),
		Email: firstNonEmpty(who.Email, defaultAuthor.Email),
		When:  when,
	}
}

// defaultAuthor signs the commits of a zero Signature.
var defaultAuthor = Signature{Name: "sluice", Email: "sluice@sluice.dev"}
