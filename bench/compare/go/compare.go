// The Go side of bench/compare: the same operations with goroutines and
// channels, printed as "go<GOMAXPROCS> <operation> <figure>" lines for
// kt_compare --go to read. Figures are medians of the repetitions.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

func median(reps int, f func() float64) float64 {
	xs := make([]float64, reps)
	for i := range xs {
		xs[i] = f()
	}
	sort.Float64s(xs)
	return xs[reps/2]
}

func rssKiB() float64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	pages, _ := strconv.ParseFloat(f[1], 64)
	return pages * float64(os.Getpagesize()) / 1024
}

// spawn: start a goroutine that only signals its end, wait for it.
func spawn(n int) float64 {
	done := make(chan struct{})
	t0 := time.Now()
	for i := 0; i < n; i++ {
		go func() { done <- struct{}{} }()
		<-done
	}
	return float64(time.Since(t0).Nanoseconds()) / float64(n)
}

// spawnBatch: n goroutines blocked until released, released, all waited for.
func spawnBatch(n int) float64 {
	release := make(chan struct{})
	var wg sync.WaitGroup
	t0 := time.Now()
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() { <-release; wg.Done() }()
	}
	close(release)
	wg.Wait()
	return float64(time.Since(t0).Nanoseconds()) / float64(n)
}

// pingpong: two goroutines alternate through unbuffered channels; ns per
// one-way hand-off.
func pingpong(n int) float64 {
	a, b := make(chan int), make(chan int)
	go func() {
		for v := range a {
			b <- v
		}
	}()
	t0 := time.Now()
	for i := 0; i < n; i++ {
		a <- i
		<-b
	}
	d := time.Since(t0)
	close(a)
	return float64(d.Nanoseconds()) / float64(2*n)
}

// mem: n goroutines alive, each blocked on a channel; resident KiB each.
func mem(n int) float64 {
	runtime.GC()
	before := rssKiB()
	release := make(chan struct{})
	var started, done sync.WaitGroup
	started.Add(n)
	done.Add(n)
	for i := 0; i < n; i++ {
		go func() { started.Done(); <-release; done.Done() }()
	}
	started.Wait()
	after := rssKiB()
	close(release)
	done.Wait()
	return (after - before) / float64(n)
}

func main() {
	quick := len(os.Args) > 1 && os.Args[1] == "--quick"
	reps, scale := 5, 1
	if quick {
		reps, scale = 3, 10
	}
	p := fmt.Sprintf("go%d", runtime.GOMAXPROCS(0))
	fmt.Printf("%s spawn %.1f\n", p, median(reps, func() float64 { return spawn(200000 / scale) }))
	fmt.Printf("%s spawn_batch %.1f\n", p, median(reps, func() float64 { return spawnBatch(10000) }))
	fmt.Printf("%s pingpong %.1f\n", p, median(reps, func() float64 { return pingpong(500000 / scale) }))
	fmt.Printf("%s mem100k %.2f\n", p, mem(100000))
	if !quick {
		fmt.Printf("%s mem1m %.2f\n", p, mem(1000000))
	}
}
