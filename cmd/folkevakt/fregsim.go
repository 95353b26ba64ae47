package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"folkevakt/gateway/freg/fregsim"
	"folkevakt/gateway/freg/synth"
)

func init() {
	commands["fregsim"] = command{"serve the synthetic register alone in FREG's wire format", runFregsim}
}

func runFregsim(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "fregsim")
	addr := fs.String("addr", "127.0.0.1:9090", "listen address")
	population := fs.Int("population", 50000, "number of synthetic persons")
	seed := fs.Int64("population-seed", 1, "seed of the synthetic population")
	kommuner := fs.String("kommunenummer", "", "comma-separated kommunenummer where most of the population lives (default: nationwide spread)")
	logFormat := fs.String("log-format", "json", "json or text")
	latency := fs.Duration("latency", 0, "delay every answer by this long, as a remote FREG's network and processing time would (e.g. 20ms)")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if *latency < 0 || *latency > time.Minute {
		return fmt.Errorf("--latency: %s is outside 0..1m", *latency)
	}
	if *population < 1 || *population > 5_000_000 {
		return fmt.Errorf("--population: %d is outside 1..5000000", *population)
	}
	if *logFormat != "json" && *logFormat != "text" {
		return fmt.Errorf("--log-format: %q is not json or text", *logFormat)
	}
	var ks []string
	if *kommuner != "" {
		ks = strings.Split(*kommuner, ",")
	}
	logger := newLogger(e.stderr, *logFormat, "info")
	start := time.Now()
	reg, err := synth.Generate(synth.Config{Seed: *seed, N: *population, Kommuner: ks})
	if err != nil {
		return fmt.Errorf("--population/--kommunenummer: %w", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	srv := &http.Server{Handler: delayed(fregsim.NewHandler(reg, logger), *latency), ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	logger.Info("fregsim ready", "addr", ln.Addr().String(), "population", reg.Len(), "startup", time.Since(start).Round(time.Millisecond).String())
	fmt.Fprintf(e.stdout, "fregsim listening on http://%s%s\n", ln.Addr(), fregsim.Prefix)
	select {
	case err := <-serveErr:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
	}
	shutdownCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	return srv.Shutdown(shutdownCtx)
}

// delayed holds every answer back by d (not cancelled by the client going
// away: a real upstream would not notice either).
func delayed(h http.Handler, d time.Duration) http.Handler {
	if d <= 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(d)
		h.ServeHTTP(w, r)
	})
}
