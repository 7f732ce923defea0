// no_receiver (seed 001, 2.1.2): a sender sends twice on an unbuffered channel, its consumer
// receives once and returns; the second send blocks forever.
//
// Leak site: main.send, the line marked LEAK-SITE (the second send), wait reason "chan send",
// created by main.main.func1. One iteration (-rate per second) leaks one goroutine.
package main

import "flag"

var sendSite = newLeakSite("main.send")

func send(ch chan<- int) {
	ch <- 1
	sendSite.add(1) // the only receive is spent
	ch <- 2         // LEAK-SITE main.send
}

func receive(ch <-chan int) {
	<-ch
}

func main() {
	flag.Parse()
	go paceLeaks(1, func() {
		ch := make(chan int)
		go send(ch)
		go receive(ch)
	})
	serveTruth()
}
