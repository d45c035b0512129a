// Command mkdeb cross-compiles the static optiq binary and builds its Debian
// packages:
//
//	cd packaging && go run ./cmd/mkdeb --arch amd64,arm64 --version 1.4.0 --out ../dist
//
// It prints the path of each package it writes.
package main

import (
	"context"
	"debug/elf"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/optiq/optiq/packaging"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkdeb:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fl := flag.NewFlagSet("mkdeb", flag.ContinueOnError)
	arches := fl.String("arch", "amd64,arm64", "Debian architectures to build, comma-separated: amd64, arm64")
	version := fl.String("version", "", "upstream version, e.g. 1.4.0 (required); the binary reports it")
	revision := fl.String("revision", "1", "Debian revision")
	out := fl.String("out", "dist", "directory the packages are written to")
	repo := fl.String("repo", "", "root of the optiq source tree (default: found above the working directory)")
	binary := fl.String("binary", "", "ship this linux binary instead of building one (one --arch only)")
	maintainer := fl.String("maintainer", packaging.DefaultMaintainer, "Maintainer field")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *version == "" {
		return errors.New("--version is required")
	}
	list := strings.Split(*arches, ",")
	if *binary != "" && len(list) != 1 {
		return errors.New("--binary needs exactly one --arch")
	}
	root := *repo
	if root == "" {
		var err error
		if root, err = findRepo(); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	mtime, err := sourceTime(ctx, root)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "mkdeb-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	for _, arch := range list {
		arch = strings.TrimSpace(arch)
		goarch, ok := packaging.Arches[arch]
		if !ok {
			return fmt.Errorf("architecture %q: want amd64 or arm64", arch)
		}
		bin := *binary
		if bin != "" {
			if err := checkBinary(bin, goarch); err != nil {
				return err
			}
		}
		if bin == "" {
			bin = filepath.Join(tmp, "optiq-"+arch)
			if err := build(ctx, root, goarch, *version, bin); err != nil {
				return err
			}
		}
		d := packaging.Deb{
			Arch:       arch,
			Version:    *version,
			Revision:   *revision,
			Binary:     bin,
			InstallDoc: filepath.Join(root, "docs", "install.md"),
			Maintainer: *maintainer,
			Time:       mtime,
		}
		path, err := d.WriteFile(*out)
		if err != nil {
			return fmt.Errorf("%s: %w", arch, err)
		}
		fmt.Println(path)
	}
	return nil
}

// build cross-compiles the static server binary.
func build(ctx context.Context, root, goarch, version, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath",
		"-ldflags", "-s -w -X main.version="+version, "-o", out, ".")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build for linux/%s: %w", goarch, err)
	}
	return nil
}

// checkBinary refuses to package a file that is not a linux binary for the
// architecture, so that an amd64 binary never ships in an arm64 package.
func checkBinary(path, goarch string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("--binary %s: %w", path, err)
	}
	defer f.Close()
	want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[goarch]
	if f.Machine != want {
		return fmt.Errorf("--binary %s is built for %v, not %s", path, f.Machine, goarch)
	}
	return nil
}

// findRepo walks up from the working directory to the optiq module root.
func findRepo() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module github.com/optiq/optiq\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no optiq source tree above the working directory: pass --repo")
		}
		dir = parent
	}
}

// sourceTime is the time stamped on every file of the package, so that the
// same source builds the same package: SOURCE_DATE_EPOCH when set, else the
// last commit's time, else now.
func sourceTime(ctx context.Context, root string) (time.Time, error) {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: %w", s, err)
		}
		return time.Unix(n, 0).UTC(), nil
	}
	cmd := exec.CommandContext(ctx, "git", "log", "-1", "--format=%ct")
	cmd.Dir = root
	if b, err := cmd.Output(); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil {
			return time.Unix(n, 0).UTC(), nil
		}
	}
	return time.Now().UTC(), nil
}
