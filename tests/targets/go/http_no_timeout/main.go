// http_no_timeout (seed 001, 2.3): goroutines call http.Get, whose default client has no
// timeout, against a server that accepts connections and never answers; they wait forever.
// The server is a raw TCP listener on 127.0.0.1 (random port) in this same process.
//
// Leak site: main.fetch, the line marked LEAK-SITE. The calling goroutine waits in "select"
// inside net/http.(*persistConn).roundTrip; each request also leaves the transport's read loop
// (net/http.(*persistConn).readLoop) in "IO wait" on the socket and its write loop in "select".
// One iteration (-rate per second) leaks one fetch goroutine (and one connection: keep -max
// under the open-files limit).
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
)

var fetchSite = newLeakSite("main.fetch")

// silentServer accepts connections and keeps them open without reading or answering.
func silentServer(ln net.Listener) {
	var mu sync.Mutex
	var conns []net.Conn
	for {
		c, err := ln.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "accept:", err)
			return
		}
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	}
}

func fetch(url string) {
	fetchSite.add(1)
	resp, err := http.Get(url) // LEAK-SITE main.fetch
	fetchSite.add(-1)
	if err != nil {
		fmt.Fprintln(os.Stderr, "http.Get:", err)
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
	go silentServer(ln)
	url := "http://" + ln.Addr().String() + "/"
	go paceLeaks(1, func() { go fetch(url) })
	serveTruth()
}
