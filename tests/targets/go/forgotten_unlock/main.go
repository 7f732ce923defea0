// forgotten_unlock (seed 001, 2.2.1): goroutines lock a mutex to bump a counter and forget to
// unlock it. The first one gets the lock and exits holding it; every later one blocks forever.
//
// Leak site: main.bump, the line marked LEAK-SITE (sync.(*Mutex).Lock is inlined there, so the
// frame of main.bump is reached through the inlined Lock). Wait reason on Go 1.19: "semacquire"
// (Go 1.19 parks in sync.runtime_SemacquireMutex with waitReasonSemacquire).
// One iteration (-rate per second) leaks one goroutine; the first bump, made before, does not.
package main

import (
	"flag"
	"sync"
)

var (
	lockSite = newLeakSite("main.bump")
	mutex    sync.Mutex
	counter  int
)

func bump() {
	lockSite.add(1)
	mutex.Lock()     // LEAK-SITE main.bump
	lockSite.add(-1) // only the first bump gets here
	counter++
	// the bug: no mutex.Unlock()
}

func main() {
	flag.Parse()
	bump() // the first goroutine of the seed: takes the lock and never gives it back
	go paceLeaks(1, func() { go bump() })
	serveTruth()
}
