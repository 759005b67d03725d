package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vigia-sei/vigia/config"
	"github.com/vigia-sei/vigia/internal/daemon"
	"github.com/vigia-sei/vigia/internal/procs"
)

func runCmd(args []string, _, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgFile := fs.String("config", "vigia.yaml", "config file")
	listen := fs.String("listen", "", "HTTP listen address (overrides server.listen)")
	shard := fs.String("shard", os.Getenv("VIGIA_SHARD"), "probe only shard i of n, as i/n (overrides global.shard; env VIGIA_SHARD)")
	pprofOn := fs.Bool("debug.pprof", false, "serve Go profiles at /debug/pprof/")
	shutdown := fs.Duration("shutdown-timeout", 15*time.Second, "how long SIGTERM waits for probes and shippers to drain")
	var lf logFlags
	lf.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log, err := lf.logger(stderr)
	if err != nil {
		fmt.Fprintln(stderr, "vigia:", err)
		return 2
	}
	d, err := daemon.New(daemon.Options{ConfigFile: *cfgFile, Listen: *listen, Shard: *shard,
		Version: version, Logger: log, ShutdownTimeout: *shutdown, Pprof: *pprofOn})
	if err != nil {
		var cerr *config.Error
		if errors.As(err, &cerr) {
			for _, p := range cerr.Problems {
				fmt.Fprintln(stderr, p.String())
			}
			fmt.Fprintf(stderr, "vigia: config %s has %d problem(s); not starting\n", *cfgFile, len(cerr.Problems))
			return 1
		}
		fmt.Fprintln(stderr, "vigia:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-hup:
				log.Info("SIGHUP: reloading config")
				_ = d.Reload(ctx) // a rejected config is logged by Reload; the old one keeps running
			case <-ctx.Done():
				return
			}
		}
	}()
	// GOMAXPROCS, when the operator sets it, is theirs; otherwise vigia runs on as few processors
	// as its load needs (package procs says why).
	if os.Getenv("GOMAXPROCS") == "" {
		go procs.New(procs.Options{Logger: log}).Run(ctx)
	}
	if err := d.Run(ctx); err != nil {
		log.Error("vigia stopped with an error", "err", err)
		return 1
	}
	return 0
}
