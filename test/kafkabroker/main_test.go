package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const wait = 30 * time.Second

// TestBrokerKeepsRecordsAndOffsetsAcrossRestarts runs the program as a process, as developers and the
// cluster tests do, and restarts it on the same data dir: after a clean stop (SIGTERM) and after a kill.
func TestBrokerKeepsRecordsAndOffsetsAcrossRestarts(t *testing.T) {
	t.Parallel()
	bin := build(t)
	addr, dir := freeAddr(t), t.TempDir()
	broker := start(t, bin, "--addr", addr, "--data-dir", dir)

	createTopic(t, addr, "orders", 3)
	var sent []string
	for i := range 30 {
		sent = append(sent, fmt.Sprintf("order-%02d", i))
	}
	produce(t, addr, "orders", sent...)
	first := consumeGroup(t, addr, "orders", "billing", 10)
	require.Len(t, first, 10)

	broker.stop(t, syscall.SIGTERM)
	broker = start(t, bin, "--addr", addr, "--data-dir", dir)

	assert.ElementsMatch(t, sent, readAll(t, addr, "orders"), "records survive a clean restart")
	rest := consumeGroup(t, addr, "orders", "billing", 20)
	assert.ElementsMatch(t, without(sent, first), rest, "the group resumes from its committed offsets")

	// Everything is committed now; a kill (no shutdown save) keeps what was written before it.
	more := []string{"order-30", "order-31", "order-32"}
	produce(t, addr, "orders", more...)
	assert.ElementsMatch(t, more, consumeGroup(t, addr, "orders", "billing", 3))
	broker.stop(t, syscall.SIGKILL)
	start(t, bin, "--addr", addr, "--data-dir", dir)

	assert.ElementsMatch(t, append(sent, more...), readAll(t, addr, "orders"), "records survive a kill")
	produce(t, addr, "orders", "order-33")
	assert.Equal(t, []string{"order-33"}, consumeGroup(t, addr, "orders", "billing", 1),
		"committed offsets survive a kill")
}

func TestBrokerAutoCreatesTopicsWithTheDefaultPartitionCount(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	start(t, build(t), "--addr", addr, "--partitions", "5")
	w := &kafkago.Writer{Addr: kafkago.TCP(addr), Topic: "auto", AllowAutoTopicCreation: true,
		RequiredAcks: kafkago.RequireAll, BatchTimeout: time.Millisecond, Transport: &kafkago.Transport{}}
	defer w.Close()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	require.NoError(t, w.WriteMessages(ctx, kafkago.Message{Value: []byte("hello")}))
	assert.Len(t, partitions(t, addr, "auto"), 5)
	assert.Equal(t, []string{"hello"}, readAll(t, addr, "auto"))
}

func TestBrokerRejectsBadFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--partitions", "0"}, {"--log-level", "loud"}, {"extra"}, {"--nope"}} {
		err := run(t.Context(), args, io.Discard, io.Discard)
		assert.Error(t, err, "%q", args)
	}
}

// binDir holds the compiled program; TestMain removes it.
var binDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildBinary compiles the program once per test process.
var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "kafkabroker-")
	if err != nil {
		return "", err
	}
	binDir = dir
	path := filepath.Join(dir, "kafkabroker")
	if out, err := exec.Command("go", "build", "-o", path, ".").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return path, nil
})

func build(t *testing.T) string {
	t.Helper()
	path, err := buildBinary()
	require.NoError(t, err, "building kafkabroker")
	return path
}

type process struct {
	cmd    *exec.Cmd
	exited chan error
}

// start runs the program and waits for its "listening" line; the process is killed at cleanup.
func start(t *testing.T, bin string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &process{cmd: cmd, exited: make(chan error, 1)}
	ready := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			if addr, ok := strings.CutPrefix(lines.Text(), "kafka broker listening on "); ok {
				ready <- addr
			}
		}
		p.exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
	})
	select {
	case addr := <-ready:
		want := args[slices.Index(args, "--addr")+1]
		require.Equal(t, want, addr, "the broker advertises the address it was given")
	case err := <-p.exited:
		p.exited <- err
		require.FailNow(t, "kafkabroker exited before listening", "%v", err)
	case <-time.After(wait):
		require.FailNow(t, "kafkabroker did not report listening")
	}
	return p
}

// stop signals the process and waits for it to exit; SIGTERM must end it cleanly.
func (p *process) stop(t *testing.T, sig syscall.Signal) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(sig))
	select {
	case err := <-p.exited:
		if sig == syscall.SIGTERM {
			require.NoError(t, err, "a terminated broker exits with status 0")
		}
		p.exited <- err
	case <-time.After(wait):
		require.FailNow(t, "kafkabroker did not exit", "signal %v", sig)
	}
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

func createTopic(t *testing.T, addr, topic string, n int) {
	conn, err := kafkago.DialContext(t.Context(), "tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	controller, err := conn.Controller()
	require.NoError(t, err)
	cconn, err := kafkago.DialContext(t.Context(), "tcp", net.JoinHostPort(controller.Host, strconv.Itoa(controller.Port)))
	require.NoError(t, err)
	defer cconn.Close()
	require.NoError(t, cconn.CreateTopics(kafkago.TopicConfig{Topic: topic, NumPartitions: n, ReplicationFactor: 1}))
}

func produce(t *testing.T, addr, topic string, values ...string) {
	w := &kafkago.Writer{Addr: kafkago.TCP(addr), Topic: topic, Balancer: &kafkago.Murmur2Balancer{},
		RequiredAcks: kafkago.RequireAll, BatchTimeout: time.Millisecond, Transport: &kafkago.Transport{}}
	defer w.Close()
	msgs := make([]kafkago.Message, len(values))
	for i, v := range values {
		msgs[i] = kafkago.Message{Key: []byte(v), Value: []byte(v)}
	}
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	require.NoError(t, w.WriteMessages(ctx, msgs...))
}

// consumeGroup reads n records as a member of group, committing each, then leaves the group.
func consumeGroup(t *testing.T, addr, topic, group string, n int) []string {
	r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: []string{addr}, Topic: topic, GroupID: group,
		SessionTimeout: 6 * time.Second, HeartbeatInterval: 500 * time.Millisecond, JoinGroupBackoff: 200 * time.Millisecond,
		MaxWait: 200 * time.Millisecond, StartOffset: kafkago.FirstOffset})
	defer r.Close()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	var got []string
	for len(got) < n {
		m, err := r.FetchMessage(ctx)
		require.NoError(t, err, "after %d of %d records", len(got), n)
		require.NoError(t, r.CommitMessages(ctx, m))
		got = append(got, string(m.Value))
	}
	return got
}

func partitions(t *testing.T, addr, topic string) []kafkago.Partition {
	conn, err := kafkago.DialContext(t.Context(), "tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	parts, err := conn.ReadPartitions(topic)
	require.NoError(t, err)
	return parts
}

// readAll reads every record of topic, partition by partition, without a group.
func readAll(t *testing.T, addr, topic string) []string {
	var out []string
	for _, part := range partitions(t, addr, topic) {
		conn, err := kafkago.DialLeader(t.Context(), "tcp", addr, topic, part.ID)
		require.NoError(t, err)
		first, last, err := conn.ReadOffsets()
		require.NoError(t, err)
		_, err = conn.Seek(first, kafkago.SeekAbsolute)
		require.NoError(t, err)
		for offset := first; offset < last; {
			require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
			batch := conn.ReadBatch(1, 10<<20)
			for {
				m, err := batch.ReadMessage()
				if err != nil {
					break
				}
				out = append(out, string(m.Value))
				offset = m.Offset + 1
			}
			require.NoError(t, batch.Close())
		}
		require.NoError(t, conn.Close())
	}
	return out
}

func without(all, drop []string) []string {
	var out []string
	for _, v := range all {
		if !slices.Contains(drop, v) {
			out = append(out, v)
		}
	}
	return out
}
