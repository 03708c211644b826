package kafka_test

import (
	"fmt"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/scalechat/scalechat/core"
)

// javaMurmur2 holds test vectors of Kafka's Java client (UtilsTest.testMurmur2): Utils.murmur2(key) as a
// Java int. Its default partitioner sends a keyed record to (murmur2(key) & 0x7fffffff) % partitions.
var javaMurmur2 = map[string]int32{
	"21":                         -973932308,
	"foobar":                     -790332482,
	"a-little-bit-long-string":   -985981536,
	"a-little-bit-longer-string": -1486304829,
	"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
	"abc": 479470107,
}

func TestPartitionOfAConversationMatchesKafkaDefaultPartitioner(t *testing.T) {
	t.Parallel()
	const partitions = 7
	cfg := testConfig(t, partitions)
	log := newTopic(t, cfg)

	convs := make([]string, 0, 40)
	for key := range javaMurmur2 {
		convs = append(convs, key)
	}
	for i := range 34 {
		convs = append(convs, fmt.Sprintf("0190a7c2-%04x-7000-8000-%012x", i, i*7919))
	}
	var cmds []core.SendCommand
	for _, conv := range convs {
		cmds = append(cmds, command(conv, 0), command(conv, 1))
	}
	require.NoError(t, log.Append(t.Context(), cmds...))

	franz := kgo.StickyKeyPartitioner(nil).ForTopic(cfg.Topic)
	got := map[string]int{}
	for p, msgs := range partitionsOf(t, cfg.Topic) {
		for _, m := range msgs {
			key := string(m.Key)
			if prev, seen := got[key]; seen {
				assert.Equal(t, prev, p, "both commands of %s must share a partition", key)
			}
			got[key] = p
			assert.Equal(t, franz.Partition(&kgo.Record{Key: m.Key}, partitions), p,
				"key %q: partition differs from franz-go's Kafka-compatible key partitioner", key)
			if h, ok := javaMurmur2[key]; ok {
				assert.Equal(t, int(h&0x7fffffff)%partitions, p, "key %q: partition differs from the Java client's", key)
			}
		}
	}
	assert.Len(t, got, len(convs), "every command was written")
	used := map[int]bool{}
	for _, p := range got {
		used[p] = true
	}
	assert.Greater(t, len(used), 1, "conversations are spread over partitions")
}

// partitionsOf reads every record of a topic, partition by partition, without a consumer group.
func partitionsOf(t *testing.T, topic string) [][]kafkago.Message {
	t.Helper()
	conn, err := kafkago.DialContext(t.Context(), "tcp", brokers[0])
	require.NoError(t, err)
	parts, err := conn.ReadPartitions(topic)
	require.NoError(t, conn.Close())
	require.NoError(t, err)
	out := make([][]kafkago.Message, len(parts))
	for _, part := range parts {
		leader, err := kafkago.DialLeader(t.Context(), "tcp", brokers[0], topic, part.ID)
		require.NoError(t, err)
		first, last, err := leader.ReadOffsets()
		require.NoError(t, err)
		_, err = leader.Seek(first, kafkago.SeekAbsolute)
		require.NoError(t, err)
		for offset := first; offset < last; {
			require.NoError(t, leader.SetReadDeadline(time.Now().Add(5*time.Second)))
			batch := leader.ReadBatch(1, 10<<20)
			for {
				m, err := batch.ReadMessage()
				if err != nil {
					break
				}
				out[part.ID] = append(out[part.ID], m)
				offset = m.Offset + 1
			}
			require.NoError(t, batch.Close())
		}
		require.NoError(t, leader.Close())
	}
	return out
}
