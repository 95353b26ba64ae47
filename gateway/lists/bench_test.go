package lists

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"folkevakt/gateway/freg"
	"folkevakt/gateway/freg/fregclient"
	"folkevakt/gateway/freg/fregsim"
	"folkevakt/gateway/freg/synth"
	"folkevakt/store"
	"folkevakt/store/sqlstore"
)

// benchRegisterN is the size of the synthetic register the benchmark runs
// against: about 720,000 bosatt in Oslo (the generator puts about 60 % of
// the population in the organisation's municipality, and some of those are
// dead or emigrated).
const benchRegisterN = 1_362_000

// benchSmallFrom is the birth-year lower bound of the small list: persons
// born 2007 or later, about 183,000 of the 720,000 (a quarter).
const benchSmallFrom = 2007

// BenchmarkCitizenList720k measures citizen lists of the Oslo-sized
// synthetic register (about 720,000 bosatt; benchRegisterN persons in all),
// through the whole job: uttrekk, bulkoppslag, reduction, audit into SQLite,
// file. One run reports (b.ReportMetric):
//
//   - s-xlsx-720k, s-csv-720k: seconds for the full list with the register
//     embedded (freg.Client in process), and xlsx/csv, their ratio.
//   - MiB-peak-rss-<format>-<size>: peak RSS of a whole gateway-side process
//     running one list, 720k or 180k rows (born 2007 or later) of the SAME
//     register, and MiB-live-<format>-<size>: the peak Go live heap the job
//     adds there (/gc/heap/live:bytes minus its value before).
//   - MiB-rss-growth: the larger, over both formats, of peak RSS at 720k
//     minus peak RSS at 180k; "not growing with list size" means ≈ 0.
//
// Why memory is measured in a child process: the synthetic register is
// about 270 MiB of live Go heap, and with GOGC=100 the runtime lets the heap
// grow to twice the live heap before collecting, so a job run beside the
// register gets ~270 MiB of headroom to fill with short-lived garbage and
// its RSS measures the register, not the job (the earlier in-process figures
// grew with the register, not with the list). The child is this test binary
// (see TestMain) running the job against the register over HTTP (fregsim in
// this process, fregclient in the child), which is how the gateway meets a
// real Folkeregisteret; the child's VmHWM is then the gateway's own peak.
func BenchmarkCitizenList720k(b *testing.B) {
	reg, err := synth.Generate(synth.Config{Seed: 1, N: benchRegisterN, Kommuner: []string{"0301"}})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(fregsim.NewHandler(reg, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	type key struct {
		format string
		from   int
	}
	size := func(from int) string {
		if from == 0 {
			return "720k"
		}
		return "180k"
	}
	timed := map[string]listRun{}
	mem := map[key]listRun{}
	for b.Loop() {
		for _, format := range []string{FormatCSV, FormatXLSX} {
			r, err := runList(context.Background(), b.TempDir(), reg, format, 0)
			if err != nil {
				b.Fatal(err)
			}
			timed[format] = r
		}
		for _, from := range []int{benchSmallFrom, 0} {
			for _, format := range []string{FormatCSV, FormatXLSX} {
				mem[key{format, from}] = childList(b, srv.URL+fregsim.Prefix, format, from)
			}
		}
	}
	growth := 0.0
	for _, from := range []int{benchSmallFrom, 0} {
		for _, format := range []string{FormatCSV, FormatXLSX} {
			r := mem[key{format, from}]
			b.ReportMetric(r.PeakRSS, "MiB-peak-rss-"+format+"-"+size(from))
			b.ReportMetric(r.LiveMiB, "MiB-live-"+format+"-"+size(from))
			fmt.Fprintf(os.Stderr, "over HTTP: %-4s %7d rows: %5.1f s, peak RSS %3.0f MiB (%3.0f before the job), live heap peak +%4.1f MiB\n",
				format, r.Rows, r.Secs, r.PeakRSS, r.BaseRSS, r.LiveMiB)
			if from == 0 {
				growth = max(growth, r.PeakRSS-mem[key{format, benchSmallFrom}].PeakRSS)
			}
		}
	}
	x, c := timed[FormatXLSX], timed[FormatCSV]
	fmt.Fprintf(os.Stderr, "in process: xlsx %d rows %.1f s, csv %d rows %.1f s\n", x.Rows, x.Secs, c.Rows, c.Secs)
	b.ReportMetric(float64(x.Rows), "rows-720k")
	b.ReportMetric(float64(mem[key{FormatXLSX, benchSmallFrom}].Rows), "rows-180k")
	b.ReportMetric(x.Secs, "s-xlsx-720k")
	b.ReportMetric(c.Secs, "s-csv-720k")
	b.ReportMetric(x.Secs/c.Secs, "xlsx/csv")
	b.ReportMetric(growth, "MiB-rss-growth")
}

// benchChildEnv carries a childSpec to the benchmark's child process.
const benchChildEnv = "FOLKEVAKT_LISTS_BENCH_CHILD"

type childSpec struct {
	URL    string `json:"url"`
	Format string `json:"format"`
	From   int    `json:"from"`
}

// TestMain lets the benchmark re-run this binary as a child that runs one
// list against fregsim over HTTP and prints its listRun as JSON.
func TestMain(m *testing.M) {
	if spec := os.Getenv(benchChildEnv); spec != "" {
		os.Exit(benchChild(spec))
	}
	os.Exit(m.Run())
}

func benchChild(spec string) int {
	var cs childSpec
	if err := json.Unmarshal([]byte(spec), &cs); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	up, err := fregclient.New(fregclient.Config{BaseURL: cs.URL, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	dir, err := os.MkdirTemp("", "lists-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(dir)
	r, err := runList(context.Background(), dir, up, cs.Format, cs.From)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		return 1
	}
	return 0
}

// childList runs one list in a child process and returns what it measured.
func childList(b *testing.B, url, format string, from int) listRun {
	spec, _ := json.Marshal(childSpec{URL: url, Format: format, From: from})
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), benchChildEnv+"="+string(spec))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("child %s %d: %v", format, from, err)
	}
	var r listRun
	if err := json.Unmarshal(out, &r); err != nil {
		b.Fatalf("child %s %d: %v in %q", format, from, err, out)
	}
	return r
}

// listRun is what one list cost. RSS figures are MiB of this process:
// peakRSS is VmHWM over the job (reset through /proc/self/clear_refs when
// it starts), baseRSS the RSS just before. liveMiB and objectsMiB are the
// peak Go live heap and heap objects (garbage included) above their values
// before the job.
type listRun struct {
	Rows       int     `json:"rows"`
	Secs       float64 `json:"secs"`
	PeakRSS    float64 `json:"peakRSS"`
	BaseRSS    float64 `json:"baseRSS"`
	LiveMiB    float64 `json:"liveMiB"`
	ObjectsMiB float64 `json:"objectsMiB"`
}

// runList orders one list (every bosatt in Oslo born in from or later;
// from 0 = all) on a fresh store and service in dir, waits for it and
// measures it.
func runList(ctx context.Context, dir string, up freg.Client, format string, from int) (listRun, error) {
	st, err := sqlstore.Open(ctx, sqlstore.Options{Path: filepath.Join(dir, "folkevakt.db")})
	if err != nil {
		return listRun{}, err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return listRun{}, err
	}
	org, err := st.CreateOrganisation(ctx, store.Organisation{OrgNumber: "974760673", Name: "Oslo kommune", Kommunenummer: []string{"0301"}})
	if err != nil {
		return listRun{}, err
	}
	area, err := st.Tenant(org.ID).GetServiceArea(ctx, "helse-omsorg")
	if err != nil {
		return listRun{}, err
	}
	role, err := st.Tenant(org.ID).CreateRole(ctx, store.Role{Name: "vaksine", ServiceAreaID: area.ID, Usage: store.UsageWebAndM2M,
		Purposes: []string{store.PurposeCitizenLists}, Elements: allListElements, GradedAddresses: store.GradedHide})
	if err != nil {
		return listRun{}, err
	}
	acc, user, grant, err := newAccess(st, org.ID, up, recordingAudit{st: st}, nil)
	if err != nil {
		return listRun{}, err
	}
	if err := grant(role.ID); err != nil {
		return listRun{}, err
	}
	svc, err := New(Options{Store: st, Upstream: up, Access: acc, DataDir: dir, Workers: 1})
	if err != nil {
		return listRun{}, err
	}
	if err := svc.Start(ctx); err != nil {
		return listRun{}, err
	}
	defer svc.Close()
	who := Caller{OrgID: org.ID, SubjectKind: store.SubjectUser, SubjectID: user, Role: role, Area: area}
	crit := "{}"
	if from != 0 {
		crit = `{"foedselsaarFraOgMed":` + strconv.Itoa(from) + `}`
	}
	body := []byte(`{"criteria":` + crit + `,"elements":["navn","foedsel","kjoenn","bostedsadresse"],"format":"` + format + `"}`)

	// Same floor for every job: earlier garbage collected and its pages
	// returned, so RSS before is what the process holds anyway.
	runtime.GC()
	debug.FreeOSMemory()
	before, err := procStatus("VmRSS")
	if err != nil {
		return listRun{}, err
	}
	h := startHeapSampler()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return listRun{}, fmt.Errorf("cannot reset VmHWM: %w", err)
	}
	start := time.Now()
	o, err := svc.Order(ctx, who, body)
	if err != nil {
		return listRun{}, err
	}
	for o.Status == store.OrderQueued || o.Status == store.OrderRunning {
		time.Sleep(20 * time.Millisecond)
		if o, err = st.Tenant(org.ID).GetListOrder(ctx, o.ID); err != nil {
			return listRun{}, err
		}
	}
	secs := time.Since(start).Seconds()
	peak, err := procStatus("VmHWM")
	live, objects := h.stop()
	if err != nil {
		return listRun{}, err
	}
	if o.Status != store.OrderDone {
		return listRun{}, fmt.Errorf("%s: %s", o.Status, o.Error)
	}
	_ = os.Remove(filepath.Join(dir, o.File))
	return listRun{Rows: o.Rows, Secs: secs, PeakRSS: peak, BaseRSS: before, LiveMiB: live, ObjectsMiB: objects}, nil
}

// heapSampler follows the Go heap during a job: the peak of the live heap
// (/gc/heap/live:bytes, updated at each GC) and of heap objects including
// garbage not yet collected (/memory/classes/heap/objects:bytes), both
// relative to their values at the start.
type heapSampler struct {
	stopc            chan struct{}
	wg               sync.WaitGroup
	baseLive, baseOb uint64
	peakLive, peakOb uint64
}

func startHeapSampler() *heapSampler {
	s := &heapSampler{stopc: make(chan struct{})}
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	s.baseLive, s.baseOb = sample[0].Value.Uint64(), sample[1].Value.Uint64()
	s.peakLive, s.peakOb = s.baseLive, s.baseOb
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.stopc:
				return
			case <-t.C:
			}
			metrics.Read(sample)
			s.peakLive = max(s.peakLive, sample[0].Value.Uint64())
			s.peakOb = max(s.peakOb, sample[1].Value.Uint64())
		}
	}()
	return s
}

// stop ends sampling and returns the peaks above the start, in MiB.
func (s *heapSampler) stop() (live, objects float64) {
	close(s.stopc)
	s.wg.Wait()
	return float64(s.peakLive-s.baseLive) / (1 << 20), float64(s.peakOb-s.baseOb) / (1 << 20)
}

// procStatus reads a kB field of /proc/self/status in MiB.
func procStatus(field string) (float64, error) {
	fh, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return float64(kb) / 1024, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/self/status", field)
}
