// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// goheap_leak: the Go heap fixture of tools/goheap_check.sh. Leaks 1 KiB map
// values at 1000/s plus 4 KiB of garbage each; on SIGUSR1 runs runtime.GC(),
// writes its own heap profile to the file named by its first argument, prints
// "dumped", and allocates nothing for 3 s, so a reader from outside sees the
// same buckets the profile was written from.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"
)

var kept = map[int][]byte{}
var sink []byte

//go:noinline
func remember(i int) {
	kept[i] = make([]byte, 1024)
}

//go:noinline
func churn() {
	sink = make([]byte, 4096)
}

// With GOHEAP_LEAK_NOGC set (run it with GOGC=off), no GC ever runs: the
// program prints "paused" and waits 2 s first, for a reader to see the
// unpublished cycles MemProfile is about to fold (and fold for good).
func dump(path string) {
	if os.Getenv("GOHEAP_LEAK_NOGC") != "" {
		fmt.Println("paused")
		time.Sleep(2 * time.Second)
	} else {
		runtime.GC()
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	f.Close()
	fmt.Println("dumped")
	time.Sleep(3 * time.Second)
}

var spread [][]byte

// deep allocates size bytes depth frames down: one bucket per (depth, size).
//
//go:noinline
func deep(depth, size int) {
	if depth > 0 {
		deep(depth-1, size)
		return
	}
	b := make([]byte, size)
	if len(spread) < 100000 {
		spread = append(spread, b)
	}
}

func envInt(name string) int {
	v, _ := strconv.Atoi(os.Getenv(name))
	return v
}

// GOHEAP_LEAK_RATE sets MemProfileRate; GOHEAP_LEAK_STACKS=N adds 10
// allocations a tick from N stacks of sizes 1..8 KiB (keeping the first
// 100000): thousands of buckets.
func main() {
	if rate := envInt("GOHEAP_LEAK_RATE"); rate > 0 {
		runtime.MemProfileRate = rate
	}
	stacks := envInt("GOHEAP_LEAK_STACKS")
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: goheap_leak PROFILE")
		os.Exit(2)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1)
	tick := time.NewTicker(10 * time.Millisecond)
	fmt.Println("ready")
	for i := 0; ; {
		select {
		case <-sig:
			dump(os.Args[1])
		case <-tick.C:
			for k := 0; k < 10; k++ {
				remember(i)
				churn()
				if stacks > 0 {
					deep(i%stacks, 1+(i*7919)%8192)
				}
				i++
			}
		}
	}
}
