package gateway

import "strings"

// VersionOf returns the version an image runs: its tag, the text after the
// last ':' of its last path element once any digest is cut off, or "latest"
// when it has no tag. A registry's port is not a tag:
// localhost:5000/detail is "latest".
func VersionOf(image string) string {
	image, _, _ = strings.Cut(image, "@")
	name := image[strings.LastIndex(image, "/")+1:]
	if i := strings.LastIndex(name, ":"); i >= 0 && i < len(name)-1 {
		return name[i+1:]
	}
	return "latest"
}
