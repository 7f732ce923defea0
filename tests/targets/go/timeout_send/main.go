// timeout_send (seed 000): a handler starts a goroutine that does slow work and then sends its
// result on an UNBUFFERED channel; the handler returns first, on its context timeout, so nobody
// ever receives and the goroutine blocks on the send forever.
//
// Leak site: main.handle.func1, the line marked LEAK-SITE, wait reason "chan send",
// created by main.handle. One iteration (-rate per second, default 5) leaks one goroutine.
package main

import (
	"context"
	"flag"
	"time"
)

var (
	timeoutFlag = flag.Duration("timeout", 20*time.Millisecond, "handler timeout")
	sendSite    = newLeakSite("main.handle.func1")
)

// run stands for the seed's t.run: work whose duration nobody bounded, longer than the timeout.
//
//go:noinline
func run(ctx context.Context) {
	time.Sleep(2 * *timeoutFlag)
}

// handle is the seed's UdpTransport.Handle.
func handle(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, *timeoutFlag)
	defer cancel()

	ch := make(chan struct{}) // the bug: unbuffered (the fix is a buffer of 1)
	returned := make(chan struct{})
	defer close(returned)
	go func() {
		run(ctx)
		// the handler gave up on its timeout; waiting for it to be gone keeps the
		// ground truth exact even when a loaded machine delays the timer
		<-returned
		sendSite.add(1)  // the handler has returned: this send can never complete
		ch <- struct{}{} // LEAK-SITE main.handle.func1
	}()

	select {
	case <-ch:
	case <-ctx.Done():
		return
	}
}

func main() {
	flag.Parse()
	go paceLeaks(1, func() { go handle(context.Background()) })
	serveTruth()
}
