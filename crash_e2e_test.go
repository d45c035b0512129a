package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/optiq/optiq/seal"
)

// crashServer runs `optiq serve` in a child process (this test binary),
// so that it can be killed with SIGKILL.
type crashServer struct {
	cmd              *exec.Cmd
	url, fingerprint string
}

const serveHelperEnv = "OPTIQ_TEST_SERVE_ARGS"

func startCrashServer(t *testing.T, data, masterKey string) *crashServer {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillDuringIndexing$")
	cmd.Env = append(os.Environ(), serveHelperEnv+"="+strings.Join([]string{"serve", "--data", data, "--master-key", masterKey, "--addr", "127.0.0.1:0"}, "\n"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &crashServer{cmd: cmd}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	found := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "Optiq is listening on "); ok {
				p.url = v
			}
			if v, ok := strings.CutPrefix(line, "Certificate fingerprint: "); ok {
				p.fingerprint = v
				close(found)
			}
		}
	}()
	select {
	case <-found:
	case <-time.After(30 * time.Second):
		t.Fatal("server process did not start")
	}
	return p
}

// integrityCheck opens every database of the data directory as the server
// would (recovering the WAL a killed process left) and runs PRAGMA
// integrity_check.
func integrityCheck(t *testing.T, data string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(data, "tenants", "*", "data.db"))
	files = append(files, filepath.Join(data, "control.db"))
	for _, f := range files {
		db, err := sql.Open("sqlite", "file:"+f+"?_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		var res string
		err = db.QueryRow("PRAGMA integrity_check").Scan(&res)
		db.Close()
		if err != nil || res != "ok" {
			t.Fatalf("%s after SIGKILL: %q %v", f, res, err)
		}
	}
}

// TestKillDuringIndexing kills the server with SIGKILL while a large index
// run is uploading, then checks that every database passes its integrity
// check, that what was committed before answers as before, that the
// interrupted run left nothing visible, and that running the index again
// completes.
func TestKillDuringIndexing(t *testing.T) {
	if args := os.Getenv(serveHelperEnv); args != "" {
		os.Exit(run(context.Background(), strings.Split(args, "\n"), os.Stdin, os.Stdout, os.Stderr))
	}
	dir := t.TempDir()
	data, masterKey := filepath.Join(dir, "data"), filepath.Join(dir, "master.key")
	if _, err := seal.CreateMasterKey(masterKey); err != nil {
		t.Fatal(err)
	}
	srv := startCrashServer(t, data, masterKey)
	ts := &testServer{url: srv.url, fingerprint: srv.fingerprint, data: data, masterKey: masterKey}
	ada := newUser(t, ts, "ada@example.com", "admin")
	ada.ok("", "repo", "create", "demo")

	// A first, small version is committed.
	src := t.TempDir()
	writeCorpus(t, src, 2, 3)
	ada.ok("", "index", src, "--repo", "demo", "--json", "--no-embeddings")
	before := projection(searchCLI(t, ada, "sym:Render", "--limit", "50"))
	if len(before) != 6 {
		t.Fatalf("first version: %v", before)
	}

	// A large second version; the server dies while it uploads.
	os.RemoveAll(src)
	writeCorpus(t, src, 60, 20)
	done := make(chan result, 1)
	go func() { done <- ada.run("", "index", src, "--repo", "demo", "--json", "--no-embeddings") }()
	tenant := ""
	// Generous: under the race detector on a busy 2-core machine listing,
	// fingerprinting and parsing the corpus before the first upload took
	// over a minute.
	deadline := time.Now().Add(4 * time.Minute)
	for staged := 0; staged == 0; {
		select {
		case r := <-done:
			t.Fatalf("the index run finished before the kill (exit %d): make the corpus larger", r.code)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("no upload seen in 4 minutes")
		}
		if tenant == "" {
			if m, _ := filepath.Glob(filepath.Join(data, "tenants", "*", "data.db")); len(m) == 1 {
				tenant = m[0]
			}
		}
		if tenant != "" {
			if db, err := sql.Open("sqlite", "file:"+tenant+"?_pragma=busy_timeout(1000)&_pragma=query_only(1)"); err == nil {
				db.QueryRow("SELECT count(*) FROM files WHERE session_id IS NOT NULL").Scan(&staged)
				db.Close()
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv.cmd.Wait()
	if r := <-done; r.code == 0 {
		t.Fatal("the index run succeeded although the server was killed")
	}

	integrityCheck(t, data)

	// Restarted, the server answers from the committed version only.
	srv2 := startCrashServer(t, data, masterKey)
	t.Setenv("OPTIQ_SERVER", srv2.url)
	t.Setenv("OPTIQ_FINGERPRINT", srv2.fingerprint)
	if after := projection(searchCLI(t, ada, "sym:Render", "--limit", "50")); !reflect.DeepEqual(after, before) {
		t.Fatalf("committed results changed by the killed run:\n%v\nwant\n%v", after, before)
	}
	// Running the index again completes, reusing what was uploaded.
	var sum indexSummary
	if err := json.Unmarshal([]byte(ada.ok("", "index", src, "--repo", "demo", "--json", "--no-embeddings")), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Files != 1201 || sum.Resumed == 0 {
		t.Fatalf("re-run after the kill: %+v", sum)
	}
	if hits := searchCLI(t, ada, "HandleRequest59_19"); len(hits) == 0 || hits[0].Name != "HandleRequest59_19" {
		t.Fatalf("search after the re-run: %+v", hits)
	}
	srv2.cmd.Process.Signal(syscall.SIGTERM)
	srv2.cmd.Wait()
	integrityCheck(t, data)
}
