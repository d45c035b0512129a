// Package packaging builds the Debian packages Optiq is installed from: the
// static binary, the hardened systemd unit, the default configuration, the
// maintainer scripts that create the optiq user and the master key, and the
// documentation lintian expects. The packages are assembled with nfpm as a
// library, so building them needs nothing but Go.
//
// It is its own module so that the packaging tool's dependencies never
// change the versions the server binary is built with.
package packaging

import (
	"bytes"
	"compress/gzip"
	"debug/buildinfo"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"
	"time"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"
)

//go:embed files
var embedded embed.FS

// Paths inside the package.
const (
	BinaryPath    = "/usr/bin/optiq"
	UnitPath      = "/lib/systemd/system/optiq.service"
	ConfigPath    = "/etc/optiq/optiq.toml"
	DocDir        = "/usr/share/doc/optiq"
	ManPagePath   = "/usr/share/man/man1/optiq.1.gz"
	OverridesPath = "/usr/share/lintian/overrides/optiq"
)

// DefaultMaintainer is the Maintainer field when none is given.
const DefaultMaintainer = "Optiq maintainers <maintainers@optiq.example>"

// Arches maps the Debian architectures Optiq is packaged for to GOARCH.
var Arches = map[string]string{"amd64": "amd64", "arm64": "arm64"}

// Deb describes one Debian package of Optiq.
type Deb struct {
	Arch       string    // Debian architecture: amd64 or arm64
	Version    string    // upstream version, e.g. 1.4.0
	Revision   string    // Debian revision; "1" when empty
	Binary     string    // the linux/Arch optiq binary to ship
	InstallDoc string    // docs/install.md, shipped beside the copyright file when set
	Maintainer string    // DefaultMaintainer when empty
	Time       time.Time // modification time of every file, for reproducible packages; now when zero
	// Compression of the data archive: "gzip" (the default: fast, and
	// within a tenth of xz's size for a Go binary), "xz" or "none".
	Compression string
}

var versionRE = regexp.MustCompile(`^[0-9][A-Za-z0-9.+~]*$`)

// FullVersion is the package version, upstream-revision.
func (d Deb) FullVersion() string { return d.Version + "-" + d.revision() }

// FileName is the conventional name of the package file.
func (d Deb) FileName() string {
	return fmt.Sprintf("optiq_%s_%s.deb", d.FullVersion(), d.Arch)
}

func (d Deb) revision() string {
	if d.Revision == "" {
		return "1"
	}
	return d.Revision
}

func (d Deb) compression() string {
	if d.Compression == "" {
		return "gzip"
	}
	return d.Compression
}

func (d Deb) maintainer() string {
	if d.Maintainer == "" {
		return DefaultMaintainer
	}
	return d.Maintainer
}

func (d Deb) validate() error {
	if _, ok := Arches[d.Arch]; !ok {
		return fmt.Errorf("architecture %q: want amd64 or arm64", d.Arch)
	}
	if !versionRE.MatchString(d.Version) {
		return fmt.Errorf("version %q: want a Debian upstream version starting with a digit, e.g. 1.4.0", d.Version)
	}
	if !versionRE.MatchString(d.revision()) {
		return fmt.Errorf("revision %q: want e.g. 1", d.revision())
	}
	if d.Binary == "" {
		return fmt.Errorf("no binary given")
	}
	return nil
}

// Write builds the package and writes it to w.
func (d Deb) Write(w io.Writer) error {
	if err := d.validate(); err != nil {
		return err
	}
	mtime := d.Time
	if mtime.IsZero() {
		mtime = time.Now()
	}
	mtime = mtime.UTC().Truncate(time.Second)

	stage, err := os.MkdirTemp("", "optiq-deb-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)

	// nfpm reads contents and scripts from files: stage the embedded ones
	// and the generated ones together.
	if err := fs.WalkDir(embedded, "files", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := embedded.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(stage, e.Name()), b, 0o644)
	}); err != nil {
		return err
	}
	copyright, err := d.copyright(mtime)
	if err != nil {
		return err
	}
	changelog, err := gzipped([]byte(d.changelog(mtime)))
	if err != nil {
		return err
	}
	man, err := embedded.ReadFile("files/optiq.1")
	if err != nil {
		return err
	}
	manGz, err := gzipped(man)
	if err != nil {
		return err
	}
	generated := map[string][]byte{
		"copyright":           copyright,
		"changelog.Debian.gz": changelog,
		"optiq.1.gz":          manGz,
	}
	for name, b := range generated {
		if err := os.WriteFile(filepath.Join(stage, name), b, 0o644); err != nil {
			return err
		}
	}
	src := func(name string) string { return filepath.Join(stage, name) }
	file := func(source, dest string, mode os.FileMode) *files.Content {
		return &files.Content{Source: source, Destination: dest, FileInfo: &files.ContentFileInfo{
			Owner: "root", Group: "root", Mode: mode, MTime: mtime,
		}}
	}
	contents := files.Contents{
		file(d.Binary, BinaryPath, 0o755),
		file(src("optiq.service"), UnitPath, 0o644),
		file(src("copyright"), DocDir+"/copyright", 0o644),
		file(src("changelog.Debian.gz"), DocDir+"/changelog.Debian.gz", 0o644),
		file(src("optiq.1.gz"), ManPagePath, 0o644),
		file(src("lintian-overrides"), OverridesPath, 0o644),
	}
	conf := file(src("optiq.toml"), ConfigPath, 0o644)
	conf.Type = files.TypeConfig // a conffile: dpkg keeps the admin's edits on upgrade
	contents = append(contents, conf)
	if d.InstallDoc != "" {
		contents = append(contents, file(d.InstallDoc, DocDir+"/install.md", 0o644))
	}

	info := nfpm.WithDefaults(&nfpm.Info{
		Name:          "optiq",
		Arch:          d.Arch,
		Platform:      "linux",
		Version:       d.Version,
		VersionSchema: "none",
		Release:       d.revision(),
		Section:       "devel",
		Priority:      "optional",
		Maintainer:    d.maintainer(),
		Homepage:      "https://optiq.example/",
		Description: `self-hosted code search that stores code only encrypted
 Optiq indexes source code on developers' machines, encrypts file content,
 signatures and docstrings there with per-repository keys, and searches
 symbols, paths and meaning on a server that holds only ciphertext.
 .
 This package runs the Optiq server under systemd (optiq.service, port 8443,
 state in /var/lib/optiq) and also provides the optiq command-line client.`,
		MTime: mtime,
		Overridables: nfpm.Overridables{
			Depends:  []string{"adduser"},
			Contents: contents,
			Umask:    0o022,
			Scripts: nfpm.Scripts{
				PostInstall: src("postinst"),
				PreRemove:   src("prerm"),
				PostRemove:  src("postrm"),
			},
			Deb: nfpm.Deb{Compression: d.compression()},
		},
	})
	if err := nfpm.Validate(info); err != nil {
		return err
	}
	return deb.Default.Package(info, w)
}

// WriteFile builds the package into dir and returns its path.
func (d Deb) WriteFile(dir string) (string, error) {
	var buf bytes.Buffer
	if err := d.Write(&buf); err != nil {
		return "", err
	}
	path := filepath.Join(dir, d.FileName())
	return path, os.WriteFile(path, buf.Bytes(), 0o644)
}

func (d Deb) changelog(t time.Time) string {
	return fmt.Sprintf(`optiq (%s) unstable; urgency=medium

  * Optiq %s.

 -- %s  %s
`, d.FullVersion(), d.Version, d.maintainer(), t.Format("Mon, 02 Jan 2006 15:04:05 -0700"))
}

var copyrightTmpl = template.Must(template.ParseFS(embedded, "files/copyright.tmpl"))

// copyright renders the copyright file, listing the Go modules linked into
// the binary (read from its build information) so that an admin can see
// what third-party code the package carries.
func (d Deb) copyright(t time.Time) ([]byte, error) {
	var modules []string
	if bi, err := buildinfo.ReadFile(d.Binary); err == nil {
		for _, m := range bi.Deps {
			if m.Replace != nil {
				m = m.Replace
			}
			modules = append(modules, m.Path+" "+m.Version)
		}
	}
	var buf bytes.Buffer
	err := copyrightTmpl.Execute(&buf, struct {
		Year    int
		Modules []string
	}{t.Year(), modules})
	return buf.Bytes(), err
}

// gzipped compresses b the way Debian wants it in a package: maximum
// compression, no name and no timestamp in the header.
func gzipped(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Unit returns the packaged systemd unit.
func Unit() string { return mustRead("files/optiq.service") }

// Config returns the packaged default configuration.
func Config() string { return mustRead("files/optiq.toml") }

func mustRead(name string) string {
	b, err := embedded.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}
