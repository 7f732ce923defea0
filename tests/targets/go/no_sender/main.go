// no_sender (seeds 001 2.1.3, 003): a goroutine receives from a channel that nothing will ever
// write to (nor close); it blocks forever.
//
// Leak site: main.receive, the line marked LEAK-SITE, wait reason "chan receive".
// One iteration (-rate per second) leaks one goroutine.
package main

import "flag"

var recvSite = newLeakSite("main.receive")

func receive(ch <-chan int) {
	recvSite.add(1)
	<-ch // LEAK-SITE main.receive
}

func main() {
	flag.Parse()
	go paceLeaks(1, func() {
		ch := make(chan int) // no writer is ever given this channel
		go receive(ch)
	})
	serveTruth()
}
