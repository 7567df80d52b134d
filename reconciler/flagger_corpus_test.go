package reconciler_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicehq/sluice/manifests"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// corpusDir holds Canaries as Flagger's documentation describes them, one
// directory per provider and style (written for sluice's tests from
// Flagger's API reference and tutorials), sharing common/: a Deployment
// and its HorizontalPodAutoscaler.
const corpusDir = "testdata/flagger-corpus"

// corpusFiles reads the files of common/ and of entry, as the repository
// paths they get: common/… and app/….
func corpusFiles(t *testing.T, entry string) map[string]*string {
	t.Helper()
	files := map[string]*string{"kustomization.yaml": text("resources: [app]\n")}
	for dir, as := range map[string]string{"common": "common", entry: "app"} {
		err := filepath.WalkDir(filepath.Join(corpusDir, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			content, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(filepath.Join(corpusDir, dir), path)
			files[filepath.ToSlash(filepath.Join(as, rel))] = text(string(content))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// commitSHA is a commit in a formatted plan, which differs between the
// plans compared.
var commitSHA = regexp.MustCompile(`\b[0-9a-f]{7,40}\b`)

// Every Canary of the corpus, written for Flagger, is accepted by sluice
// plan as it stands; `sluice convert` then changes only apiVersion lines,
// and the plan of the converted repository is the same plan.
func TestTheFlaggerCorpusPlansTheSameBeforeAndAfterConvert(t *testing.T) {
	t.Parallel() // see parallel_test.go
	entries, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range entries {
		if !entry.IsDir() || entry.Name() == "common" {
			continue
		}
		t.Run(entry.Name(), func(t *testing.T) {
			ns := playgroundtest.Namespace(t)
			files := corpusFiles(t, entry.Name())
			repo := newGitRepo(t)
			repo.commit("as Flagger had it", files)
			h := newHarness(t, repo, ns, nil)
			co, _, err := h.source.Poll(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			before, err := h.rec.Plan(t.Context(), co)
			if err != nil {
				t.Fatalf("sluice plan refuses the Flagger repository: %v", err)
			}
			var beforeText strings.Builder
			if err := before.Format(&beforeText); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(beforeText.String(), "podinfo") {
				t.Fatalf("the plan does not mention podinfo:\n%s", beforeText.String())
			}

			converted := map[string]*string{}
			for name, content := range files {
				conversion := manifests.ConvertFlagger([]byte(*content))
				if len(conversion.Refused) > 0 {
					t.Errorf("convert %s lists refused fields: %q", name, conversion.Refused)
				}
				if string(conversion.Content) != *content {
					converted[name] = text(string(conversion.Content))
				}
			}
			if len(converted) == 0 {
				t.Fatal("convert changed no file of a Flagger repository")
			}
			repo.commit("sluice convert", converted)
			co, _, err = h.source.Poll(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			after, err := h.rec.Plan(t.Context(), co)
			if err != nil {
				t.Fatalf("sluice plan refuses the converted repository: %v", err)
			}
			var afterText strings.Builder
			if err := after.Format(&afterText); err != nil {
				t.Fatal(err)
			}
			normalize := func(s string) string { return commitSHA.ReplaceAllString(s, "<commit>") }
			if diff := cmp.Diff(normalize(beforeText.String()), normalize(afterText.String())); diff != "" {
				t.Errorf("the plan changed with convert (-before +after):\n%s", diff)
			}
		})
	}
}
