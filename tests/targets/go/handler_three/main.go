// handler_three (seed 004): an HTTP handler starts three goroutines to query three sources and
// receives only two results; the third sender blocks forever. Which of the three is left behind
// varies per request (the seed's profile showed 948/45/7), so the handler counts which result
// it did not receive. The server listens on 127.0.0.1 (random port); a load loop in this same
// program requests /query -rate times a second (each request in its own goroutine).
//
// Leak sites, lines marked LEAK-SITE, all wait reason "chan send", created by main.query:
//
//	main.query.func1  main.query.func2  main.query.func3
//
// One request leaks one goroutine at one of them. The address is written to stderr as
// "listening on ADDR" so that curl can load the server too (-rate 0 turns the load loop off).
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
)

var sites = [3]*leakSite{
	newLeakSite("main.query.func1"),
	newLeakSite("main.query.func2"),
	newLeakSite("main.query.func3"),
}

func query(w http.ResponseWriter, r *http.Request) {
	c := make(chan byte)

	go func() {
		c <- 0x31 // LEAK-SITE main.query.func1
	}()
	go func() {
		c <- 0x32 // LEAK-SITE main.query.func2
	}()
	go func() {
		c <- 0x33 // LEAK-SITE main.query.func3
	}()

	rs := make([]byte, 0)
	for i := 0; i < 2; i++ {
		rs = append(rs, <-c)
	}
	// The ground truth: the result not received names the goroutine left blocked.
	sites[0x31+0x32+0x33-int(rs[0])-int(rs[1])-0x31].add(1)

	w.Write(rs)
}

func load(client *http.Client, url string) {
	resp, err := client.Get(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "get:", err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func main() {
	flag.Parse()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "listening on", ln.Addr())
	mux := http.NewServeMux()
	mux.HandleFunc("/query", query)
	go http.Serve(ln, mux)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	url := "http://" + ln.Addr().String() + "/query"
	go paceLeaks(1, func() { go load(client, url) })
	serveTruth()
}
