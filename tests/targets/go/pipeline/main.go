// pipeline (seed 002): a cron job, on every tick, starts a 3-stage goroutine pipeline over two
// channels that are never closed. Stage 1 sends one item and exits; stages 2 and 3 `range` over
// their input forever, so every tick leaves one more of each.
//
// Leak sites, lines marked LEAK-SITE, both wait reason "chan receive":
//
//	main.(*Cron).step2.func1  stage 2, ranging over ch1
//	main.(*Cron).step3.func1  stage 3, ranging over ch2
//
// One tick (-rate per second) leaks two goroutines, one at each site.
package main

import (
	"flag"
	"time"
)

var (
	stage2Site = newLeakSite("main.(*Cron).step2.func1")
	stage3Site = newLeakSite("main.(*Cron).step3.func1")
)

type Cron struct {
	taskDuration time.Duration
	ch1          chan []int
	ch2          chan []int
}

func (cron *Cron) start() {
	timer := time.NewTicker(cron.taskDuration)
	for ticks := 0; *maxFlag == 0 || 2*ticks < *maxFlag; ticks++ {
		<-timer.C
		cron.doCron()
	}
	timer.Stop()
}

func (cron *Cron) doCron() {
	cron.step1()
	cron.step2()
	cron.step3()
}

func (cron *Cron) step1() {
	go func() {
		cron.ch1 <- []int{100} // not closed after: stage 2 never ends
	}()
}

func (cron *Cron) step2() {
	go func() {
		stage2Site.add(1)
		for item := range cron.ch1 { // LEAK-SITE main.(*Cron).step2.func1
			_ = item
			cron.ch2 <- []int{200} // not closed after: stage 3 never ends
		}
	}()
}

func (cron *Cron) step3() {
	go func() {
		stage3Site.add(1)
		for item := range cron.ch2 { // LEAK-SITE main.(*Cron).step3.func1
			_ = item
		}
	}()
}

func main() {
	flag.Parse()
	if *rateFlag <= 0 {
		*maxFlag, *rateFlag = -1, 1 // no leak at all: start() returns at once
	}
	cron := &Cron{
		taskDuration: time.Duration(float64(time.Second) / *rateFlag),
		ch1:          make(chan []int),
		ch2:          make(chan []int),
	}
	go cron.start()
	serveTruth()
}
