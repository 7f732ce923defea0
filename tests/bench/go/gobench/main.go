// gobench: Go microbenchmarks that block a lot, for blockwatch's `make bench`.
//
//	gobench -bench chan|mutex|select|wg|spawn
//
// It prints "pprof ADDR" (net/http/pprof is always served, so that the pprof peer differs from
// the other runs only by the pulls) and "ready", then reads commands on stdin:
//
//	run SECS          run the benchmark for SECS seconds
//	trace SECS PATH   the same with Go's execution tracer on, writing to PATH
//
// and answers each with one line "result BENCH NS_PER_OP OPS". The process stays alive between
// runs, so that a tool can be attached to it, measured, and detached again: every mode of a
// repetition is measured in the same process, with the same probe offsets.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"runtime/trace"
	"strconv"
	"strings"
	"sync"
	"time"
)

var benchFlag = flag.String("bench", "chan", "chan, mutex, select, wg or spawn")

// A benchmark runs ops until the deadline and returns how many it did.
type benchFunc func(deadline time.Time) int64

// The clock is read once per batch: a time.Now() per op would be a large part of the op.
const batch = 256

// chan: an unbuffered ping-pong; one op is a round trip (two channel handoffs).
func newChan() benchFunc {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v
		}
	}()
	return func(deadline time.Time) int64 {
		var n int64
		for time.Now().Before(deadline) {
			for i := 0; i < batch; i++ {
				ping <- i
				<-pong
			}
			n += batch
		}
		return n
	}
}

// mutex: 8 goroutines take one sync.Mutex in turn, and the holder yields inside the critical
// section (as one that does I/O under a lock would), so the next goroutine finds the lock held
// and parks in semacquire. It runs on one P: with two, waiters win by spinning and barely park
// (measured: 1 park in 13,000 ops with a 64-add critical section, 1 in 25 with the yield).
// One op is one Lock/Unlock, with one park and one ready.
func newMutex() benchFunc {
	var mu sync.Mutex
	var shared [8]int64
	const workers = 8
	const holdIters = 64
	return func(deadline time.Time) int64 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
		var wg sync.WaitGroup
		var total int64
		var tmu sync.Mutex
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var n int64
				for time.Now().Before(deadline) {
					for i := 0; i < batch; i++ {
						mu.Lock()
						for k := 0; k < holdIters; k++ {
							shared[k&7] += int64(i)
						}
						runtime.Gosched()
						mu.Unlock()
					}
					n += batch
				}
				tmu.Lock()
				total += n
				tmu.Unlock()
			}()
		}
		wg.Wait()
		return total
	}
}

// select: 4 producers each send on their own unbuffered channel, one consumer selects over
// the 4; one op is one message received.
func newSelect() benchFunc {
	const producers = 4
	var chans [producers]chan int
	for i := range chans {
		chans[i] = make(chan int)
	}
	for i := range chans {
		go func(c chan int) {
			for {
				c <- 1 // between runs, parked here
			}
		}(chans[i])
	}
	return func(deadline time.Time) int64 {
		var n int64
		for time.Now().Before(deadline) {
			for i := 0; i < batch; i++ {
				select {
				case <-chans[0]:
				case <-chans[1]:
				case <-chans[2]:
				case <-chans[3]:
				}
			}
			n += batch
		}
		return n
	}
}

// wg: WaitGroup churn; one op is Add(2), two persistent workers woken over channels each
// call Done, and Wait.
func newWaitGroup() benchFunc {
	const workers = 2
	var wg sync.WaitGroup
	var kicks [workers]chan struct{}
	for i := range kicks {
		kicks[i] = make(chan struct{})
		go func(k chan struct{}) {
			for range k {
				wg.Done()
			}
		}(kicks[i])
	}
	return func(deadline time.Time) int64 {
		var n int64
		for time.Now().Before(deadline) {
			for i := 0; i < batch; i++ {
				wg.Add(workers)
				for _, k := range kicks {
					k <- struct{}{}
				}
				wg.Wait()
			}
			n += batch
		}
		return n
	}
}

// spawn: goroutines started in batches of 100, each exits at once; one op is one goroutine
// created and exited (and the Wait for its batch).
func newSpawn() benchFunc {
	const per = 100
	return func(deadline time.Time) int64 {
		var n int64
		var wg sync.WaitGroup
		for time.Now().Before(deadline) {
			wg.Add(per)
			for i := 0; i < per; i++ {
				go wg.Done()
			}
			wg.Wait()
			n += per
		}
		return n
	}
}

func servePprof() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "failed to listen:", err)
		os.Exit(1)
	}
	go http.Serve(ln, nil)
	return ln.Addr().String()
}

func measure(fn benchFunc, secs float64) (float64, int64) {
	start := time.Now()
	ops := fn(start.Add(time.Duration(secs * float64(time.Second))))
	el := time.Since(start)
	if ops == 0 {
		return 0, 0
	}
	return float64(el.Nanoseconds()) / float64(ops), ops
}

func runCommand(fn benchFunc, fields []string) error {
	if len(fields) < 2 {
		return fmt.Errorf("usage: run SECS | trace SECS PATH")
	}
	secs, err := strconv.ParseFloat(fields[1], 64)
	if err != nil || secs <= 0 {
		return fmt.Errorf("invalid seconds '%s'", fields[1])
	}
	if fields[0] == "trace" {
		if len(fields) < 3 {
			return fmt.Errorf("usage: trace SECS PATH")
		}
		f, err := os.Create(fields[2])
		if err != nil {
			return err
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			return err
		}
		defer trace.Stop()
	}
	ns, ops := measure(fn, secs)
	fmt.Printf("result %s %.1f %d\n", *benchFlag, ns, ops)
	return nil
}

func main() {
	flag.Parse()
	benches := map[string]func() benchFunc{
		"chan": newChan, "mutex": newMutex, "select": newSelect,
		"wg": newWaitGroup, "spawn": newSpawn,
	}
	mk, ok := benches[*benchFlag]
	if !ok {
		fmt.Fprintln(os.Stderr, "unknown benchmark:", *benchFlag)
		os.Exit(2)
	}
	fn := mk()
	fmt.Println("pprof", servePprof())
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		fields := strings.Fields(in.Text())
		if len(fields) == 0 {
			continue
		}
		switch fields[0] {
		case "run", "trace":
			if err := runCommand(fn, fields); err != nil {
				fmt.Println("error", err)
			}
		case "quit":
			return
		default:
			fmt.Println("error unknown command", fields[0])
		}
	}
}
