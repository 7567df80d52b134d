package forge

import "testing"

func TestCheckRunIDsForgetEverythingWhenFull(t *testing.T) {
	t.Parallel()
	ids := newCheckRunIDs(2)
	ids.put("a", "n", 1)
	ids.put("b", "n", 2)
	ids.put("b", "n", 3) // an update of a remembered run keeps the rest
	if id, ok := ids.get("a", "n"); !ok || id != 1 || ids.len() != 2 {
		t.Fatalf("get(a) = %d %t with %d ids, want 1 and 2 ids", id, ok, ids.len())
	}
	ids.put("c", "n", 4)
	if _, ok := ids.get("a", "n"); ok || ids.len() != 1 {
		t.Errorf("after a third run: a is remembered %t, %d ids; want only the new one", ok, ids.len())
	}
	if id, ok := ids.get("c", "n"); !ok || id != 4 {
		t.Errorf("get(c) = %d %t, want 4", id, ok)
	}
	ids.forget("c", "n")
	if _, ok := ids.get("c", "n"); ok {
		t.Errorf("c is remembered after forget")
	}
	if _, ok := ids.get("a", "other"); ok {
		t.Errorf("another name of the same commit is remembered")
	}
}
