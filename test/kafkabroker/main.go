// Command kafkabroker runs a single-node Kafka-protocol broker for development and tests, on the Kafka
// implementation of github.com/twmb/franz-go/pkg/kfake: no Kafka broker is packaged for this machine.
// Clients talk to it over TCP exactly as to Kafka; production runs on Apache Kafka.
//
//	go run ./test/kafkabroker --addr 127.0.0.1:9092 [--data-dir DIR] [--partitions N]
//
// It prints "kafka broker listening on HOST:PORT" once it accepts connections, and runs until SIGINT or
// SIGTERM. With --data-dir, topics, records and committed group offsets are kept in DIR (kfake's own
// persistence: record batches and group commits are written as they happen, the rest on shutdown) and
// reloaded on the next start; without it everything lives in memory and is lost when the process exits.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "kafkabroker:", err)
		stop()
		os.Exit(1)
	}
}

// run serves until ctx ends, then shuts the broker down, saving its state when it has a data dir.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kafkabroker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:9092", "host:port to listen on; also advertised to clients (an unspecified host advertises 127.0.0.1)")
	dataDir := fs.String("data-dir", "", "directory keeping topics, records and committed offsets across restarts (default: memory only)")
	partitions := fs.Int("partitions", 12, "partitions of topics created without a count, such as auto-created ones")
	syncWrites := fs.Bool("sync", false, "fsync every write, to survive a machine crash too (slower)")
	minSession := fs.Duration("min-session-timeout", 6*time.Second, "smallest consumer-group session timeout accepted")
	logLevel := fs.String("log-level", "warn", "broker log level on stderr: none, error, warn, info, debug")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *partitions < 1 {
		return errors.New("--partitions must be at least 1")
	}
	level, ok := logLevels[strings.ToLower(*logLevel)]
	if !ok {
		return fmt.Errorf("unknown --log-level %q", *logLevel)
	}

	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) { return listen(network, *addr) }),
		kfake.AllowAutoTopicCreation(), // as Kafka's auto.create.topics.enable, on by default there too
		kfake.DefaultNumPartitions(*partitions),
		kfake.GroupMinSessionTimeout(*minSession),
		kfake.WithLogger(kfake.BasicLogger(stderr, level)),
	}
	if *dataDir != "" {
		opts = append(opts, kfake.DataDir(*dataDir))
		if *syncWrites {
			opts = append(opts, kfake.SyncWrites())
		}
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "kafka broker listening on %s\n", cluster.ListenAddrs()[0])
	<-ctx.Done()
	cluster.Close() // with a data dir: waits until the state is saved
	fmt.Fprintln(stdout, "kafka broker stopped")
	return nil
}

var logLevels = map[string]kfake.LogLevel{
	"none": kfake.LogLevelNone, "error": kfake.LogLevelError, "warn": kfake.LogLevelWarn,
	"info": kfake.LogLevelInfo, "debug": kfake.LogLevelDebug,
}

// listen listens on addr. kfake advertises the listener's address in metadata, so an unspecified host
// (":9092", "0.0.0.0:9092") is advertised as 127.0.0.1 rather than as an address nobody can dial.
func listen(network, addr string) (net.Listener, error) {
	ln, err := net.Listen(network, addr)
	if err != nil {
		return nil, err
	}
	tcp, ok := ln.Addr().(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return ln, nil
	}
	return advertised{ln, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: tcp.Port}}, nil
}

// advertised is a listener reporting another address than the one it listens on.
type advertised struct {
	net.Listener
	addr net.Addr
}

// Addr returns the advertised address.
func (l advertised) Addr() net.Addr { return l.addr }
