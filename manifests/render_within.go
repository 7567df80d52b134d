package manifests

import (
	"fmt"
	"time"
)

// DefaultRenderTimeout bounds a rendering when RenderWithin is given none.
const DefaultRenderTimeout = 2 * time.Minute

// RenderWithin is Render under a deadline: a rendering that takes longer
// than timeout (zero means DefaultRenderTimeout) is an *InvalidError
// naming the path and the timeout. kustomize cannot be interrupted, so
// the rendering goes on in the background until it ends; with the input
// bounds of Options its time is bounded too, and a caller that does not
// render the same commit again (as sluice does for a refused head) does
// not pile them up.
func RenderWithin(timeout time.Duration, root, path string, opts Options) (*Rendering, error) {
	return renderWithin(timeout, path, func() (*Rendering, error) { return Render(root, path, opts) })
}

// renderWithin runs render under a deadline (see RenderWithin).
func renderWithin(timeout time.Duration, path string, render func() (*Rendering, error)) (*Rendering, error) {
	if timeout <= 0 {
		timeout = DefaultRenderTimeout
	}
	type result struct {
		rendering *Rendering
		err       error
	}
	done := make(chan result, 1)
	go func() {
		rendering, err := render()
		done <- result{rendering, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case res := <-done:
		return res.rendering, res.err
	case <-timer.C:
		return nil, &InvalidError{Object: "path " + path, Reason: fmt.Sprintf("rendering took longer than %s (--render-timeout)", timeout)}
	}
}
