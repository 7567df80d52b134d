package forgeemu

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"time"
)

// Change is one commit for Commit to write.
type Change struct {
	// Branch receives the commit. Required.
	Branch string
	// From is the branch or commit SHA a missing Branch starts from. Zero
	// means the default branch; when that does not exist either (an empty
	// repository) the commit has no parent. Ignored when Branch exists.
	From string
	// Message is the commit message. Zero means "Update files".
	Message string
	// Write maps slash-separated paths to their new content.
	Write map[string]string
	// Delete lists paths to remove; each must exist.
	Delete []string
}

// Commit writes one commit of c.Write and c.Delete on top of c.Branch (or
// of c.From when the branch does not exist yet) straight into the bare
// repository with git fast-import, which moves the branch only if the new
// commit descends from where the branch is then. It returns the new
// commit's SHA. It is how a test or the demo plays a developer pushing to
// the forge: like a push, it delivers push webhooks (hook.go).
func (s *Server) Commit(ctx context.Context, c Change) (string, error) {
	sha, err := s.commit(ctx, c)
	if err != nil {
		return "", fmt.Errorf("forgeemu: commit on %s: %w", c.Branch, err)
	}
	s.notifyPushes(ctx)
	return sha, nil
}

// commit is Commit without the error prefix.
func (s *Server) commit(ctx context.Context, c Change) (string, error) {
	if !validBranchName(c.Branch) {
		return "", fmt.Errorf("%q is not a valid branch name", c.Branch)
	}
	for name := range c.Write {
		if !validPath(name) {
			return "", fmt.Errorf("path %q is not a clean relative path", name)
		}
	}
	parent, err := s.commitParent(ctx, c)
	if err != nil {
		return "", err
	}
	if err := s.checkDeletable(ctx, parent, c.Delete); err != nil {
		return "", err
	}
	return s.repo.git(ctx, fastImportScript(c, parent, time.Now()), "fast-import", "--quiet", "--done")
}

// commitParent is the commit c builds on: the tip of c.Branch, else c.From
// (a branch or a commit), else the default branch, else none.
func (s *Server) commitParent(ctx context.Context, c Change) (string, error) {
	tips, err := s.repo.branches(ctx)
	if err != nil {
		return "", err
	}
	if tip, ok := tips[c.Branch]; ok {
		return tip, nil
	}
	if c.From == "" {
		return tips[s.defaultBranch], nil
	}
	sha, ok, err := s.repo.resolve(ctx, c.From)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("%q names no branch or commit", c.From)
	}
	return sha, nil
}

// checkDeletable makes sure every path to delete is a file of parent.
func (s *Server) checkDeletable(ctx context.Context, parent string, paths []string) error {
	if len(paths) == 0 {
		return nil
	}
	var files []string
	if parent != "" {
		out, err := s.repo.git(ctx, "", "ls-tree", "-r", "-z", "--name-only", parent)
		if err != nil {
			return err
		}
		files = strings.Split(out, "\x00")
	}
	for _, name := range paths {
		if !validPath(name) || !slices.Contains(files, name) {
			return fmt.Errorf("cannot delete %q: no such file", name)
		}
	}
	return nil
}

// fastImportScript is the git fast-import stream of one commit of c on
// parent (none when empty), followed by a request for the new commit's
// name, which fast-import prints.
func fastImportScript(c Change, parent string, now time.Time) string {
	message := c.Message
	if message == "" {
		message = "Update files"
	}
	message += "\n"
	var b strings.Builder
	fmt.Fprintf(&b, "commit refs/heads/%s\nmark :1\n", c.Branch)
	fmt.Fprintf(&b, "committer forgeemu <forgeemu@sluice.invalid> %d +0000\n", now.Unix())
	fmt.Fprintf(&b, "data %d\n%s", len(message), message)
	if parent != "" {
		fmt.Fprintf(&b, "from %s\n", parent)
	}
	for _, name := range c.Delete {
		fmt.Fprintf(&b, "D %s\n", name)
	}
	for _, name := range slices.Sorted(maps.Keys(c.Write)) {
		fmt.Fprintf(&b, "M 100644 inline %s\ndata %d\n%s\n", name, len(c.Write[name]), c.Write[name])
	}
	b.WriteString("\nget-mark :1\ndone\n")
	return b.String()
}

// validPath reports whether name is a clean slash-separated relative path
// outside .git that fast-import can take unquoted.
func validPath(name string) bool {
	if name == "" || name == "." || path.IsAbs(name) || path.Clean(name) != name {
		return false
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." || strings.EqualFold(part, ".git") {
			return false
		}
	}
	return !strings.ContainsAny(name, "\x00\n\"") && !strings.HasPrefix(name, " ")
}
