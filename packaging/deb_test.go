package packaging_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"debug/buildinfo"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ulikunitz/xz"

	"github.com/optiq/optiq/packaging"
)

// debMember is one member of the deb's ar archive.
type debMember struct {
	name string
	data []byte
}

// readAr splits an ar archive (the .deb container) into its members.
func readAr(t *testing.T, b []byte) []debMember {
	t.Helper()
	const magic = "!<arch>\n"
	if !bytes.HasPrefix(b, []byte(magic)) {
		t.Fatal("not an ar archive")
	}
	b = b[len(magic):]
	var out []debMember
	for len(b) > 0 {
		if len(b) < 60 {
			t.Fatalf("truncated ar header")
		}
		h := b[:60]
		if string(h[58:60]) != "`\n" {
			t.Fatalf("bad ar header terminator in %q", h)
		}
		name := strings.TrimSuffix(strings.TrimSpace(string(h[0:16])), "/")
		size, err := strconv.Atoi(strings.TrimSpace(string(h[48:58])))
		if err != nil {
			t.Fatalf("ar member %s: size: %v", name, err)
		}
		b = b[60:]
		out = append(out, debMember{name, b[:size]})
		b = b[size:]
		if size%2 == 1 && len(b) > 0 {
			b = b[1:]
		}
	}
	return out
}

type tarEntry struct {
	hdr  *tar.Header
	data []byte
}

func readTar(t *testing.T, name string, b []byte) map[string]tarEntry {
	t.Helper()
	var r io.Reader
	var err error
	switch {
	case strings.HasSuffix(name, ".gz"):
		r, err = gzip.NewReader(bytes.NewReader(b))
	case strings.HasSuffix(name, ".xz"):
		r, err = xz.NewReader(bytes.NewReader(b))
	default:
		t.Fatalf("%s: unexpected compression", name)
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out := map[string]tarEntry{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("%s: %s: %v", name, h.Name, err)
		}
		out[strings.TrimPrefix(h.Name, ".")] = tarEntry{h, data}
	}
}

// builtDeb is a package built with the test binary standing in for optiq
// (it is a Go binary too, so the copyright file lists its modules).
type builtDeb struct {
	control map[string]tarEntry
	data    map[string]tarEntry
	members []debMember
}

// built caches one package per architecture: building takes seconds.
var built = map[string]builtDeb{}

func buildDeb(t *testing.T, arch string) builtDeb {
	t.Helper()
	if d, ok := built[arch]; ok {
		return d
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	doc := t.TempDir() + "/install.md"
	if err := os.WriteFile(doc, []byte("# Installing Optiq\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := packaging.Deb{
		Arch:       arch,
		Version:    "1.2.3",
		Binary:     self,
		InstallDoc: doc,
		Time:       time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
	path, err := d.WriteFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if want := "optiq_1.2.3-1_" + arch + ".deb"; !strings.HasSuffix(path, "/"+want) {
		t.Errorf("package file %s, want %s", path, want)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out builtDeb
	out.members = readAr(t, b)
	for _, m := range out.members {
		switch {
		case strings.HasPrefix(m.name, "control.tar"):
			out.control = readTar(t, m.name, m.data)
		case strings.HasPrefix(m.name, "data.tar"):
			out.data = readTar(t, m.name, m.data)
		}
	}
	built[arch] = out
	return out
}

func TestDebContents(t *testing.T) {
	deb := buildDeb(t, "amd64")

	if len(deb.members) != 3 || deb.members[0].name != "debian-binary" || string(deb.members[0].data) != "2.0\n" {
		t.Fatalf("ar members %v: want debian-binary 2.0, control.tar, data.tar", names(deb.members))
	}

	files := map[string]int64{ // path -> mode
		"/usr/bin/optiq":                           0o755,
		"/lib/systemd/system/optiq.service":        0o644,
		"/etc/optiq/optiq.toml":                    0o644,
		"/usr/share/doc/optiq/copyright":           0o644,
		"/usr/share/doc/optiq/changelog.Debian.gz": 0o644,
		"/usr/share/doc/optiq/install.md":          0o644,
		"/usr/share/man/man1/optiq.1.gz":           0o644,
		"/usr/share/lintian/overrides/optiq":       0o644,
	}
	for path, e := range deb.data {
		h := e.hdr
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "root" || h.Gname != "root" {
			t.Errorf("%s owned by %s(%d):%s(%d), want root:root", path, h.Uname, h.Uid, h.Gname, h.Gid)
		}
		if !h.ModTime.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
			t.Errorf("%s mtime %v, want the build's fixed time", path, h.ModTime)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if h.Mode&0o7777 != 0o755 {
				t.Errorf("directory %s mode %o, want 755", path, h.Mode&0o7777)
			}
		case tar.TypeReg:
			want, ok := files[path]
			if !ok {
				t.Errorf("unexpected file %s", path)
				continue
			}
			if h.Mode&0o7777 != want {
				t.Errorf("%s mode %o, want %o", path, h.Mode&0o7777, want)
			}
		default:
			t.Errorf("%s: unexpected tar type %q", path, h.Typeflag)
		}
	}
	for path := range files {
		if _, ok := deb.data[path]; !ok {
			t.Errorf("%s missing from the package", path)
		}
	}
	// Nothing under /var/lib/optiq or /etc/optiq/master.key: systemd creates
	// the state directory, postinst creates the key, and dpkg must never
	// own (or, on upgrade, replace) either.
	for path := range deb.data {
		if strings.HasPrefix(path, "/var/") || path == "/etc/optiq/master.key" {
			t.Errorf("package ships %s", path)
		}
	}

	if got := string(deb.data["/lib/systemd/system/optiq.service"].data); got != packaging.Unit() {
		t.Error("packaged unit differs from files/optiq.service")
	}
	if got := string(deb.data["/etc/optiq/optiq.toml"].data); got != packaging.Config() {
		t.Error("packaged config differs from files/optiq.toml")
	}

	// Debian wants changelogs and man pages compressed with gzip -9n:
	// maximum compression flag, no name, no timestamp.
	for _, p := range []string{"/usr/share/doc/optiq/changelog.Debian.gz", "/usr/share/man/man1/optiq.1.gz"} {
		b := deb.data[p].data
		if len(b) < 10 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("%s is not gzip", p)
			continue
		}
		if flags, mtime, xfl := b[3], b[4:8], b[8]; flags&0x08 != 0 || !bytes.Equal(mtime, []byte{0, 0, 0, 0}) || xfl != 2 {
			t.Errorf("%s: gzip header flags %x mtime %x xfl %d, want no name, zero mtime, xfl 2", p, flags, mtime, xfl)
		}
	}
	changelog := gunzip(t, deb.data["/usr/share/doc/optiq/changelog.Debian.gz"].data)
	if !strings.HasPrefix(changelog, "optiq (1.2.3-1) unstable; urgency=medium\n") ||
		!strings.Contains(changelog, "\n -- Optiq maintainers <maintainers@optiq.example>  Fri, 02 Jan 2026 03:04:05 +0000\n") {
		t.Errorf("changelog.Debian.gz:\n%s", changelog)
	}
	copyright := string(deb.data["/usr/share/doc/optiq/copyright"].data)
	if !strings.HasPrefix(copyright, "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n") ||
		!strings.Contains(copyright, "\nFiles: *\n") || !strings.Contains(copyright, "\nLicense: ") {
		t.Errorf("copyright file is not in the machine-readable format:\n%s", copyright)
	}
	// The modules linked into the binary are listed (checked when the test
	// binary carries module information; check.sh checks the real one).
	self, _ := os.Executable()
	if bi, err := buildinfo.ReadFile(self); err == nil {
		for _, m := range bi.Deps {
			if m.Replace == nil && !strings.Contains(copyright, "\n "+m.Path+" "+m.Version+"\n") {
				t.Errorf("copyright file does not list %s %s", m.Path, m.Version)
			}
		}
	}
}

func TestDebControl(t *testing.T) {
	for _, arch := range []string{"amd64", "arm64"} {
		t.Run(arch, func(t *testing.T) {
			deb := buildDeb(t, arch)
			fields := controlFields(t, string(deb.control["/control"].data))
			for k, v := range map[string]string{
				"Package":      "optiq",
				"Version":      "1.2.3-1",
				"Architecture": arch,
				"Depends":      "adduser",
				"Section":      "devel",
				"Priority":     "optional",
			} {
				if fields[k] != v {
					t.Errorf("%s: %q, want %q", k, fields[k], v)
				}
			}
			if got := string(deb.control["/conffiles"].data); got != "/etc/optiq/optiq.toml\n" {
				t.Errorf("conffiles %q, want only /etc/optiq/optiq.toml", got)
			}
			for _, s := range []string{"postinst", "prerm", "postrm"} {
				e, ok := deb.control["/"+s]
				if !ok {
					t.Errorf("no %s", s)
					continue
				}
				if e.hdr.Mode&0o777 != 0o755 {
					t.Errorf("%s mode %o, want 755", s, e.hdr.Mode&0o777)
				}
				if !bytes.HasPrefix(e.data, []byte("#!/bin/sh\n")) || !bytes.Contains(e.data, []byte("\nset -e\n")) {
					t.Errorf("%s does not start with #!/bin/sh and set -e", s)
				}
			}
			md5sums := string(deb.control["/md5sums"].data)
			for _, p := range []string{"usr/bin/optiq", "lib/systemd/system/optiq.service"} {
				if !strings.Contains(md5sums, "  "+p+"\n") {
					t.Errorf("md5sums lacks %s", p)
				}
			}
		})
	}
}

// TestMaintainerScripts checks the promises the scripts make, by what they
// contain: the master key is created only if missing and root-only, the user
// is a system user, and purge removes what install created.
func TestMaintainerScripts(t *testing.T) {
	deb := buildDeb(t, "amd64")
	postinst := string(deb.control["/postinst"].data)
	postrm := string(deb.control["/postrm"].data)
	prerm := string(deb.control["/prerm"].data)
	for _, want := range []string{
		`if [ -e "$key" ]; then`,
		"od -An -v -tx1 -N32 /dev/urandom",
		"chown root:root",
		"chmod 0600",
		"adduser --system",
		"deb-systemd-helper enable 'optiq.service'",
		"deb-systemd-invoke \"$action\" 'optiq.service'",
	} {
		if !strings.Contains(postinst, want) {
			t.Errorf("postinst lacks %q", want)
		}
	}
	if !strings.Contains(prerm, "deb-systemd-invoke stop 'optiq.service'") {
		t.Error("prerm does not stop the service")
	}
	purge := postrm[strings.Index(postrm, `if [ "$1" = "purge" ]`):]
	for _, want := range []string{"rm -rf /var/lib/optiq", "rm -f /etc/optiq/master.key", "deluser --system", "deb-systemd-helper purge"} {
		if !strings.Contains(purge, want) {
			t.Errorf("postrm purge lacks %q", want)
		}
	}
}

func names(ms []debMember) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.name)
	}
	return out
}

func gunzip(t *testing.T, b []byte) string {
	t.Helper()
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func controlFields(t *testing.T, control string) map[string]string {
	t.Helper()
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(control))
	last := ""
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, " ") {
			out[last] += "\n" + line
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("control line %q", line)
		}
		last = k
		out[k] = strings.TrimSpace(v)
	}
	return out
}

// TestDebRejectsBadInput keeps version strings dpkg would refuse, and
// architectures the server is not built for, out of packages.
func TestDebRejectsBadInput(t *testing.T) {
	for _, d := range []packaging.Deb{
		{Arch: "i386", Version: "1.0.0", Binary: "x"},
		{Arch: "amd64", Version: "v1.0.0", Binary: "x"},
		{Arch: "amd64", Version: "1.0 0", Binary: "x"},
		{Arch: "amd64", Version: "1.0.0", Revision: "1-2", Binary: "x"},
		{Arch: "amd64", Version: "1.0.0"},
	} {
		if err := d.Write(io.Discard); err == nil {
			t.Errorf("%+v: built a package", d)
		}
	}
}
