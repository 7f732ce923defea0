// warmup (control, must NOT be flagged at the end): a worker pool that grows for -grow (default
// 20 s) up to -workers (default 50) workers, then stays flat. Idle workers wait in
// "chan receive" at main.worker; a feeder hands out a job every 250 ms. The count rises steadily
// during warm-up, like a leak, then never again: a verdict raised during warm-up must be withdrawn.
package main

import (
	"flag"
	"time"
)

var (
	workersFlag = flag.Int("workers", 50, "final pool size")
	growFlag    = flag.Duration("grow", 20*time.Second, "warm-up duration")
)

func worker(jobs <-chan func()) {
	for job := range jobs {
		job()
	}
}

func main() {
	flag.Parse()
	jobs := make(chan func())
	go func() {
		step := *growFlag / time.Duration(*workersFlag)
		for i := 0; i < *workersFlag; i++ {
			go worker(jobs)
			time.Sleep(step)
		}
	}()
	go func() {
		for range time.Tick(250 * time.Millisecond) {
			jobs <- func() { time.Sleep(10 * time.Millisecond) }
		}
	}()
	serveTruth()
}
