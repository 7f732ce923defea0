// pool (control, must NOT be flagged): a fixed pool of workers ranging over a job channel. A
// feeder hands out a job every -every; between jobs the workers idle in "chan receive" at
// main.worker, a constant count that never grows.
package main

import (
	"flag"
	"time"
)

var (
	workersFlag = flag.Int("workers", 8, "pool size")
	everyFlag   = flag.Duration("every", 250*time.Millisecond, "time between two jobs")
)

func worker(jobs <-chan func()) {
	for job := range jobs {
		job()
	}
}

func main() {
	flag.Parse()
	jobs := make(chan func())
	for i := 0; i < *workersFlag; i++ {
		go worker(jobs)
	}
	go func() {
		for range time.Tick(*everyFlag) {
			jobs <- func() { time.Sleep(10 * time.Millisecond) }
		}
	}()
	serveTruth()
}
