package forgeemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// zeroOID is the object name update-ref reads as "the reference must not
// exist yet".
const zeroOID = "0000000000000000000000000000000000000000"

// errRefMoved is the failure of a compare-and-swap reference update whose
// reference no longer holds the expected value.
var errRefMoved = errors.New("reference moved")

// hexSHA matches a full or abbreviated commit name.
var hexSHA = regexp.MustCompile(`^[0-9a-fA-F]{4,40}$`)

// repository is the bare repository at dir: read in process with go-git,
// written (and merged, and diffed) by running git.
type repository struct {
	dir     string
	gitPath string
}

// env is the environment of every git command run in the repository.
func (g *repository) env() []string { return gitEnv(g.dir) }

// exitError is a git command that ran and exited with a non-zero status.
type exitError struct {
	args   []string
	code   int
	stderr string
}

func (e *exitError) Error() string {
	return fmt.Sprintf("git %s: exit status %d: %s", strings.Join(e.args, " "), e.code, e.stderr)
}

// git runs git with args in the repository, with stdin as its input, and
// returns its standard output with the final newline removed. A non-zero
// exit is an *exitError.
func (g *repository) git(ctx context.Context, stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, g.gitPath, args...)
	cmd.Env = append(g.env(), "GIT_DIR="+g.dir)
	cmd.Dir = g.dir
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) && ctx.Err() == nil {
			return "", &exitError{args: args, code: exit.ExitCode(), stderr: strings.TrimSpace(stderr.String())}
		}
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSuffix(stdout.String(), "\n"), nil
}

// exitCode is the status of a git command that exited non-zero, or -1.
func exitCode(err error) int {
	var exit *exitError
	if errors.As(err, &exit) {
		return exit.code
	}
	return -1
}

// ensure creates the bare repository with HEAD naming defaultBranch unless
// it exists, and returns the branch HEAD names.
func (g *repository) ensure(ctx context.Context, defaultBranch string) (string, error) {
	if !validBranchName(defaultBranch) {
		return "", fmt.Errorf("forgeemu: default branch %q is not a valid branch name", defaultBranch)
	}
	if _, err := os.Stat(filepath.Join(g.dir, "HEAD")); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(g.dir), 0o755); err != nil {
			return "", fmt.Errorf("forgeemu: %w", err)
		}
		cmd := exec.CommandContext(ctx, g.gitPath, "init", "--quiet", "--bare", "--initial-branch="+defaultBranch, g.dir)
		cmd.Env = g.env()
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("forgeemu: git init %s: %w: %s", g.dir, err, bytes.TrimSpace(out))
		}
	} else if err != nil {
		return "", fmt.Errorf("forgeemu: %w", err)
	}
	head, err := g.head(ctx)
	if err != nil {
		return "", fmt.Errorf("forgeemu: repository %s: %w", g.dir, err)
	}
	return head, nil
}

// open is a go-git view of the repository for reads, which cost no
// process. It is opened for each use, so that it sees what git wrote since;
// a cancelled context opens nothing.
func (g *repository) open(ctx context.Context) (*gogit.Repository, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	repo, err := gogit.PlainOpen(g.dir)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", g.dir, err)
	}
	return repo, nil
}

// head is the branch HEAD names.
func (g *repository) head(ctx context.Context) (string, error) {
	repo, err := g.open(ctx)
	if err != nil {
		return "", err
	}
	head, err := repo.Storer.Reference(plumbing.HEAD)
	if err != nil {
		return "", fmt.Errorf("read HEAD: %w", err)
	}
	if head.Type() != plumbing.SymbolicReference || !head.Target().IsBranch() {
		return "", fmt.Errorf("HEAD is %s, not a branch", head)
	}
	return head.Target().Short(), nil
}

// branches maps the name of every branch to its tip.
func (g *repository) branches(ctx context.Context) (map[string]string, error) {
	repo, err := g.open(ctx)
	if err != nil {
		return nil, err
	}
	refs, err := repo.Branches()
	if err != nil {
		return nil, fmt.Errorf("list branches: %w", err)
	}
	tips := map[string]string{}
	err = refs.ForEach(func(ref *plumbing.Reference) error {
		if ref.Type() == plumbing.HashReference {
			tips[ref.Name().Short()] = ref.Hash().String()
		}
		return nil
	})
	return tips, err
}

// branchTip is the commit a branch points at; ok is false when the branch
// does not exist or its name is not valid.
func (g *repository) branchTip(ctx context.Context, branch string) (sha string, ok bool, err error) {
	if !validBranchName(branch) {
		return "", false, nil
	}
	tips, err := g.branches(ctx)
	if err != nil {
		return "", false, err
	}
	sha, ok = tips[branch]
	return sha, ok, nil
}

// commitSHA resolves a full or abbreviated commit name; ok is false when it
// names no commit.
func (g *repository) commitSHA(ctx context.Context, name string) (sha string, ok bool, err error) {
	if !hexSHA.MatchString(name) {
		return "", false, nil
	}
	repo, err := g.open(ctx)
	if err != nil {
		return "", false, err
	}
	return commitNamed(repo, strings.ToLower(name))
}

// commitNamed resolves a commit name, full or abbreviated, in repo.
func commitNamed(repo *gogit.Repository, name string) (string, bool, error) {
	hash := plumbing.NewHash(name)
	if len(name) < 40 {
		resolved, err := repo.ResolveRevision(plumbing.Revision(name))
		if err != nil {
			return "", false, nil
		}
		hash = *resolved
	}
	switch _, err := repo.CommitObject(hash); {
	case errors.Is(err, plumbing.ErrObjectNotFound):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("read commit %s: %w", hash, err)
	}
	return hash.String(), true, nil
}

// resolve turns what GitHub calls a ref (a full commit name, a branch, a
// tag or an abbreviated commit name, tried in that order) into a commit.
func (g *repository) resolve(ctx context.Context, ref string) (sha string, ok bool, err error) {
	if len(ref) == 40 && hexSHA.MatchString(ref) {
		return g.commitSHA(ctx, ref)
	}
	if validBranchName(ref) {
		repo, err := g.open(ctx)
		if err != nil {
			return "", false, err
		}
		for _, name := range []plumbing.ReferenceName{plumbing.NewBranchReferenceName(ref), plumbing.NewTagReferenceName(ref)} {
			if _, err := repo.Reference(name, true); err != nil {
				continue
			}
			hash, err := repo.ResolveRevision(plumbing.Revision(name))
			if err != nil {
				return "", false, fmt.Errorf("resolve %s: %w", name, err)
			}
			return hash.String(), true, nil
		}
	}
	return g.commitSHA(ctx, ref)
}

// isAncestor reports whether commit a is an ancestor of (or equal to) b.
func (g *repository) isAncestor(ctx context.Context, a, b string) (bool, error) {
	if a == b {
		return true, nil
	}
	repo, err := g.open(ctx)
	if err != nil {
		return false, err
	}
	ancestor, err := repo.CommitObject(plumbing.NewHash(a))
	if err != nil {
		return false, fmt.Errorf("read commit %s: %w", a, err)
	}
	descendant, err := repo.CommitObject(plumbing.NewHash(b))
	if err != nil {
		return false, fmt.Errorf("read commit %s: %w", b, err)
	}
	return ancestor.IsAncestor(descendant)
}

// mergeBase is the best common ancestor of two commits.
func (g *repository) mergeBase(ctx context.Context, a, b string) (string, error) {
	return g.git(ctx, "", "merge-base", a, b)
}

// mergeTree merges two commits without a working tree and writes the
// resulting tree; clean is false when they conflict.
func (g *repository) mergeTree(ctx context.Context, base, head string) (tree string, clean bool, err error) {
	out, err := g.git(ctx, "", "merge-tree", "--write-tree", "--no-messages", base, head)
	switch exitCode(err) {
	case -1:
		if err != nil {
			return "", false, err
		}
		return firstLine(out), true, nil
	case 1:
		return "", false, nil
	}
	return "", false, err
}

// commitTree writes a commit of tree with the given parents and message.
func (g *repository) commitTree(ctx context.Context, tree, message string, parents ...string) (string, error) {
	args := []string{"commit-tree", tree}
	for _, parent := range parents {
		args = append(args, "-p", parent)
	}
	return g.git(ctx, message, args...)
}

// updateRef moves ref to newSHA if it still points at oldSHA; an empty
// oldSHA means ref must not exist. A ref that moved meanwhile is
// errRefMoved.
func (g *repository) updateRef(ctx context.Context, ref, newSHA, oldSHA string) error {
	if oldSHA == "" {
		oldSHA = zeroOID
	}
	_, err := g.git(ctx, "", "update-ref", "-m", "forgeemu", ref, newSHA, oldSHA)
	if err != nil && exitCode(err) > 0 {
		return fmt.Errorf("%s: %w: %w", ref, errRefMoved, err)
	}
	return err
}

// firstLine is s up to its first newline.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// validBranchName applies the rules of git check-ref-format to the name
// of a branch, refs/heads/ left out, so that names from requests can be
// handed to git safely.
func validBranchName(name string) bool {
	if name == "" || name == "@" || strings.HasPrefix(name, "-") ||
		strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") ||
		strings.HasSuffix(name, ".") || strings.Contains(name, "..") ||
		strings.Contains(name, "//") || strings.Contains(name, "@{") {
		return false
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(" ~^:?*[\\", r) {
			return false
		}
	}
	for _, component := range strings.Split(name, "/") {
		if strings.HasPrefix(component, ".") || strings.HasSuffix(component, ".lock") {
			return false
		}
	}
	return true
}
