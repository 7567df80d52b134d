package forgeemu

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// fileJSON is GitHub's changed file of a pull request.
type fileJSON struct {
	SHA       string `json:"sha"`
	Filename  string `json:"filename"`
	Status    string `json:"status"`
	Additions int    `json:"additions"`
	Deletions int    `json:"deletions"`
	Changes   int    `json:"changes"`
	Patch     string `json:"patch,omitempty"`
}

// listFiles serves GET /repos/{owner}/{repo}/pulls/{number}/files: the
// files head changes since its merge base with base (renames are reported
// as a removal and an addition), sorted by name and paginated, each with
// its unified diff hunks as patch (none for binary files).
func (s *Server) listFiles(w http.ResponseWriter, r *http.Request, p params) *apiError {
	pr, apiErr := s.loadPull(r.Context(), p)
	if apiErr != nil {
		return apiErr
	}
	files, err := s.repo.changedFiles(r.Context(), pr.baseSHA, pr.headSHA)
	if err != nil {
		return internalError(err)
	}
	writeJSON(w, http.StatusOK, append([]fileJSON{}, paginate(w, r, s.baseURL, files)...))
	return nil
}

// fileStatuses names git's change letters as GitHub does.
var fileStatuses = map[string]string{"A": "added", "D": "removed", "M": "modified", "T": "changed"}

// changedFiles compares head with its merge base with base.
func (g *repository) changedFiles(ctx context.Context, base, head string) ([]fileJSON, error) {
	from, err := g.mergeBase(ctx, base, head)
	if err != nil {
		return nil, err
	}
	diff := func(format ...string) (string, error) {
		args := append([]string{"diff", "--no-renames", "--no-ext-diff", "--no-color", "--no-abbrev"}, format...)
		return g.git(ctx, "", append(args, from, head)...)
	}
	raw, err := diff("--raw", "-z")
	if err != nil {
		return nil, err
	}
	files, err := parseRaw(raw)
	if err != nil || len(files) == 0 {
		return nil, err
	}
	numstat, err := diff("--numstat", "-z")
	if err != nil {
		return nil, err
	}
	patches, err := diff()
	if err != nil {
		return nil, err
	}
	counts := strings.Split(strings.TrimSuffix(numstat, "\x00"), "\x00")
	hunks := splitPatches(patches)
	if len(counts) != len(files) || len(hunks) != len(files) {
		return nil, fmt.Errorf("git diff: %d files, %d counts, %d patches", len(files), len(counts), len(hunks))
	}
	for i := range files {
		fields := strings.SplitN(counts[i], "\t", 3)
		if len(fields) == 3 {
			files[i].Additions, _ = strconv.Atoi(fields[0]) // "-" for binary files: 0
			files[i].Deletions, _ = strconv.Atoi(fields[1])
		}
		files[i].Changes = files[i].Additions + files[i].Deletions
		files[i].Patch = hunks[i]
	}
	return files, nil
}

// parseRaw reads `git diff --raw -z --no-abbrev`: for each file
// ":<mode> <mode> <old sha> <new sha> <letter>\0<path>\0".
func parseRaw(raw string) ([]fileJSON, error) {
	if raw == "" {
		return nil, nil
	}
	var files []fileJSON
	fields := strings.Split(strings.TrimSuffix(raw, "\x00"), "\x00")
	for i := 0; i+1 < len(fields); i += 2 {
		meta := strings.Fields(strings.TrimPrefix(fields[i], ":"))
		if len(meta) != 5 {
			return nil, fmt.Errorf("git diff --raw: unexpected entry %q", fields[i])
		}
		status, ok := fileStatuses[meta[4]]
		if !ok {
			return nil, fmt.Errorf("git diff --raw: unexpected status %q", meta[4])
		}
		sha := meta[3]
		if status == "removed" {
			sha = meta[2]
		}
		files = append(files, fileJSON{SHA: sha, Filename: fields[i+1], Status: status})
	}
	return files, nil
}

// splitPatches cuts the output of git diff into one patch per file, each
// reduced to its hunks (from the first "@@" line) as GitHub shows them.
func splitPatches(diff string) []string {
	if diff == "" {
		return nil
	}
	var patches []string
	for _, section := range strings.SplitAfter(diff, "\n") {
		if strings.HasPrefix(section, "diff --git ") {
			patches = append(patches, "")
			continue
		}
		if len(patches) == 0 {
			continue
		}
		last := &patches[len(patches)-1]
		if *last != "" || strings.HasPrefix(section, "@@") {
			*last += section
		}
	}
	for i := range patches {
		patches[i] = strings.TrimSuffix(patches[i], "\n")
	}
	return patches
}
