// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// demo_go: a small Go "service" with the two leaks Go services have. Each
// request (20 a second) starts a watcher goroutine that waits on a channel
// nobody ever closes (goroutines leak from main.(*server).handle), and
// caches its 64 KiB response in a map nothing ever evicts (heap kept alive
// by main.(*server).remember). It imports runtime/pprof, so the runtime
// samples its heap. It prints its own runtime.NumGoroutine() every second.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"
)

type server struct {
	cache map[int][]byte
	done  chan struct{}
}

//go:noinline
func (s *server) remember(id int) {
	s.cache[id] = make([]byte, 64<<10)
}

//go:noinline
func (s *server) handle(id int) {
	go func() {
		<-s.done // never closed: this goroutine never ends
	}()
	s.remember(id)
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-heap-profile" {
		// Referencing the heap profile keeps heap profiling on (the linker
		// turns it off in programs that never do).
		pprof.WriteHeapProfile(os.Stdout)
		return
	}
	s := &server{cache: map[int][]byte{}, done: make(chan struct{})}
	fmt.Printf("ready %d\n", os.Getpid())
	tick := time.NewTicker(50 * time.Millisecond)
	second := time.NewTicker(time.Second)
	for id := 0; ; id++ {
		select {
		case <-tick.C:
			s.handle(id)
		case <-second.C:
			fmt.Printf("NumGoroutine %d\n", runtime.NumGoroutine())
		}
	}
}
