// ticker (control, must NOT be flagged): periodic goroutines that wake up and go back to sleep
// forever: tickers of several periods ("chan receive" at main.tick), a sleep loop ("sleep" at
// main.sleeper) and a select on time.After ("select" at main.poller). Constant counts.
package main

import (
	"flag"
	"time"
)

func tick(period time.Duration) {
	t := time.NewTicker(period)
	for range t.C {
	}
}

func sleeper() {
	for {
		time.Sleep(300 * time.Millisecond)
	}
}

func poller(quit <-chan struct{}) {
	for {
		select {
		case <-quit:
			return
		case <-time.After(700 * time.Millisecond):
		}
	}
}

func main() {
	flag.Parse()
	for _, p := range []time.Duration{100, 250, 1000, 2000} {
		go tick(p * time.Millisecond)
		go tick(p * time.Millisecond)
	}
	go sleeper()
	go poller(make(chan struct{}))
	serveTruth()
}
