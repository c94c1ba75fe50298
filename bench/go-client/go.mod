module github.com/1mrc/bench/go-client

go 1.19
