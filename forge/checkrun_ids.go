package forge

import "sync"

// maxCheckRunIDs bounds the Check Run ids a GitHub remembers.
const maxCheckRunIDs = 1000

// checkRunIDs remembers the id of the Check Run of each commit and name,
// so that updating a run needs no lookup. It holds at most limit ids and
// forgets them all when full: an id it lacks costs one lookup, never a
// second run. It is safe for concurrent use.
type checkRunIDs struct {
	mu    sync.Mutex
	limit int
	ids   map[checkRunKey]int64
}

// checkRunKey names one Check Run: there is one per commit and name.
type checkRunKey struct{ sha, name string }

// newCheckRunIDs returns an empty memory of at most limit ids.
func newCheckRunIDs(limit int) *checkRunIDs {
	return &checkRunIDs{limit: limit, ids: map[checkRunKey]int64{}}
}

// get returns the id of the run of sha and name, if it is remembered.
func (c *checkRunIDs) get(sha, name string) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, ok := c.ids[checkRunKey{sha, name}]
	return id, ok
}

// put remembers the id of the run of sha and name, after forgetting every
// id if the memory is full.
func (c *checkRunIDs) put(sha, name string, id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := checkRunKey{sha, name}
	if _, ok := c.ids[key]; !ok && len(c.ids) >= c.limit {
		clear(c.ids)
	}
	c.ids[key] = id
}

// forget drops the id of the run of sha and name.
func (c *checkRunIDs) forget(sha, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.ids, checkRunKey{sha, name})
}

// len is how many ids are remembered.
func (c *checkRunIDs) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.ids)
}
