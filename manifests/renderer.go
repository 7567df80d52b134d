package manifests

import (
	"path/filepath"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Renderer renders like Render, and reuses the work of its previous
// rendering for what did not change: each entry of an aggregator (see
// Render, "Large trees") is built again only when something it read
// changed.
//
// Reuse. A build of an entry records every question it asked the disk
// through the sandbox — the content of each file read, whether a path
// exists, is a directory or a symbolic link, where a link leads, what a
// directory lists, what a pattern matches — with a summary of the answer
// (a SHA-256 of contents). The next rendering asks each recorded question
// again (once, however many entries asked it) and reuses the entry's
// objects when every answer is the same and the options that affect
// building (AllowRemoteBases, AllowExecPlugins and the bounds) are equal.
// Paths are recorded relative to the checkout root, so a new checkout of
// a commit in another directory reuses the builds of the previous one.
// Checking costs reading the files the entries read, not building them.
// Nothing is reused when remote bases or exec plugins are allowed (what
// they read is not in the checkout), nor for an entry whose build walked a
// tree or failed. The steps after building (namespaces, Canaries, targets
// and their source files) run on every rendering.
//
// The result is exactly Render's, errors included. Only the builds of the
// entries of the last rendering are kept.
//
// Sharing. A Rendering shares its objects with later renderings of the
// same Renderer: callers must not modify the objects of a Rendering (copy
// them first, as the applier does).
//
// Concurrency. A Renderer may be used from several goroutines; its
// renderings run one at a time.
type Renderer struct {
	mu sync.Mutex
	// path and building are those of the last rendering, whose entries
	// are kept.
	path     string
	building buildOptions
	entries  map[string]*builtEntry
	decoded  *decodings
	// confirmed is the root of the last rendering whose build succeeded:
	// every kept entry was built or confirmed against it. Empty after a
	// failed build, which may keep entries of earlier renderings.
	confirmed string
}

// Changes tells a Renderer what changed since its last rendering, so that
// it checks only the inputs those changes can affect instead of asking
// the disk every recorded question again.
type Changes struct {
	// Since is the root of the checkout the paths changed since. The
	// hint is used only when it is the root of the Renderer's last
	// rendering and that rendering's build succeeded.
	Since string
	// Paths are the paths, relative to the checkout root, of every file or
	// symbolic link whose content, mode or presence differs between the
	// checkout at Since and the one rendered now: what a Git diff of their
	// two commits lists (a path deleted and one added, for a rename).
	Paths []string
}

// NewRenderer returns a Renderer that has rendered nothing yet.
func NewRenderer() *Renderer { return &Renderer{} }

// buildOptions are the Options that affect how entries build.
type buildOptions struct {
	allowRemoteBases, allowExecPlugins         bool
	maxFileBytes, maxTotalBytes, maxAliasNodes int64
}

func buildOptionsOf(opts Options) buildOptions {
	return buildOptions{opts.AllowRemoteBases, opts.AllowExecPlugins, opts.MaxFileBytes, opts.MaxTotalBytes, opts.MaxAliasNodes}
}

// Render renders the kustomization at path in the checkout at root, as
// Render does, reusing what it can of the previous rendering (see
// Renderer).
func (r *Renderer) Render(root, path string, opts Options) (*Rendering, error) {
	return r.RenderChanges(root, path, opts, nil)
}

// RenderChanges is Render told, by changes, what changed since the last
// rendering (nil: nothing is known). The result is Render's: a question
// that changes cannot affect is not asked again, one they can is.
func (r *Renderer) RenderChanges(root, path string, opts Options, changes *Changes) (*Rendering, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	building := buildOptionsOf(opts)
	if opts.AllowRemoteBases || opts.AllowExecPlugins {
		r.entries, r.confirmed = nil, ""
		return Render(root, path, opts)
	}
	old := r.entries
	if filepath.Clean(path) != r.path || building != r.building {
		old = nil
	}
	cache := &entryCache{old: old}
	if changes != nil && old != nil && r.confirmed != "" && changes.Since == r.confirmed {
		cache.changed = newChangedPaths(changes.Paths)
	}
	box, objects, err := buildCheckout(root, path, opts, true, cache)
	r.path, r.building, r.entries, r.confirmed = filepath.Clean(path), building, cache.kept, ""
	if err != nil {
		return nil, err
	}
	r.confirmed = root
	memo := r.decoded.next(opts.DefaultProvider, opts.SecretKey)
	r.decoded = memo
	return finish(box, ownObjects(objects), opts, memo)
}

// RenderWithin is Render under a deadline, as RenderWithin (the function)
// is Render's. A rendering that goes on after its deadline delays the
// next one, which waits for it within its own deadline.
func (r *Renderer) RenderWithin(timeout time.Duration, root, path string, opts Options) (*Rendering, error) {
	return r.RenderChangesWithin(timeout, root, path, opts, nil)
}

// RenderChangesWithin is RenderChanges under a deadline, as RenderWithin.
func (r *Renderer) RenderChangesWithin(timeout time.Duration, root, path string, opts Options, changes *Changes) (*Rendering, error) {
	return renderWithin(timeout, path, func() (*Rendering, error) { return r.RenderChanges(root, path, opts, changes) })
}

// entryCache holds the builds of an aggregator's entries across
// renderings (see Renderer): old are those of the previous rendering, kept
// those of this one.
type entryCache struct {
	old     map[string]*builtEntry
	kept    map[string]*builtEntry
	answers *answers
	// changed is the hint of RenderChanges, when it holds.
	changed *changedPaths
}

// questions returns about how many questions the builds of old asked.
func (c *entryCache) questions() int {
	n := 0
	for _, b := range c.old {
		n += len(b.box.inputs.answers)
	}
	return n / 2 // the entries share some
}

// key names a group of entries, whatever the checkout's directory.
func (c *entryCache) key(s *sandbox, group entryGroup) string {
	if group.dir {
		return "dir\x00" + s.rel(group.path)
	}
	key := "files"
	for _, name := range group.names {
		key += "\x00" + name
	}
	return key
}

// reusable returns the earlier build of a group when what it read is
// unchanged; nil otherwise. It is safe for concurrent use.
func (c *entryCache) reusable(s *sandbox, group entryGroup) *builtEntry {
	b, ok := c.old[c.key(s, group)]
	if !ok || !c.answers.unchanged(b.box.inputs) {
		return nil
	}
	return b
}

// keep keeps the builds of this rendering that succeeded, and the earlier
// builds of groups listed but not built this time (after a failed one),
// for the next rendering; the builds of groups no longer listed are
// dropped.
func (c *entryCache) keep(s *sandbox, groups []entryGroup, built []*builtEntry) {
	c.kept = make(map[string]*builtEntry, len(groups))
	for i, group := range groups {
		key := c.key(s, group)
		switch {
		case i < len(built) && built[i] != nil && !built[i].failed():
			c.kept[key] = built[i]
		case i >= len(built) || built[i] == nil:
			if b, ok := c.old[key]; ok {
				c.kept[key] = b
			}
		}
	}
}

// ownObjects returns objects with a copy of each object that the steps
// after building modify (see finish): those without a namespace,
// MetricTemplates and AlertProviders; split copies Canaries itself. The
// others are shared.
func ownObjects(objects []object) []object {
	owned := make([]object, len(objects))
	for i, obj := range objects {
		owned[i] = obj
		if obj.GetNamespace() == "" || isFlaggerKind(obj) {
			owned[i].Unstructured = &unstructured.Unstructured{Object: obj.DeepCopy().Object}
		}
	}
	return owned
}
