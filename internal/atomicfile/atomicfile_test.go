package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		before string // "" = no file
		data   string
	}{
		{"creates", "", "new\n"},
		{"replaces", "old bytes that are longer\n", "new\n"},
		{"empty", "old\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			name := filepath.Join(dir, "f.md")
			if tc.before != "" {
				if err := os.WriteFile(name, []byte(tc.before), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := Write(name, []byte(tc.data), 0o644); err != nil {
				t.Fatalf("Write: %v", err)
			}
			got, err := os.ReadFile(name)
			if err != nil || string(got) != tc.data {
				t.Fatalf("file = %q, %v; want %q", got, err, tc.data)
			}
			fi, err := os.Stat(name)
			if err != nil || fi.Mode().Perm() != 0o644 {
				t.Errorf("mode = %v, %v; want 0644", fi.Mode().Perm(), err)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("directory holds %d entries, want only the file (no temporary left)", len(entries))
			}
		})
	}
}

func TestWriteFailureLeavesTargetAndNoTemp(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// The target is a non-empty directory: the rename fails.
	name := filepath.Join(dir, "target")
	if err := os.MkdirAll(filepath.Join(name, "inside"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := Write(name, []byte("x"), 0o644)
	if err == nil {
		t.Fatal("Write over a non-empty directory succeeded")
	}
	if strings.Count(err.Error(), name) != 1 || strings.Contains(err.Error(), TempPrefix) {
		t.Errorf("error %q should name the target once and not the temporary file", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), TempPrefix) {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
	// A directory that does not exist.
	if err := Write(filepath.Join(dir, "missing", "f"), []byte("x"), 0o644); err == nil {
		t.Error("Write into a missing directory succeeded")
	}
}
