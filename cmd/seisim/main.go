// Command seisim serves a simulated fleet of SEI installations (see internal/seisim) so vigia can
// be tried, tested and benchmarked without real SEI.
//
//	seisim --generate 100 --seed 1 --listen 127.0.0.1:8480 --print-targets targets.yaml
//	seisim --fleet internal/seisim/testdata/fleet-demo.yaml --ports 20000 --tls
//
// Instances are reachable at http://LISTEN/<name>/sei/ (path prefix), at http://<name>.<any>/sei/
// through LISTEN (Host header), and with --ports BASE at http://127.0.0.1:BASE+i/sei/. With
// --hosts N the shared listener also answers on 127.0.1.1 … and --print-targets spreads the fleet
// over those addresses (vigia-bench uses it: a real fleet is many hosts, not one address and port).
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/vigia-sei/vigia/internal/seisim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "seisim:", err)
		stop()
		os.Exit(1)
	}
}

type config struct {
	fleet, listen, printTargets string
	pprofListen                 string
	generate, ports, hosts      int
	seed                        int64
	tls                         bool
	authDelay                   time.Duration
}

// run serves until ctx ends.
func run(ctx context.Context, args []string) error {
	var c config
	fs := flag.NewFlagSet("seisim", flag.ContinueOnError)
	fs.StringVar(&c.fleet, "fleet", "", "fleet YAML file")
	fs.IntVar(&c.generate, "generate", 0, "generate a fleet of N instances instead of --fleet")
	fs.Int64Var(&c.seed, "seed", 1, "seed for --generate")
	fs.StringVar(&c.listen, "listen", "127.0.0.1:8480", "shared listener (path-prefix and Host routing)")
	fs.IntVar(&c.ports, "ports", 0, "also give instance i its own listener on 127.0.0.1:PORTS+i")
	fs.IntVar(&c.hosts, "hosts", 0, "also serve the shared listener's port on N more loopback addresses (127.0.1.1, 127.0.1.2, ...) and spread --print-targets over them, so a load test reaches many hosts as in production rather than one address and port")
	fs.BoolVar(&c.tls, "tls", false, "serve HTTPS with self-signed certificates (per instance with --ports, expiring per faults.tls_expires_in)")
	fs.DurationVar(&c.authDelay, "wssei-auth-delay", seisim.DefaultWSSEIAuthDelay, "sleep of mod-wssei POST /autenticar")
	fs.StringVar(&c.printTargets, "print-targets", "", "write a vigia targets YAML for the fleet to FILE and continue")
	fs.StringVar(&c.pprofListen, "debug.pprof-listen", "", "serve Go profiles at http://ADDR/debug/pprof/ (benchmarks profile seisim with it)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fleet, err := loadFleet(c)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	sim := seisim.New(fleet, seisim.Options{WSSEIAuthDelay: c.authDelay})

	if c.printTargets != "" {
		if err := writeTargets(c, fleet); err != nil {
			return err
		}
		log.Info("targets written", "file", c.printTargets, "instances", len(fleet.Instances))
	}

	var servers []*http.Server
	errc := make(chan error, 1)
	start := func(addr string, h http.Handler, cert *tls.Certificate) error {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", addr, err)
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
		if cert != nil {
			srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12}
			ln = tls.NewListener(ln, srv.TLSConfig)
		}
		servers = append(servers, srv)
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				select {
				case errc <- fmt.Errorf("serve %s: %w", addr, err):
				default:
				}
			}
		}()
		return nil
	}

	var shared *tls.Certificate
	if c.tls {
		host, _, _ := net.SplitHostPort(c.listen)
		names := []string{host, "localhost", "*.seisim.test"}
		for k := range c.hosts {
			names = append(names, spreadHost(k))
		}
		cert, err := seisim.SelfSignedCert(names, time.Now().Add(365*24*time.Hour))
		if err != nil {
			return err
		}
		shared = &cert
	}
	if err := start(c.listen, sim.Handler(), shared); err != nil {
		return err
	}
	if c.hosts > 0 {
		_, port, err := net.SplitHostPort(c.listen)
		if err != nil {
			return fmt.Errorf("--listen %s: %w", c.listen, err)
		}
		for k := range c.hosts {
			if err := start(net.JoinHostPort(spreadHost(k), port), sim.Handler(), shared); err != nil {
				return err
			}
		}
	}
	if c.pprofListen != "" {
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		if err := start(c.pprofListen, mux, nil); err != nil {
			return err
		}
	}
	if c.ports > 0 {
		for i, in := range fleet.Instances {
			h, err := sim.InstanceHandler(in.Name)
			if err != nil {
				return err
			}
			var cert *tls.Certificate
			if c.tls {
				cc, err := seisim.SelfSignedCert([]string{"127.0.0.1", "localhost"}, seisim.CertExpiry(in, time.Now()))
				if err != nil {
					return err
				}
				cert = &cc
			}
			if err := start("127.0.0.1:"+strconv.Itoa(c.ports+i), h, cert); err != nil {
				return err
			}
		}
	}
	log.Info("seisim serving", "instances", len(fleet.Instances), "listen", c.listen, "ports", c.ports, "tls", c.tls,
		"example", scheme(c)+"://"+c.listen+"/"+first(fleet)+"/sei/")

	select {
	case <-ctx.Done():
	case err := <-errc:
		shutdown(servers)
		return err
	}
	shutdown(servers)
	return nil
}

// spreadHost is the k-th extra loopback address of --hosts: 127.0.1.1, ..., 127.0.1.254, 127.0.2.1, ...
func spreadHost(k int) string {
	return fmt.Sprintf("127.0.%d.%d", 1+k/254, 1+k%254)
}

func shutdown(servers []*http.Server) {
	// Hung instances hold their requests until clients give up: give them a moment, then close.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, s := range servers {
		if err := s.Shutdown(ctx); err != nil {
			_ = s.Close()
		}
	}
}

func loadFleet(c config) (seisim.Fleet, error) {
	switch {
	case c.fleet != "" && c.generate > 0:
		return seisim.Fleet{}, errors.New("use either --fleet or --generate, not both")
	case c.fleet != "":
		return seisim.LoadFleet(c.fleet)
	case c.generate > 0:
		return seisim.Generate(c.generate, c.seed), nil
	}
	return seisim.Fleet{}, errors.New("no fleet: pass --fleet FILE or --generate N")
}

func writeTargets(c config, fleet seisim.Fleet) error {
	tf := fleet.Targets(func(i int, in seisim.Instance) string {
		if c.ports > 0 {
			return scheme(c) + "://127.0.0.1:" + strconv.Itoa(c.ports+i)
		}
		if c.hosts > 0 {
			_, port, _ := net.SplitHostPort(c.listen)
			return scheme(c) + "://" + net.JoinHostPort(spreadHost(i%c.hosts), port) + "/" + in.Name
		}
		return scheme(c) + "://" + c.listen + "/" + in.Name
	})
	// Written aside and renamed, so whoever waits for the file (vigia-bench, file_sd) never reads
	// half of it.
	tmp := c.printTargets + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("create targets file: %w", err)
	}
	if err := seisim.WriteTargets(f, tf); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write targets file %s: %w", c.printTargets, err)
	}
	if err := os.Rename(tmp, c.printTargets); err != nil {
		return fmt.Errorf("write targets file %s: %w", c.printTargets, err)
	}
	return nil
}

func scheme(c config) string {
	if c.tls {
		return "https"
	}
	return "http"
}

func first(f seisim.Fleet) string {
	if len(f.Instances) == 0 {
		return ""
	}
	return f.Instances[0].Name
}
