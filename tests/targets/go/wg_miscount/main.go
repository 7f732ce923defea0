// wg_miscount (seed 001, 2.2.2): WaitGroup.Add counts more workers than are started, so Wait
// blocks forever.
//
// Leak site: main.waitAll, the line marked LEAK-SITE, wait reason on Go 1.19: "semacquire"
// (sync.(*WaitGroup).Wait parks in sync.runtime_Semacquire with waitReasonSemacquire).
// One iteration (-rate per second) leaks one goroutine.
package main

import (
	"flag"
	"sync"
)

var waitSite = newLeakSite("main.waitAll")

func waitAll() {
	var wg sync.WaitGroup
	wg.Add(2) // the bug: one worker only
	go func() {
		defer wg.Done()
	}()
	waitSite.add(1)
	wg.Wait() // LEAK-SITE main.waitAll
}

func main() {
	flag.Parse()
	go paceLeaks(1, func() { go waitAll() })
	serveTruth()
}
