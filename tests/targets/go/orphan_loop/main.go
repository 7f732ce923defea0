// orphan_loop (seed 003): two leaks from the same write-up.
//  1. A Writer starts a background goroutine that loops on its queue channel; once the Writer's
//     owner is gone nobody writes to the queue again, and the loop waits forever.
//  2. multiQuery starts two goroutines and returns early: one waits on a channel nothing writes,
//     the other sends a result nobody will receive.
//
// Leak sites, lines marked LEAK-SITE:
//
//	main.(*Writer).process  wait reason "chan receive"  (created by main.NewWriter)
//	main.multiQuery.func1   wait reason "chan receive"
//	main.multiQuery.func2   wait reason "chan send"
//
// One iteration (-rate per second) leaks three goroutines, one at each site.
package main

import (
	"flag"
	"fmt"
	"time"
)

var (
	writerSite = newLeakSite("main.(*Writer).process")
	recvSite   = newLeakSite("main.multiQuery.func1")
	sendSite   = newLeakSite("main.multiQuery.func2")
)

type Writer struct {
	queue chan []byte
}

func NewWriter() *Writer {
	w := &Writer{queue: make(chan []byte, 10)}
	go w.process()
	return w
}

func (w *Writer) Write(message []byte) {
	w.queue <- message
}

func (w *Writer) process() {
	writerSite.add(1)
	for {
		message := <-w.queue // LEAK-SITE main.(*Writer).process
		_ = message
	}
}

// test uses a Writer and drops it without stopping its goroutine.
//
//go:noinline
func test() {
	NewWriter().Write([]byte("hello"))
}

//go:noinline
func queryFromSrc(src string) (ret string) {
	time.Sleep(1000)
	return "query done"
}

//go:noinline
func multiQuery() (ret string) {
	res := make(chan string)
	go func() {
		temp := make(chan int)
		recvSite.add(1)
		num := <-temp // LEAK-SITE main.multiQuery.func1
		fmt.Printf("get num %d\n", num)
	}()
	go func() {
		r := queryFromSrc("ns2.dnsserver.com")
		sendSite.add(1)
		res <- r // LEAK-SITE main.multiQuery.func2
	}()
	return "hello" // returns before receiving from res
}

func main() {
	flag.Parse()
	go paceLeaks(3, func() {
		test()
		multiQuery()
	})
	serveTruth()
}
