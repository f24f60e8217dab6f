// Package atomicfile replaces a file so that a reader sees the old bytes
// or the new ones, never a part: the data goes to a temporary file in the
// same directory, which is then renamed over the target. errata's
// published files (the pages, the trends report) are written this way.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// TempPrefix starts the name of every temporary file Write creates, so a
// crash's leftovers are recognisable (and hidden: it starts with a dot).
const TempPrefix = ".errata-tmp-"

// Write replaces (or creates) the file name with data and mode perm,
// whatever the umask. On failure the temporary file is removed and name
// is left as it was. The error names name once.
func Write(name string, data []byte, perm fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), TempPrefix+"*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, unwrapPath(err))
	}
	_, werr := tmp.Write(data)
	if werr == nil {
		// CreateTemp makes the file 0600.
		werr = tmp.Chmod(perm)
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), name)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", name, unwrapPath(werr))
	}
	return nil
}

// unwrapPath drops the path of a *fs.PathError or *os.LinkError (the
// temporary file's, or the target's again) so the message names the
// target once.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
