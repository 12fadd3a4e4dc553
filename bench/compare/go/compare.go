// The Go side of bench/compare: the same operations with goroutines and
// unbuffered channels, printed as "go<GOMAXPROCS> <operation> <figure>"
// lines for kt_compare --go to read. Time figures are ns (medians of the
// repetitions); mem figures are resident KiB (VmRSS) per blocked goroutine,
// each measured in a fresh copy of this program (-mem N), so goroutines
// freed by the earlier tests are not reused and counted as free.
//
//	GO111MODULE=off go build -o compare_go compare.go
//	GOMAXPROCS=1 ./compare_go [-quick] [-nomem]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
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

// rssKiB is VmRSS from /proc/self/status.
func rssKiB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if fs := strings.Fields(s.Text()); len(fs) >= 2 && fs[0] == "VmRSS:" {
			v, _ := strconv.ParseFloat(fs[1], 64)
			return v
		}
	}
	return -1
}

func perOp(d time.Duration, n int) float64 { return float64(d.Nanoseconds()) / float64(n) }

// spawn: start an empty goroutine and wait for its end (a done channel).
func spawn(n int) float64 {
	done := make(chan struct{})
	once := func() {
		go func() { done <- struct{}{} }()
		<-done
	}
	for i := 0; i < 1000; i++ {
		once()
	}
	t0 := time.Now()
	for i := 0; i < n; i++ {
		once()
	}
	return perOp(time.Since(t0), n)
}

// spawnBatch: n goroutines started, all blocked on a channel, released by
// closing it, all waited for.
func spawnBatch(n int) float64 {
	release := make(chan struct{})
	var in, out sync.WaitGroup
	t0 := time.Now()
	in.Add(n)
	out.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			in.Done()
			<-release
			out.Done()
		}()
	}
	in.Wait()
	close(release)
	out.Wait()
	return perOp(time.Since(t0), n)
}

// pingpong: two goroutines alternate through two unbuffered channels; ns per
// one-way hand-off.
func pingpong(n int) float64 {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v
		}
	}()
	for i := 0; i < 1000; i++ {
		ping <- i
		<-pong
	}
	t0 := time.Now()
	for i := 0; i < n; i++ {
		ping <- i
		<-pong
	}
	d := time.Since(t0)
	close(ping)
	return perOp(d, 2*n)
}

// mem: n goroutines alive, each blocked on a channel; KiB each.
func mem(n int) float64 {
	runtime.GC()
	before := rssKiB()
	release := make(chan struct{})
	var in, out sync.WaitGroup
	in.Add(n)
	out.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			in.Done()
			<-release
			out.Done()
		}()
	}
	in.Wait()
	after := rssKiB()
	close(release)
	out.Wait()
	return (after - before) / float64(n)
}

// memInChild runs this program again with -mem n and returns its figure.
func memInChild(n int) float64 {
	self, err := os.Executable()
	if err != nil {
		return -1
	}
	out, err := exec.Command(self, "-mem", strconv.Itoa(n)).Output()
	if err != nil {
		fmt.Fprintf(os.Stderr, "compare.go: -mem %d: %v\n", n, err)
		return -1
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		return -1
	}
	return v
}

func main() {
	quick := flag.Bool("quick", false, "fewer repetitions, shorter loops, no 1,000,000 run")
	memN := flag.Int("mem", 0, "only measure memory for this many goroutines")
	noMem := flag.Bool("nomem", false, "skip the memory figures")
	flag.Parse()
	if *memN > 0 {
		fmt.Printf("%.3f\n", mem(*memN))
		return
	}
	reps, scale := 5, 1
	if *quick {
		reps, scale = 3, 10
	}
	p := fmt.Sprintf("go%d", runtime.GOMAXPROCS(0))
	fmt.Printf("%s spawn %.1f\n", p, median(reps, func() float64 { return spawn(200000 / scale) }))
	fmt.Printf("%s spawn_batch %.1f\n", p, median(reps, func() float64 { return spawnBatch(10000) }))
	fmt.Printf("%s pingpong %.1f\n", p, median(reps, func() float64 { return pingpong(500000 / scale) }))
	if *noMem {
		return
	}
	fmt.Printf("%s mem100k %.3f\n", p, memInChild(100000))
	if !*quick {
		fmt.Printf("%s mem1m %.3f\n", p, memInChild(1000000))
	}
}
