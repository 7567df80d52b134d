package manifests

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"
	kusttypes "sigs.k8s.io/kustomize/api/types"
)

// kustomization is a kustomization file of the checkout that kustomize
// loaded during the build.
type kustomization struct {
	// dir is the directory of the file, relative to the checkout root and
	// slash-separated ("." for the root).
	dir string
	// file is the kustomization file relative to the checkout root; empty
	// when sluice generated it for a directory without one.
	file string
	// spec is the kustomization as kustomize reads it, with its legacy
	// fields folded into the current ones (bases into resources, …).
	spec kusttypes.Kustomization
	// canonicals and reals remember, by entry, the canonical and the
	// symlink-free names of the entries relative to the root (see
	// sources.file and sources.kustomizationAt). The build that loaded the
	// kustomization resolved them, so they hold as long as it is kept (see
	// Renderer). Not safe for concurrent use.
	canonicals, reals map[string]string
}

// path returns an entry of the kustomization (a resource, a patch file, …)
// relative to the checkout root.
func (k *kustomization) path(entry string) string {
	return path.Clean(path.Join(k.dir, filepath.ToSlash(entry)))
}

// isKustomizationFile reports whether kustomize takes the file at p for a
// kustomization.
func isKustomizationFile(p string) bool {
	return slices.Contains(konfig.RecognizedKustomizationFileNames(), filepath.Base(p))
}

// inspect looks at a kustomization file of the checkout as kustomize loads
// it: it refuses remote references unless Options allow them, and records
// the kustomization for telling the source files of objects. A file that
// does not parse is recorded in s.malformed and passed on, for kustomize
// fails on it too. file is the canonical name of the kustomization file.
func (s *sandbox) inspect(file string, content override) error {
	k := &kustomization{dir: path.Dir(file)}
	if !content.generated {
		k.file = file
	}
	if err := k.spec.Unmarshal(content.data); err != nil {
		if s.malformed == nil {
			reason := "is not a valid kustomization: " + err.Error()
			if holdsSecrets(content.data) {
				reason = "is not a valid kustomization (the parser's details are withheld: it may hold secretGenerator literals)"
			}
			s.malformed = &InvalidError{Object: "file " + k.file, Reason: reason, Err: errors.New(reason)}
		}
		return nil
	}
	if !s.opts.AllowRemoteBases {
		if field, ref := remoteReference(&k.spec); field != "" {
			object := "kustomization " + k.file
			if k.file == "" {
				object = "directory " + k.dir
			}
			what := "remote file"
			if strings.HasPrefix(field, "resources") || strings.HasPrefix(field, "bases") || strings.HasPrefix(field, "components") {
				what = "remote base"
			}
			return s.refuse(&InvalidError{
				Object: object,
				Field:  field,
				Reason: fmt.Sprintf("%s %q refused: Options.AllowRemoteBases is false", what, ref),
			})
		}
	}
	k.spec.FixKustomization()
	s.kustomizations[k.dir] = k
	return nil
}

// remoteReference returns the first field of a kustomization that refers
// to something kustomize would fetch rather than read from the checkout,
// with the reference; it returns empty strings when there is none.
func remoteReference(k *kusttypes.Kustomization) (field, ref string) {
	for _, entry := range referenceFields(k) {
		if isRemote(entry.value) {
			return entry.field, entry.value
		}
	}
	return "", ""
}

// reference is one entry of a kustomization that names a file, a directory
// or a base.
type reference struct {
	field string // e.g. "resources[2]"
	value string
}

// referenceFields lists every entry of a kustomization that may name
// something to load, inline content included.
func referenceFields(k *kusttypes.Kustomization) []reference {
	var refs []reference
	add := func(field, value string) { refs = append(refs, reference{field, value}) }
	lists := []struct {
		field  string
		values []string
	}{
		{"resources", k.Resources},
		{"bases", k.Bases},
		{"components", k.Components},
		{"crds", k.Crds},
		{"configurations", k.Configurations},
		{"generators", k.Generators},
		{"transformers", k.Transformers},
		{"validators", k.Validators},
	}
	for _, list := range lists {
		for i, value := range list.values {
			add(fmt.Sprintf("%s[%d]", list.field, i), value)
		}
	}
	for i, p := range k.Patches {
		add(fmt.Sprintf("patches[%d].path", i), p.Path)
	}
	for i, p := range k.PatchesJson6902 {
		add(fmt.Sprintf("patchesJson6902[%d].path", i), p.Path)
	}
	for i, p := range k.PatchesStrategicMerge {
		add(fmt.Sprintf("patchesStrategicMerge[%d]", i), string(p))
	}
	for i, r := range k.Replacements {
		add(fmt.Sprintf("replacements[%d].path", i), r.Path)
	}
	generators := func(field string, sources kusttypes.KvPairSources) {
		for i, file := range sources.FileSources {
			add(fmt.Sprintf("%s.files[%d]", field, i), fileSourcePath(file))
		}
		for i, env := range sources.EnvSources {
			add(fmt.Sprintf("%s.envs[%d]", field, i), env)
		}
		add(field+".env", sources.EnvSource)
	}
	for i, g := range k.ConfigMapGenerator {
		generators(fmt.Sprintf("configMapGenerator[%d]", i), g.KvPairSources)
	}
	for i, g := range k.SecretGenerator {
		generators(fmt.Sprintf("secretGenerator[%d]", i), g.KvPairSources)
	}
	add("openapi.path", k.OpenAPI["path"])
	return refs
}

// fileSourcePath returns the path of a generator file source, "key=path"
// or "path".
func fileSourcePath(source string) string {
	if _, p, found := strings.Cut(source, "="); found {
		return p
	}
	return source
}

// scpLikeGit matches git addresses of the form user@host:….
var scpLikeGit = regexp.MustCompile(`^[a-z][a-z0-9-]*@`)

// isRemote reports whether kustomize would fetch ref instead of reading it
// from the checkout: a URL with a scheme (https://, ssh://, file://, …), an
// scp-like git address (git@host:org/repo) or a github.com/ path. Inline
// content (several lines) is never remote. This errs on the side of
// refusing: it takes in every form kustomize's git and HTTP loaders accept.
func isRemote(ref string) bool {
	if strings.Contains(ref, "\n") {
		return false
	}
	lower := strings.ToLower(strings.TrimSpace(ref))
	lower = strings.TrimPrefix(lower, "git::")
	return strings.Contains(lower, "://") ||
		strings.HasPrefix(lower, "github.com/") ||
		strings.HasPrefix(lower, "github.com:") ||
		scpLikeGit.MatchString(lower)
}
