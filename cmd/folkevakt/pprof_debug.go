//go:build pprof

package main

// Built only with -tags pprof: serves net/http/pprof on $FOLKEVAKT_PPROF for
// profiling under load (docs/performance.md).

import (
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	if addr := os.Getenv("FOLKEVAKT_PPROF"); addr != "" && len(os.Args) > 1 && os.Args[1] == "serve" {
		go func() { _ = http.ListenAndServe(addr, nil) }()
	}
}
