package gitsync

// Branch returns the name of the watched branch, as in Options.Branch
// ("main"): the base of the pull requests sluice opens.
func (r *Repository) Branch() string { return r.branch }
