// many_blocked: -n goroutines (default 10000) blocked in "chan receive" at main.blocked, all set
// up before "ready" is printed, then nothing changes. For the test that attaches to a process
// that already holds many blocked goroutines: they must all be counted in the first report.
//
// After they are all parked, a garbage collection is forced: the runtime stamps g.waitsince of
// every goroutine already waiting at the start of a GC cycle, as it would have happened long ago
// in a process that leaked for days. Leak site: main.blocked, the line marked LEAK-SITE.
package main

import (
	"flag"
	"runtime"
	"time"
)

var (
	nFlag       = flag.Int("n", 10000, "number of blocked goroutines")
	blockedSite = newLeakSite("main.blocked")
)

func blocked(ch <-chan int) {
	blockedSite.add(1)
	<-ch // LEAK-SITE main.blocked
}

func main() {
	flag.Parse()
	ch := make(chan int)
	for i := 0; i < *nFlag; i++ {
		go blocked(ch)
	}
	for blockedSite.n.Load() < int64(*nFlag) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // from counted to parked
	runtime.GC()
	serveTruth()
}
