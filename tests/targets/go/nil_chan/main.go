// nil_chan (seed 001, 2.1.1): a channel variable that was never made is nil; a send to it and a
// receive from it both block forever.
//
// Leak sites, lines marked LEAK-SITE:
//
//	main.send     wait reason "chan send (nil chan)"
//	main.receive  wait reason "chan receive (nil chan)"
//
// One iteration (-rate per second) leaks two goroutines, one at each site.
package main

import "flag"

var (
	sendSite = newLeakSite("main.send")
	recvSite = newLeakSite("main.receive")
)

func send(ch chan<- int) {
	sendSite.add(1)
	ch <- 1 // LEAK-SITE main.send
}

func receive(ch <-chan int) {
	recvSite.add(1)
	<-ch // LEAK-SITE main.receive
}

func main() {
	flag.Parse()
	go paceLeaks(2, func() {
		var ch chan int // the bug: should be make(chan int)
		go send(ch)
		go receive(ch)
	})
	serveTruth()
}
