package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/vigia-sei/vigia/dashboards/internal/gen"
)

func main() {
	dir := flag.String("dir", ".", "the dashboards directory")
	flag.Parse()
	files, err := gen.Files(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "dashboards: generate:", err)
		os.Exit(1)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(*dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "dashboards: generate:", err)
			os.Exit(1)
		}
		if err := os.WriteFile(p, files[n], 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "dashboards: generate:", err)
			os.Exit(1)
		}
		fmt.Println("wrote", p)
	}
}
