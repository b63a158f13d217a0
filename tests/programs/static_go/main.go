// static_go: a static Go program (CGO_ENABLED=0) that writes, renames, reads
// and deletes files and starts a subprocess; built by tests/test_static.py.
// Prints its own pid and the child's (Go makes raw system calls: only ptrace
// sees its file I/O).
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(90)
	}
}

func main() {
	must(os.MkdirAll(filepath.Join("gout", "deep"), 0o755))
	must(os.WriteFile(filepath.Join("gout", "a.txt"), []byte("alpha\n"), 0o644))
	must(os.Rename(filepath.Join("gout", "a.txt"), filepath.Join("gout", "deep", "b.txt")))
	data, err := os.ReadFile(filepath.Join("gout", "deep", "b.txt"))
	must(err)
	must(os.WriteFile("gcopy.txt", data, 0o600))
	must(os.Remove("gcopy.txt"))
	entries, err := os.ReadDir("gout")
	must(err)
	cmd := exec.Command("/bin/sh", "-c", "echo sub > gsub.txt")
	must(cmd.Run())
	fmt.Printf("pid=%d child=%d entries=%d\n", os.Getpid(), cmd.Process.Pid, len(entries))
}
