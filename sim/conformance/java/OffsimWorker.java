// One real consumer process with the Java client (kafka-clients): the poll loop of
// sim/conformance/worker.py, for the strategies a Java application can write, compared with the
// model's `consumer.client = "java"`.
//
// `java -cp JARS:CLASSES OffsimWorker SPEC.properties` (sim/conformance/java_client.py writes the
// spec and compiles this file). Effects are appended to a file and fsync'd; a crash point is
// claimed by creating `fired-<index>` (O_EXCL), then this process SIGKILLs itself. SIGTERM ends
// the loop (its `finally` commit, then close()); SIGUSR1 is a stall: the JVM runs the handler on
// a thread of its own, so the handler only records the stall and the loop sleeps it at its next
// step (after the record being processed, or once the poll() under way returns). Both handlers
// are installed before the client is built: the JVM's default for SIGUSR1 is to exit.

import java.io.FileOutputStream;
import java.io.FileReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import sun.misc.Signal;

public final class OffsimWorker {
  /** A pending crash point: at which loop point of which batch (and after how many records). */
  private record Point(int index, String at, int batch, int after, int ownerOf) {}

  private final Properties spec;
  private final String topic;
  private final String name;
  private final List<Point> points = new ArrayList<>();
  private final FileOutputStream effects;
  private final Map<Integer, Long> processed = new TreeMap<>(); // partition -> last + 1
  private final KafkaConsumer<byte[], byte[]> consumer;
  private static volatile boolean stopping = false; // set by the SIGTERM handler's thread
  private static volatile long pendingStallMs = 0; // set by the SIGUSR1 handler's thread
  private int batch = 0;

  OffsimWorker(Properties spec) throws IOException {
    this.spec = spec;
    this.topic = spec.getProperty("topic");
    this.name = spec.getProperty("strategy");
    for (String p : spec.getProperty("points").split(";")) {
      if (p.isEmpty()) continue;
      String[] f = p.split(":");
      points.add(new Point(Integer.parseInt(f[0]), f[1], Integer.parseInt(f[2]),
          Integer.parseInt(f[3]), Integer.parseInt(f[4])));
    }
    effects = new FileOutputStream(spec.getProperty("effects"), true);
    consumer = new KafkaConsumer<>(config(spec));
    consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
      @Override public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        onRevoke(partitions);
      }
      @Override public void onPartitionsAssigned(Collection<TopicPartition> partitions) {}
      @Override public void onPartitionsLost(Collection<TopicPartition> partitions) {
        onRevoke(partitions);
      }
    });
  }

  static Properties config(Properties spec) {
    String name = spec.getProperty("strategy");
    Properties c = new Properties();
    c.put("bootstrap.servers", spec.getProperty("bootstrap"));
    c.put("group.id", spec.getProperty("group"));
    c.put("key.deserializer", ByteArrayDeserializer.class.getName());
    c.put("value.deserializer", ByteArrayDeserializer.class.getName());
    c.put("auto.offset.reset", spec.getProperty("auto_offset_reset"));
    c.put("enable.auto.commit", Boolean.toString(name.equals("auto")));
    c.put("auto.commit.interval.ms", spec.getProperty("auto_commit_interval_ms"));
    c.put("max.poll.records", spec.getProperty("max_poll_records"));
    c.put("max.poll.interval.ms", spec.getProperty("max_poll_interval_ms"));
    c.put("session.timeout.ms", spec.getProperty("session_timeout_ms"));
    c.put("heartbeat.interval.ms", spec.getProperty("heartbeat_interval_ms"));
    c.put("partition.assignment.strategy", spec.getProperty("assignor_class"));
    String instance = spec.getProperty("instance_id", "");
    if (!instance.isEmpty()) c.put("group.instance.id", instance);
    return c;
  }

  // ---- crash points -------------------------------------------------------------------------
  private void point(String at, int done, int total) {
    for (Point p : points) {
      if (!p.at().equals(at) || p.batch() != batch) continue;
      if (at.equals("mid-batch") && done != Math.min(p.after(), total)) continue;
      if (p.ownerOf() >= 0 && !assigned().contains(p.ownerOf())) continue;
      Path claim = Paths.get(spec.getProperty("fired") + p.index());
      try {
        Files.write(claim, spec.getProperty("slot").getBytes(StandardCharsets.UTF_8),
            java.nio.file.StandardOpenOption.CREATE_NEW,
            java.nio.file.StandardOpenOption.WRITE);
      } catch (FileAlreadyExistsException e) {
        continue;
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
      killSelf();
    }
  }

  /** SIGKILL this process; nothing after the kill runs on this thread. */
  private static void killSelf() {
    String pid = Long.toString(ProcessHandle.current().pid());
    try {
      new ProcessBuilder("kill", "-KILL", pid).start().waitFor();
      while (true) Thread.sleep(1000);
    } catch (IOException | InterruptedException e) {
      Runtime.getRuntime().halt(137);
    }
  }

  // ---- commits ------------------------------------------------------------------------------
  private boolean commit(Map<TopicPartition, OffsetAndMetadata> offsets, boolean async) {
    point("before-commit", 0, 0);
    boolean ok = true;
    try {
      if (async && offsets == null) consumer.commitAsync();
      else if (async) consumer.commitAsync(offsets, null);
      else if (offsets == null) consumer.commitSync();
      else consumer.commitSync(offsets);
    } catch (KafkaException e) {
      ok = false;
    }
    point("after-commit", 0, 0);
    return ok;
  }

  private Map<TopicPartition, OffsetAndMetadata> offsets(Map<Integer, Long> next) {
    Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
    next.forEach((p, o) -> out.put(new TopicPartition(topic, p), new OffsetAndMetadata(o)));
    return out;
  }

  private Map<Integer, Long> processedOf(Collection<Integer> partitions) {
    Map<Integer, Long> out = new TreeMap<>();
    for (int p : partitions) if (processed.containsKey(p)) out.put(p, processed.get(p));
    return out;
  }

  private void onRevoke(Collection<TopicPartition> partitions) {
    if (name.equals("async-then-sync-processed")) {
      List<Integer> ps = new ArrayList<>();
      for (TopicPartition tp : partitions) ps.add(tp.partition());
      Map<Integer, Long> done = processedOf(ps);
      if (!done.isEmpty()) commit(offsets(done), false);
    }
  }

  private List<Integer> assigned() {
    List<Integer> out = new ArrayList<>();
    for (TopicPartition tp : consumer.assignment()) out.add(tp.partition());
    return out;
  }

  // ---- the loop -----------------------------------------------------------------------------
  private void maybeStall() throws InterruptedException {
    long ms = pendingStallMs;
    if (ms > 0) {
      pendingStallMs = 0;
      Thread.sleep(ms);
    }
  }

  private void process(int p, long o) throws IOException, InterruptedException {
    Thread.sleep(Math.round(Double.parseDouble(spec.getProperty("processing_ms"))));
    effects.write((p + " " + o + "\n").getBytes(StandardCharsets.UTF_8));
    effects.getFD().sync();
    processed.put(p, o + 1);
    maybeStall();
  }

  void run() throws Exception {
    Duration timeout = Duration.ofMillis(
        Math.round(Double.parseDouble(spec.getProperty("poll_timeout_ms"))));
    try {
      while (!stopping) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(timeout);
        maybeStall();
        List<long[]> batchRecords = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
          batchRecords.add(new long[] {r.partition(), r.offset()});
        }
        if (!batchRecords.isEmpty()) {
          batch += 1;
          if (!handle(batchRecords)) continue;
        } else {
          reportPositions();
        }
        afterBatch(batchRecords);
      }
    } finally {
      onClose();
      consumer.close();
    }
  }

  private boolean handle(List<long[]> records) throws Exception {
    if (name.equals("commit-before-process") && !commit(offsets(next(records)), false)) {
      return false;
    }
    point("before-process", 0, 0);
    int done = 0;
    for (int i = 0; i < records.size(); i++) {
      int p = (int) records.get(i)[0];
      long o = records.get(i)[1];
      process(p, o);
      done += 1;
      point("mid-batch", done, records.size());
      if (name.equals("sync-per-record")) commit(offsets(Map.of(p, o + 1)), false);
      boolean lastOfRun = i + 1 == records.size() || records.get(i + 1)[0] != p;
      if (name.equals("per-partition-sync") && lastOfRun) commit(offsets(Map.of(p, o + 1)), false);
    }
    point("after-process", 0, 0);
    return true;
  }

  private void afterBatch(List<long[]> records) {
    if (name.equals("async-then-sync")) {
      commit(null, true);
    } else if (records.isEmpty()) {
      return;
    } else if (name.equals("sync-per-batch")) {
      commit(offsets(next(records)), false);
    } else if (name.equals("async-per-batch")) {
      commit(offsets(next(records)), true);
    } else if (name.equals("async-then-sync-processed")) {
      commit(offsets(processedOf(assigned())), true);
    } else if (name.equals("off-by-one")) {
      Map<Integer, Long> back = new TreeMap<>();
      next(records).forEach((p, o) -> back.put(p, o - 1));
      commit(offsets(back), false);
    }
  }

  private static Map<Integer, Long> next(List<long[]> records) {
    Map<Integer, Long> last = new TreeMap<>();
    for (long[] r : records) last.put((int) r[0], r[1] + 1);
    return last;
  }

  private void onClose() {
    if (name.equals("async-then-sync")) {
      commit(null, false);
    } else if (name.equals("async-then-sync-processed")) {
      Map<Integer, Long> done = processedOf(assigned());
      if (!done.isEmpty()) commit(offsets(done), false);
    }
  }

  /** After an empty poll: this consumer's position on each partition it holds (atomically). */
  private void reportPositions() throws IOException {
    StringBuilder json = new StringBuilder("{\"positions\": {");
    String sep = "";
    for (TopicPartition tp : consumer.assignment()) {
      json.append(sep).append('"').append(tp.partition()).append("\": ");
      json.append(consumer.position(tp, Duration.ofSeconds(5)));
      sep = ", ";
    }
    json.append("}}");
    Path status = Paths.get(spec.getProperty("status"));
    Path tmp = Paths.get(spec.getProperty("status") + ".tmp");
    Files.write(tmp, json.toString().getBytes(StandardCharsets.UTF_8));
    Files.move(tmp, status, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static long readStall(Properties spec) {
    try {
      return Long.parseLong(Files.readString(Paths.get(spec.getProperty("stall"))).trim());
    } catch (IOException | NumberFormatException e) {
      return 0;
    }
  }

  public static void main(String[] args) throws Exception {
    Properties spec = new Properties();
    try (FileReader reader = new FileReader(args[0], StandardCharsets.UTF_8)) {
      spec.load(reader);
    }
    // Before the client starts (it takes the JVM a second): a SIGUSR1 with no handler kills it.
    Signal.handle(new Signal("TERM"), s -> stopping = true);
    Signal.handle(new Signal("USR1"), s -> pendingStallMs = readStall(spec));
    new OffsimWorker(spec).run();
  }
}
