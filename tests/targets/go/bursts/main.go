// bursts (control, must NOT be flagged): a sawtooth. During each -period, -waiters goroutines
// (default 50) arrive one by one and block in "chan receive" at main.waiter on the period's gate;
// at the end of the period the gate is closed and all of them leave. The count rises for a whole
// period, then falls to zero: growth that is always paid back.
package main

import (
	"flag"
	"time"
)

var (
	waitersFlag = flag.Int("waiters", 50, "waiters per period")
	periodFlag  = flag.Duration("period", 3*time.Second, "time between two releases")
)

func waiter(gate <-chan struct{}) {
	<-gate
}

func main() {
	flag.Parse()
	go func() {
		step := *periodFlag / time.Duration(*waitersFlag)
		for {
			gate := make(chan struct{})
			for i := 0; i < *waitersFlag; i++ {
				go waiter(gate)
				time.Sleep(step)
			}
			close(gate)
		}
	}()
	serveTruth()
}
