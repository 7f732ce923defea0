// httpserver: a small net/http service for blockwatch's `make bench`, loaded by wrk.
//
//	httpserver -addr 127.0.0.1:PORT -pprof 127.0.0.1:PORT
//
// GET /item?id=N answers a JSON document built from a shared, mutex-protected store, the
// common shape of a handler: parse, look up under a lock, encode. net/http/pprof is served on
// its own listener (the goroutine-profile peer pulls it, the trace peer uses
// /debug/pprof/trace), so the load never goes through the pprof mux. Prints
// "ready APP_ADDR PPROF_ADDR" once both listen (port 0, the default, picks free ports).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"strconv"
	"sync"
)

type item struct {
	ID    int      `json:"id"`
	Name  string   `json:"name"`
	Hits  int64    `json:"hits"`
	Tags  []string `json:"tags"`
	Price float64  `json:"price"`
}

type store struct {
	mu    sync.Mutex
	items map[int]*item
}

func newStore(n int) *store {
	s := &store{items: make(map[int]*item, n)}
	for i := 0; i < n; i++ {
		s.items[i] = &item{ID: i, Name: fmt.Sprintf("item-%d", i), Tags: []string{"a", "b"},
			Price: float64(i) * 1.25}
	}
	return s
}

func (s *store) get(id int) item {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.items[id%len(s.items)]
	it.Hits++
	return *it
}

// serve listens before it returns ("ready" means both ports accept connections) and returns
// the address it listens on (port 0 picks a free one).
func serve(addr string, h http.Handler, errs chan<- error) string {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "failed to listen:", err)
		os.Exit(1)
	}
	go func() { errs <- http.Serve(ln, h) }()
	return ln.Addr().String()
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "service address")
	pprofAddr := flag.String("pprof", "127.0.0.1:0", "pprof address")
	flag.Parse()
	st := newStore(1024)
	mux := http.NewServeMux()
	mux.HandleFunc("/item", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.Atoi(r.URL.Query().Get("id"))
		it := st.get(id)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(&it)
	})
	errs := make(chan error, 2)
	pp := serve(*pprofAddr, nil, errs)
	app := serve(*addr, mux, errs)
	fmt.Println("ready", app, pp)
	fmt.Fprintln(os.Stderr, "failed to serve:", <-errs)
	os.Exit(1)
}
