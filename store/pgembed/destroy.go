//go:build !windows

package pgembed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// locationNote is the file in the data dir that records where the cluster
// lives when it is not in the data dir itself, and its text before the
// path.
const (
	locationNote   = "postgres.location"
	locationPrefix = "errata's embedded PostgreSQL cluster for this data dir lives in "
)

// Roots returns every place the data dir's cluster may live: Root, and
// the one the data dir's location note names when that differs (the note
// outlives a change of the rules that place the cluster, such as the data
// dir's permissions).
func (c *Cluster) Roots() []string {
	roots := []string{c.Root}
	b, err := os.ReadFile(filepath.Join(c.DataDir, locationNote))
	if err != nil {
		return roots
	}
	p := strings.TrimSpace(strings.TrimPrefix(string(b), locationPrefix))
	if filepath.IsAbs(p) && filepath.Clean(p) != c.Root {
		roots = append(roots, filepath.Clean(p))
	}
	return roots
}

// Destroy stops the data dir's cluster if it runs and deletes it wherever
// it lives (see Roots), with the location note. The data dir and the rest
// of its contents stay. It returns the directories it removed; none when
// there was no cluster.
//
// A directory is removed only if it holds nothing but what a cluster root
// holds (data/, run/, postgres.log), so a mistaken or edited note cannot
// make it delete anything else.
func (c *Cluster) Destroy(ctx context.Context) ([]string, error) {
	var removed []string
	for _, root := range c.Roots() {
		alt := *c
		alt.Root = root
		if _, err := alt.Stop(ctx); err != nil {
			return removed, err
		}
		if err := func() error {
			unlock, err := alt.lock()
			if err != nil {
				return err
			}
			defer unlock()
			if running, err := alt.running(ctx); err == nil && running {
				return fmt.Errorf("embedded postgres in %s was started again while being destroyed; stop it and retry", root)
			}
			entries, err := os.ReadDir(root)
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("destroy embedded postgres: %w", err)
			}
			for _, e := range entries {
				switch e.Name() {
				case "data", "run", "postgres.log":
				default:
					return fmt.Errorf("destroy embedded postgres: %s holds %s, which is not part of a cluster; remove it by hand", root, e.Name())
				}
			}
			if err := os.RemoveAll(root); err != nil {
				return fmt.Errorf("destroy embedded postgres: %w", err)
			}
			removed = append(removed, root)
			return nil
		}(); err != nil {
			return removed, err
		}
	}
	if err := os.Remove(filepath.Join(c.DataDir, locationNote)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return removed, fmt.Errorf("destroy embedded postgres: %w", err)
	}
	return removed, nil
}
