// Ground truth shared by every Go test target of blockwatch. Each target directory holds a
// symlink truth.go -> ../common/truth.go, so every program stays a single stdlib-only module.
//
// Protocol (what tests/integration/golib.sh parses):
//   - one line "ready" once the target is set up;
//   - then every 200 ms one line
//     goroutines N leaked M [FUNC=K ...]
//     N is runtime.NumGoroutine(), M the number of goroutines the target itself knows it has
//     leaked, and FUNC=K the share of each leak site: FUNC is the Go function that blocks, named
//     as the runtime names it (main.handle.func1), the same name the "// LEAK-SITE FUNC" marker
//     carries on the blocking line in main.go.
//
// Flags common to the leaking targets: -rate (iterations per second; each target documents how
// many goroutines one iteration leaks) and -max (stop after that many leaked goroutines, so a
// test can measure a count that no longer moves).
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"time"
)

var (
	rateFlag = flag.Float64("rate", 5, "leak iterations per second")
	maxFlag  = flag.Int("max", 0, "stop after this many leaked goroutines (0: never stop)")
)

// leakSite counts the goroutines a target has left blocked at one marked line.
type leakSite struct {
	fn string
	n  atomic.Int64
}

var leakSites []*leakSite

// newLeakSite registers a counter; call it from package-level var initializers only.
func newLeakSite(fn string) *leakSite {
	s := &leakSite{fn: fn}
	leakSites = append(leakSites, s)
	return s
}

func (s *leakSite) add(d int64) { s.n.Add(d) }

func truthLine() string {
	var b strings.Builder
	var total int64
	for _, s := range leakSites {
		total += s.n.Load()
	}
	fmt.Fprintf(&b, "goroutines %d leaked %d", runtime.NumGoroutine(), total)
	for _, s := range leakSites {
		fmt.Fprintf(&b, " %s=%d", s.fn, s.n.Load())
	}
	return b.String()
}

// serveTruth prints "ready", then the ground truth every 200 ms, forever. os.Stdout is not
// buffered in Go: every line reaches the pipe when it is printed.
func serveTruth() {
	fmt.Fprintln(os.Stdout, "ready")
	t := time.NewTicker(200 * time.Millisecond)
	for range t.C {
		fmt.Fprintln(os.Stdout, truthLine())
	}
}

// paceLeaks calls iter -rate times a second; each call leaks perIter goroutines. It returns once
// -max goroutines have been leaked (never when -max is 0). A -rate of 0 or less leaks nothing.
func paceLeaks(perIter int, iter func()) {
	if *rateFlag <= 0 {
		return
	}
	t := time.NewTicker(time.Duration(float64(time.Second) / *rateFlag))
	defer t.Stop()
	for started := 0; *maxFlag == 0 || started < *maxFlag; started += perIter {
		iter()
		<-t.C
	}
}
