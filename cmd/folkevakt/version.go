package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func init() {
	commands["version"] = command{"print the version (also: folkevakt --version)", func(ctx context.Context, e env, args []string) error {
		if err := parseArgs(newFlagSet(e, "version"), e, args); err != nil {
			return err
		}
		rev := ""
		if info, ok := debug.ReadBuildInfo(); ok {
			for _, s := range info.Settings {
				if s.Key == "vcs.revision" {
					rev = " (" + s.Value + ")"
				}
			}
		}
		fmt.Fprintf(e.stdout, "folkevakt %s%s\n", version, rev)
		return nil
	}}
}
