// A Go target under load for the safety and resilience tests: it works, checks its own work,
// and says so. Not a leaking target: it does not use the ground-truth protocol of truth.go.
//
//   - -pairs N goroutine pairs play channel ping-pong; each reply must be 2*v+1 of the value
//     sent, and each value the next of its sequence;
//   - an HTTP server on 127.0.0.1 answers /sum?n=K with 1+2+...+K, and -clients N goroutines
//     ask it in a loop and check every answer;
//   - -churn R: goroutines started at R per second, each blocking briefly on a channel and
//     exiting; the check: every goroutine started has ended by the end.
//
// Protocol: "ready port=P", then every 200 ms "ops pingpong=N http=N churn=N errors=N".
// On SIGTERM or SIGINT: "final pingpong=N http=N churn=N errors=N check ok" (exit 0), or
// "... check FAILED: why" (exit 3).
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var (
	pairs   = flag.Int("pairs", 2, "channel ping-pong pairs")
	clients = flag.Int("clients", 2, "HTTP client goroutines")
	churn   = flag.Float64("churn", 0, "short-lived goroutines started per second")

	pingpong, httpOps, churned, errs atomic.Int64
	firstErr                         atomic.Value
	stop                             = make(chan struct{})
)

func fail(format string, args ...any) {
	errs.Add(1)
	firstErr.CompareAndSwap(nil, fmt.Sprintf(format, args...))
}

// pingPong: one side sends a sequence, the other answers each value v with 2v+1.
func pingPong(wg *sync.WaitGroup) {
	defer wg.Done()
	ping, pong := make(chan int64), make(chan int64)
	go func() {
		var want int64
		for v := range ping {
			if v != want {
				fail("ping-pong: received %d, expected %d", v, want)
			}
			want = v + 1
			pong <- 2*v + 1
		}
		close(pong)
	}()
	for v := int64(0); ; v++ {
		select {
		case <-stop:
			close(ping)
			for range pong {
			}
			return
		case ping <- v:
		}
		if r := <-pong; r != 2*v+1 {
			fail("ping-pong: sent %d, got back %d", v, r)
		}
		pingpong.Add(1)
	}
}

func sumHandler(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
	if err != nil || n < 0 {
		http.Error(w, "bad n", http.StatusBadRequest)
		return
	}
	var s int64
	for i := int64(1); i <= n; i++ {
		s += i
	}
	fmt.Fprint(w, s)
}

func httpClient(wg *sync.WaitGroup, port int) {
	defer wg.Done()
	c := &http.Client{Timeout: 10 * time.Second}
	for k := int64(1); ; k = k%1000 + 1 {
		select {
		case <-stop:
			return
		default:
		}
		resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/sum?n=%d", port, k))
		if err != nil {
			fail("http: %v", err)
			continue
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || string(body) != strconv.FormatInt(k*(k+1)/2, 10) {
			fail("http: /sum?n=%d answered %d %q (%v)", k, resp.StatusCode, body, err)
			continue
		}
		httpOps.Add(1)
	}
}

// churner starts short-lived goroutines, each parked on a channel until a ticker releases it.
func churner(wg *sync.WaitGroup, rate float64) {
	defer wg.Done()
	var started, ended atomic.Int64
	release := make(chan struct{})
	var live sync.WaitGroup
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate * 100))
	defer tick.Stop()
	for {
		select {
		case <-stop:
			close(release)
			live.Wait()
			if started.Load() != ended.Load() {
				fail("churn: %d goroutines started, %d ended", started.Load(), ended.Load())
			}
			return
		case <-tick.C:
		}
		old := release
		release = make(chan struct{})
		for i := 0; i < 100; i++ {
			live.Add(1)
			started.Add(1)
			go func(ch chan struct{}) {
				defer live.Done()
				<-ch
				ended.Add(1)
				churned.Add(1)
			}(release)
		}
		close(old) // the previous batch ends
	}
}

func line() string {
	return fmt.Sprintf("pingpong=%d http=%d churn=%d errors=%d",
		pingpong.Load(), httpOps.Load(), churned.Load(), errs.Load())
}

func main() {
	flag.Parse()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/sum", sumHandler)
	go http.Serve(ln, mux)
	port := ln.Addr().(*net.TCPAddr).Port

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	var wg sync.WaitGroup
	for i := 0; i < *pairs; i++ {
		wg.Add(1)
		go pingPong(&wg)
	}
	for i := 0; i < *clients; i++ {
		wg.Add(1)
		go httpClient(&wg, port)
	}
	if *churn > 0 {
		wg.Add(1)
		go churner(&wg, *churn)
	}
	fmt.Printf("ready port=%d\n", port)
	t := time.NewTicker(200 * time.Millisecond)
	for running := true; running; {
		select {
		case <-sigs:
			running = false
		case <-t.C:
			fmt.Println("ops " + line())
		}
	}
	close(stop)
	wg.Wait()
	if e := firstErr.Load(); e != nil {
		fmt.Printf("final %s check FAILED: %s\n", line(), e)
		os.Exit(3)
	}
	fmt.Printf("final %s check ok\n", line())
}
