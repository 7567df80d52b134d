package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/manifests"
)

func newConvertCommand() *cobra.Command {
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "convert PATH...",
		Short: "Rewrite Flagger Canaries (flagger.app/v1beta1) in YAML files as sluice's",
		Long: `Rewrite, in place, the apiVersion of every Flagger Canary (flagger.app/v1beta1)
in the YAML files given, or below the directories given, to sluice.dev/v1alpha1.
Only that line changes: comments, layout and every other object stay as they
are. Each change is printed, and so is every field of a Canary that sluice does
not support (see docs/flagger-compatibility.md). sluice reads Flagger Canaries
without the conversion too; converting writes in Git what the cluster holds.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			refused := 0
			for _, root := range args {
				err := filepath.WalkDir(root, func(path string, entry fs.DirEntry, err error) error {
					if err != nil {
						return err
					}
					if entry.IsDir() {
						if path != root && strings.HasPrefix(entry.Name(), ".") {
							return filepath.SkipDir
						}
						return nil
					}
					if ext := strings.ToLower(filepath.Ext(path)); ext != ".yaml" && ext != ".yml" || entry.Type()&fs.ModeSymlink != 0 {
						return nil
					}
					content, err := os.ReadFile(path)
					if err != nil {
						return err
					}
					conversion := manifests.ConvertFlagger(content)
					for _, change := range conversion.Changes {
						fmt.Fprintf(out, "%s: %s\n", path, change)
					}
					for _, field := range conversion.Refused {
						fmt.Fprintf(out, "%s: %s\n", path, field)
					}
					refused += len(conversion.Refused)
					if len(conversion.Changes) == 0 || dryRun {
						return nil
					}
					info, err := entry.Info()
					if err != nil {
						return err
					}
					return os.WriteFile(path, conversion.Content, info.Mode().Perm())
				})
				if err != nil {
					return err
				}
			}
			if refused > 0 {
				return fmt.Errorf("%d field(s) sluice does not support: a commit with them is refused", refused)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print what would change without writing")
	return cmd
}
