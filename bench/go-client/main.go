// A load client that reproduces the methodology of the official One Million Request
// Challenge test client (github.com/Kavishankarks/1mrc, go-service/test_client.go), written
// anew for this repository: one keep-alive http.Client shared by 1,000 goroutine workers,
// fed through a channel with event i = {userId: "user_<i % 75000>", value: i % 1000 + 0.5}
// for i < 1,000,000, each sent as POST /event with Content-Type application/json; then one
// GET /stats, checked against what those events must add up to.
//
// One difference is a flag: the official client closes each response without reading its
// body, and Go's transport does not reuse a connection whose body was not read to the end,
// so every request there opens a new TCP connection. By default this client reads the body
// and keeps connections alive, as the official client's Transport settings intend;
// -close-unread reproduces the official behaviour.
//
// Output (stdout): a human summary, then one line `result {json}` for bench/http.ts.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

type stats struct {
	TotalRequests int64   `json:"totalRequests"`
	UniqueUsers   int64   `json:"uniqueUsers"`
	Sum           float64 `json:"sum"`
	Avg           float64 `json:"avg"`
}

type result struct {
	Requests       int     `json:"requests"`
	Workers        int     `json:"workers"`
	Seconds        float64 `json:"seconds"`
	RequestsPerSec float64 `json:"requestsPerSecond"`
	Errors         int64   `json:"errors"`
	FirstError     string  `json:"firstError,omitempty"`
	Stats          *stats  `json:"stats,omitempty"`
	Expected       stats   `json:"expected"`
	Correct        bool    `json:"correct"`
}

func main() {
	url := flag.String("url", "http://127.0.0.1:8080", "server base URL")
	requests := flag.Int("n", 1_000_000, "events to send")
	workers := flag.Int("workers", 1000, "concurrent goroutines")
	closeUnread := flag.Bool("close-unread", false, "close responses unread, as the official client does")
	flag.Parse()

	client := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        *workers,
			MaxIdleConnsPerHost: *workers,
			IdleConnTimeout:     30 * time.Second,
		},
	}

	events := make(chan int, *workers*2)
	var errors int64
	var firstError atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range events {
				if err := post(client, *url, i, *closeUnread); err != nil {
					if atomic.AddInt64(&errors, 1) == 1 {
						firstError.Store(err.Error())
					}
				}
			}
		}()
	}
	for i := 0; i < *requests; i++ {
		events <- i
	}
	close(events)
	wg.Wait()
	elapsed := time.Since(start).Seconds()

	out := result{
		Requests:       *requests,
		Workers:        *workers,
		Seconds:        elapsed,
		RequestsPerSec: float64(*requests) / elapsed,
		Errors:         errors,
		Expected:       expected(*requests),
	}
	if msg, ok := firstError.Load().(string); ok {
		out.FirstError = msg
	}
	got, err := getStats(client, *url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "GET /stats:", err)
	} else {
		out.Stats = got
		out.Correct = errors == 0 && got.TotalRequests == out.Expected.TotalRequests &&
			got.UniqueUsers == out.Expected.UniqueUsers && got.Sum == out.Expected.Sum
	}

	fmt.Printf("%d events, %d workers: %.2f s, %.0f req/s, %d errors\n",
		*requests, *workers, elapsed, out.RequestsPerSec, errors)
	line, _ := json.Marshal(out)
	fmt.Printf("result %s\n", line)
	if !out.Correct {
		os.Exit(1)
	}
}

// Event i of the official client's sequence.
func body(i int) []byte {
	b := make([]byte, 0, 48)
	b = append(b, `{"userId":"user_`...)
	b = strconv.AppendInt(b, int64(i%75000), 10)
	b = append(b, `","value":`...)
	b = strconv.AppendFloat(b, float64(i%1000)+0.5, 'f', -1, 64)
	return append(b, '}')
}

func post(client *http.Client, url string, i int, closeUnread bool) error {
	resp, err := client.Post(url+"/event", "application/json", bytes.NewReader(body(i)))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		text, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, text)
	}
	if !closeUnread {
		// Reading to EOF is what lets the transport put the connection back in its pool.
		_, err = io.Copy(io.Discard, resp.Body)
	}
	return err
}

// What /stats must say after events 0..n-1 and nothing else.
func expected(n int) stats {
	var sum float64
	for i := 0; i < n; i++ {
		sum += float64(i%1000) + 0.5
	}
	users := int64(n)
	if users > 75000 {
		users = 75000
	}
	avg := 0.0
	if n > 0 {
		avg = sum / float64(n)
	}
	return stats{TotalRequests: int64(n), UniqueUsers: users, Sum: sum, Avg: avg}
}

func getStats(client *http.Client, url string) (*stats, error) {
	resp, err := client.Get(url + "/stats")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	var s stats
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return nil, err
	}
	return &s, nil
}
