package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/vigia-sei/vigia/config"
)

func validateCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, "Usage: vigia validate FILE...") }
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	code := 0
	for _, file := range fs.Args() {
		cfg, err := config.Load(file)
		var cerr *config.Error
		switch {
		case errors.As(err, &cerr):
			for _, p := range cerr.Problems {
				fmt.Fprintln(stdout, p.String())
			}
			fmt.Fprintf(stdout, "%s: %d problem(s)\n", file, len(cerr.Problems))
			code = 1
		case err != nil:
			fmt.Fprintf(stdout, "%s: %v\n", file, err)
			code = 1
		default:
			fmt.Fprintf(stdout, "%s: ok (%d instances, %d rules, %d receivers)\n", file,
				len(cfg.Fleet.Instances), len(cfg.Rules), len(cfg.Receivers))
		}
	}
	return code
}
