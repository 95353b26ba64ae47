package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// env is what every command gets: streams and the environment lookup, so
// that tests run commands in-process without touching the real ones.
type env struct {
	stdout, stderr io.Writer
	lookup         func(string) (string, bool)
}

type command struct {
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

// commands is the table of subcommands; files register theirs in init.
var commands = map[string]command{}

// Exit codes, one convention for every command: 0 for success and for help
// asked for (help, -h, --help; printed to stdout), 1 when the work failed,
// 2 for a usage error (unknown command or flag, missing or unexpected
// argument; explained on stderr).
var (
	// errUsage marks usage errors already explained to the user.
	errUsage = errors.New("usage")
	// errHelp marks help that was asked for and printed.
	errHelp = errors.New("help")
)

func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookup func(string) (string, bool)) int {
	e := env{stdout: stdout, stderr: stderr, lookup: lookup}
	if len(args) == 0 {
		printHelp(stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 { // folkevakt help <command>
			return run(ctx, []string{args[1], "--help"}, stdout, stderr, lookup)
		}
		printHelp(stdout)
		return 0
	case "--version", "-version":
		name = "version"
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "folkevakt: unknown command %q (see 'folkevakt help')\n", name)
		return 2
	}
	err := cmd.run(ctx, e, args[1:])
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	fmt.Fprintf(stderr, "folkevakt %s: %v\n", name, err)
	return 1
}

// wantsHelp reports whether a command's only argument asks for its help.
func wantsHelp(args []string) bool {
	return len(args) == 1 && (args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help")
}

// usageError explains a usage error on stderr and returns errUsage.
func usageError(e env, command, format string, args ...any) error {
	fmt.Fprintf(e.stderr, "folkevakt %s: %s\n", command, fmt.Sprintf(format, args...))
	return errUsage
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "folkevakt — policy-enforcing gateway to Folkeregisteret for municipalities")
	fmt.Fprintln(w, "\nUsage: folkevakt <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-14s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nEvery flag of serve can also be set as FOLKEVAKT_<FLAG> (upper snake case).")
	fmt.Fprintln(w, "Run 'folkevakt help <command>' or 'folkevakt <command> -h' for a command's flags.")
	fmt.Fprintln(w, "Exit status: 0 success or help, 1 failure, 2 usage error.")
}

// newFlagSet returns a flag set whose usage names the command.
func newFlagSet(e env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("folkevakt "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: %s [flags]\n\nFlags:\n", fs.Name())
		fs.PrintDefaults()
	}
	return fs
}

// parseArgs parses args: -h prints the flags to stdout (errHelp); a bad
// flag or a stray argument is explained on stderr (errUsage).
func parseArgs(fs *flag.FlagSet, e env, args []string) error {
	var buf bytes.Buffer
	fs.SetOutput(&buf)
	err := fs.Parse(args)
	fs.SetOutput(e.stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		_, _ = e.stdout.Write(buf.Bytes())
		return errHelp
	case err != nil:
		_, _ = e.stderr.Write(buf.Bytes())
		return errUsage
	case fs.NArg() > 0:
		fmt.Fprintf(e.stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return errUsage
	}
	return nil
}

// parseFlags parses args, then fills every flag not given on the command line
// from FOLKEVAKT_<FLAG>. A bad value in either place is reported with the
// setting named.
func parseFlags(fs *flag.FlagSet, e env, args []string) error {
	if err := parseArgs(fs, e, args); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		name := envName(f.Name)
		if v, ok := e.lookup(name); ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: invalid value %q: %v", name, v, err))
			}
		}
	})
	return errors.Join(errs...)
}

// envName maps a flag name to its environment variable.
func envName(flagName string) string {
	return "FOLKEVAKT_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}
