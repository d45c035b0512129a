package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/backup"
	"github.com/optiq/optiq/store"
	"github.com/optiq/optiq/web"
)

// job is work the server does on a schedule.
type job struct {
	name  string
	every time.Duration
	first time.Duration // delay before the first run
	run   func(ctx context.Context) (result string, err error)
}

// jobStatus is what /readyz, the logs and the metrics say about a job.
type jobStatus struct {
	Name        string    `json:"name"`
	Every       string    `json:"every"`
	NextRun     time.Time `json:"next_run"`
	LastRun     time.Time `json:"last_run,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	Duration    string    `json:"duration,omitempty"`
	OK          bool      `json:"ok"`
	Result      string    `json:"result,omitempty"`
	Error       string    `json:"error,omitempty"`
	Runs        int64     `json:"runs"`
	Failures    int64     `json:"failures"`
	seconds     float64
}

// scheduler runs jobs in the server process, one goroutine per job, so a
// slow backup never delays a cleanup. Each job's last run is kept in
// memory.
type scheduler struct {
	log     *slog.Logger
	started time.Time
	mu      sync.Mutex
	jobs    []job
	status  map[string]*jobStatus
	wg      sync.WaitGroup
}

func newScheduler(log *slog.Logger) *scheduler {
	return &scheduler{log: log, started: time.Now(), status: map[string]*jobStatus{}}
}

func (s *scheduler) add(j job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jobs = append(s.jobs, j)
	s.status[j.name] = &jobStatus{Name: j.name, Every: j.every.String(), OK: true, NextRun: time.Now().Add(j.first).UTC()}
}

// start runs the jobs until ctx ends; wait blocks until every run in
// progress has stopped.
func (s *scheduler) start(ctx context.Context) (wait func()) {
	s.mu.Lock()
	jobs := append([]job(nil), s.jobs...)
	s.mu.Unlock()
	for _, j := range jobs {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			t := time.NewTimer(j.first)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				s.runOnce(ctx, j)
				t.Reset(j.every)
			}
		}()
	}
	return s.wg.Wait
}

// runOnce runs j now and records the outcome.
func (s *scheduler) runOnce(ctx context.Context, j job) {
	start := time.Now()
	result, err := j.run(ctx)
	d := time.Since(start)
	s.mu.Lock()
	st := s.status[j.name]
	st.LastRun, st.Duration, st.seconds, st.Runs = start.UTC(), d.Round(time.Millisecond).String(), d.Seconds(), st.Runs+1
	st.NextRun = time.Now().Add(j.every).UTC()
	st.Result, st.Error, st.OK = result, "", err == nil
	if err != nil {
		st.Failures++
		st.Error = err.Error()
	} else {
		st.LastSuccess = st.LastRun
	}
	s.mu.Unlock()
	if err != nil {
		if ctx.Err() != nil {
			s.log.Warn("job interrupted by shutdown", "job", j.name, "duration", d)
			return
		}
		s.log.Error("job failed", "job", j.name, "duration", d, "error", err)
		return
	}
	s.log.Info("job done", "job", j.name, "duration", d, "result", result)
}

// runNow runs the named job at once, as its schedule would, and returns
// its status afterwards. A job's run that fails is reported in the status,
// not as an error; an unknown job is.
func (s *scheduler) runNow(ctx context.Context, name string) (any, error) {
	s.mu.Lock()
	jobs := append([]job(nil), s.jobs...)
	s.mu.Unlock()
	for _, j := range jobs {
		if j.name != name {
			continue
		}
		s.runOnce(ctx, j)
		for _, st := range s.snapshot() {
			if st.Name == name {
				return st, nil
			}
		}
	}
	var names []string
	for _, j := range jobs {
		names = append(names, j.name)
	}
	return nil, app.Errorf(app.ENOTFOUND, "no job %q on this server (jobs: %s; backups run only when backup_interval is set)", name, strings.Join(names, ", "))
}

// snapshot returns the status of every job.
func (s *scheduler) snapshot() []jobStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]jobStatus, 0, len(s.jobs))
	for _, j := range s.jobs {
		out = append(out, *s.status[j.name])
	}
	return out
}

var (
	jobRunsDesc     = prometheus.NewDesc("optiq_job_runs_total", "Runs of each scheduled job.", []string{"job"}, nil)
	jobFailuresDesc = prometheus.NewDesc("optiq_job_failures_total", "Failed runs of each scheduled job.", []string{"job"}, nil)
	jobDurationDesc = prometheus.NewDesc("optiq_job_last_duration_seconds", "Duration of each job's last run.", []string{"job"}, nil)
	jobSuccessDesc  = prometheus.NewDesc("optiq_job_last_success_timestamp_seconds", "When each job last succeeded (Unix time, 0: never).", []string{"job"}, nil)
)

// Describe implements prometheus.Collector.
func (s *scheduler) Describe(ch chan<- *prometheus.Desc) {
	ch <- jobRunsDesc
	ch <- jobFailuresDesc
	ch <- jobDurationDesc
	ch <- jobSuccessDesc
}

// Collect implements prometheus.Collector.
func (s *scheduler) Collect(ch chan<- prometheus.Metric) {
	for _, st := range s.snapshot() {
		ch <- prometheus.MustNewConstMetric(jobRunsDesc, prometheus.CounterValue, float64(st.Runs), st.Name)
		ch <- prometheus.MustNewConstMetric(jobFailuresDesc, prometheus.CounterValue, float64(st.Failures), st.Name)
		ch <- prometheus.MustNewConstMetric(jobDurationDesc, prometheus.GaugeValue, st.seconds, st.Name)
		var ts float64
		if !st.LastSuccess.IsZero() {
			ts = float64(st.LastSuccess.Unix())
		}
		ch <- prometheus.MustNewConstMetric(jobSuccessDesc, prometheus.GaugeValue, ts, st.Name)
	}
}

// workspaceSizes reports the disk use of each workspace as metrics.
type workspaceSizes struct{ st *store.Store }

var workspaceBytesDesc = prometheus.NewDesc("optiq_workspace_bytes", "Disk use of each workspace: its data.db (kind=data) and derived indexes (kind=index).", []string{"workspace", "kind"}, nil)

func (w workspaceSizes) Describe(ch chan<- *prometheus.Desc) { ch <- workspaceBytesDesc }

func (w workspaceSizes) Collect(ch chan<- prometheus.Metric) {
	sizes, err := w.st.WorkspaceSizes()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(workspaceBytesDesc, err)
		return
	}
	for ws, sz := range sizes {
		ch <- prometheus.MustNewConstMetric(workspaceBytesDesc, prometheus.GaugeValue, float64(sz.Data), ws, "data")
		ch <- prometheus.MustNewConstMetric(workspaceBytesDesc, prometheus.GaugeValue, float64(sz.Index), ws, "index")
	}
}

// serverJobs are the jobs of optiq serve: backups (unless off) and the
// cleanup of expired credentials and abandoned index sessions.
func serverJobs(cfg serverConfig, set settings, st *store.Store) []job {
	var jobs []job
	if set.backupEvery > 0 {
		// The first backup comes when the newest one is due, or shortly
		// after start if it is overdue (not at once: let the server settle).
		first := set.backupFirstRun
		if last, ok, _ := backup.Latest(cfg.DataDir); ok {
			if due := time.Until(last.Created.Add(set.backupEvery)); due > first {
				first = due
			}
		}
		jobs = append(jobs, job{name: "backup", every: set.backupEvery, first: first, run: func(ctx context.Context) (string, error) {
			return runBackup(ctx, cfg, set)
		}})
	}
	jobs = append(jobs, job{name: "cleanup", every: set.cleanupEvery, first: min(10*time.Second, set.cleanupEvery), run: func(ctx context.Context) (string, error) {
		if err := st.CleanupExpired(ctx); err != nil {
			return "", fmt.Errorf("expired sessions, codes and tokens: %w", err)
		}
		n, err := st.CleanupIndexSessions(ctx, set.sessionMaxAge)
		if err != nil {
			return "", fmt.Errorf("abandoned index sessions: %w", err)
		}
		return fmt.Sprintf("expired sessions, codes and tokens removed; %d abandoned index session(s) removed", n), nil
	}})
	return jobs
}

// runBackup makes one backup and prunes old ones (the job and `optiq
// backup now`).
func runBackup(ctx context.Context, cfg serverConfig, set settings) (string, error) {
	b, err := backup.Create(ctx, cfg.DataDir, backup.Options{Recipient: cfg.BackupAgeRecipient})
	if err != nil {
		return "", err
	}
	pruned, err := backup.Prune(cfg.DataDir, set.backupKeep, time.Now())
	if err != nil {
		return "", fmt.Errorf("backup %s made, but pruning failed: %w", b.Name, err)
	}
	return fmt.Sprintf("backup %s: %d file(s), %d bytes; %d old backup(s) removed", b.Name, len(b.Files), b.Bytes, len(pruned)), nil
}

// readiness returns the deep checks of /readyz.
func readiness(cfg serverConfig, set settings, st *store.Store, jobs *scheduler) func(ctx context.Context) []web.ReadyCheck {
	return func(ctx context.Context) []web.ReadyCheck {
		var out []web.ReadyCheck
		add := func(name string, err error, detail any) {
			c := web.ReadyCheck{Name: name, OK: err == nil, Detail: detail}
			if err != nil {
				c.Error = err.Error()
			}
			out = append(out, c)
		}
		cctx, cancel := context.WithTimeout(ctx, set.readyTimeout)
		add("control_db", st.ProbeWrite(cctx), nil)
		cancel()

		// Opening a workspace may rebuild its index (after a restore, say):
		// that open is not cancelled when the check gives up, so it
		// completes and a later check passes.
		type probe struct {
			ws  string
			err error
		}
		done := make(chan probe, 1)
		go func() {
			ws, err := st.ProbeTenant(context.WithoutCancel(ctx))
			done <- probe{ws, err}
		}()
		select {
		case p := <-done:
			if p.ws == "" && p.err == nil {
				p.ws = "no workspaces yet"
			}
			add("tenant_db", p.err, map[string]string{"workspace": p.ws})
		case <-time.After(set.readyTimeout):
			add("tenant_db", fmt.Errorf("opening a workspace took longer than ready_timeout (%s): its index may be rebuilding", set.readyTimeout), nil)
		}

		var fs syscall.Statfs_t
		if err := syscall.Statfs(cfg.DataDir, &fs); err != nil {
			add("disk", fmt.Errorf("free space of %s: %w", cfg.DataDir, err), nil)
		} else {
			free := fs.Bavail * uint64(fs.Bsize)
			var err error
			if free < set.minFreeBytes {
				err = fmt.Errorf("%d MB free on the data directory's file system, below min_free_disk_mb = %d", free>>20, set.minFreeBytes>>20)
			}
			add("disk", err, map[string]uint64{"free_bytes": free, "min_free_bytes": set.minFreeBytes})
		}

		detail, err := backupCheck(cfg, set, jobs.started)
		add("backup", err, detail)

		var failed []string
		for _, j := range jobs.snapshot() {
			if !j.OK {
				failed = append(failed, j.Name+": "+j.Error)
			}
		}
		var jerr error
		if len(failed) > 0 {
			jerr = fmt.Errorf("last run failed: %v", failed)
		}
		add("jobs", jerr, jobs.snapshot())
		return out
	}
}

// backupCheck fails when backups are on and the newest is older than twice
// the interval (a missed run is tolerated, two are not).
func backupCheck(cfg serverConfig, set settings, started time.Time) (detail any, err error) {
	if set.backupEvery == 0 {
		return map[string]string{"backups": "off"}, nil
	}
	limit := 2 * set.backupEvery
	last, ok, err := backup.Latest(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("list backups: %w", err)
	}
	if !ok {
		if time.Since(started) < limit {
			return map[string]string{"latest": "none yet"}, nil
		}
		return nil, fmt.Errorf("no backup in %s although backup_interval = %s: see the backup job's error", limit, set.backupEvery)
	}
	age := time.Since(last.Created)
	detail = map[string]string{"latest": last.Name, "age": age.Round(time.Second).String()}
	if age > limit {
		return detail, fmt.Errorf("newest backup %s is %s old, more than twice backup_interval (%s)", last.Name, age.Round(time.Minute), set.backupEvery)
	}
	return detail, nil
}
