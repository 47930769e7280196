"""A Kafka cluster for tests: librdkafka's mock cluster (`rdkafka_mock.h`, the real protocol,
no broker to install), run by the system's librdkafka — the one lake links — through ctypes.

As a program: `python3 kafka_mock.py --brokers 3 --topic clicks:3` prints the bootstrap
servers on its first line, then reads commands on standard input: `down <broker id>`,
`up <broker id>`, `topic <name>:<partitions>`, `grow <name>:<partitions>`; each answers `ok` or
`error …`. It ends at end of input (the cluster with it).

No librdkafka mock can add partitions to a topic (CreatePartitions is not among the requests it
serves, in 2.0.2 as in 2.16). `grow` comes closest: it deletes the topic and creates it again
with more partitions, which only the newer librdkafka that the confluent-kafka wheel bundles can
do (`--lib`, `bundled_library()`); on a topic nothing was produced to yet, a client sees exactly
a topic whose partition count went up.

From a test: `with MockCluster(brokers=3, topics={"clicks": 3}) as cluster: cluster.bootstrap`.
"""

import argparse
import ctypes
import json
import subprocess
import sys
import time


def bundled_library():
    """The librdkafka the confluent-kafka wheel ships (newer than Debian's: it can delete a
    mock topic), or None."""
    import glob
    import os
    import confluent_kafka
    site = os.path.dirname(os.path.dirname(confluent_kafka.__file__))
    for path in sorted(glob.glob(os.path.join(site, "confluent_kafka.libs", "librdkafka*.so*"))):
        if hasattr(ctypes.CDLL(path), "rd_kafka_mock_topic_delete"):
            return path
    return None


def serve(brokers, topics, library):
    lib = ctypes.CDLL(library or "librdkafka.so.1")
    lib.rd_kafka_conf_new.restype = ctypes.c_void_p
    lib.rd_kafka_new.restype = ctypes.c_void_p
    lib.rd_kafka_new.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    lib.rd_kafka_mock_cluster_new.restype = ctypes.c_void_p
    lib.rd_kafka_mock_cluster_new.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.rd_kafka_mock_cluster_bootstraps.restype = ctypes.c_char_p
    lib.rd_kafka_mock_cluster_bootstraps.argtypes = [ctypes.c_void_p]
    lib.rd_kafka_mock_topic_create.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int]
    lib.rd_kafka_mock_broker_set_down.argtypes = [ctypes.c_void_p, ctypes.c_int32]
    lib.rd_kafka_mock_broker_set_up.argtypes = [ctypes.c_void_p, ctypes.c_int32]
    lib.rd_kafka_err2str.restype = ctypes.c_char_p
    lib.rd_kafka_conf_set.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t]
    err = ctypes.create_string_buffer(512)
    conf = lib.rd_kafka_conf_new()
    lib.rd_kafka_conf_set(conf, b"log_level", b"3", err, 512)  # not the "no bootstrap.servers" notice
    rk = lib.rd_kafka_new(0, conf, err, 512)  # a producer handle owns the cluster
    if not rk:
        sys.exit(f"kafka_mock: {err.value.decode()}")
    cluster = lib.rd_kafka_mock_cluster_new(rk, brokers)
    for name, partitions in topics.items():
        code = lib.rd_kafka_mock_topic_create(cluster, name.encode(), partitions, min(3, brokers))
        if code:
            sys.exit(f"kafka_mock: topic {name}: {lib.rd_kafka_err2str(code).decode()}")
    print(lib.rd_kafka_mock_cluster_bootstraps(cluster).decode(), flush=True)
    for line in sys.stdin:
        words = line.split()
        try:
            if words[0] in ("down", "up"):
                f = lib.rd_kafka_mock_broker_set_down if words[0] == "down" else lib.rd_kafka_mock_broker_set_up
                code = f(cluster, int(words[1]))
            elif words[0] == "topic":
                name, partitions = words[1].split(":")
                code = lib.rd_kafka_mock_topic_create(cluster, name.encode(), int(partitions), min(3, brokers))
            elif words[0] == "grow":
                if not hasattr(lib, "rd_kafka_mock_topic_delete"):
                    print("error this librdkafka cannot delete a mock topic (start with --lib)", flush=True)
                    continue
                name, partitions = words[1].split(":")
                lib.rd_kafka_mock_topic_delete.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
                code = lib.rd_kafka_mock_topic_delete(cluster, name.encode())
                if code == 0:
                    code = lib.rd_kafka_mock_topic_create(cluster, name.encode(), int(partitions), min(3, brokers))
            else:
                print(f"error unknown command {words[0]}", flush=True)
                continue
            print("ok" if code == 0 else f"error {lib.rd_kafka_err2str(code).decode()}", flush=True)
        except (IndexError, ValueError) as e:
            print(f"error {e}", flush=True)
    # The cluster goes with the process (destroying it can wait on clients still connected).


def produce(bootstrap, topic, lines, idempotent=True, bursts=None):
    """Produces lines keyed by their event id, as `lake generate --kafka` does; with `bursts`
    ([(end index, pause before it)]), in bursts with pauses, like a shop's producer. (An
    idempotent producer stops every partition while one leader is down; a test of a broker
    down wants the others to go on.)"""
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": idempotent, "linger.ms": 5})
    start = 0
    for end, pause in bursts or [(len(lines), 0)]:
        time.sleep(pause)
        for line in lines[start:end]:
            key = None
            try:
                key = json.loads(line).get("eventId")
            except (ValueError, AttributeError):
                pass
            p.produce(topic, value=line, key=key.encode() if isinstance(key, str) else None)
            p.poll(0)
        p.flush(30)
        start = end
    if p.flush(120) != 0:
        raise AssertionError(f"messages of {topic} were not delivered")


def topic_messages(bootstrap, topic):
    """Every message of a topic as (partition, offset, value), sorted, read back by another client."""
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "test-reader", "enable.auto.commit": False,
                  "enable.partition.eof": True})
    parts = c.list_topics(topic, timeout=10).topics[topic].partitions
    c.assign([TopicPartition(topic, p, 0) for p in parts])
    done, out = set(), []
    while len(done) < len(parts):
        m = c.poll(10)
        if m is None:
            raise AssertionError(f"topic {topic} could not be read back")
        if m.error():
            done.add(m.partition())
            continue
        out.append((m.partition(), m.offset(), m.value()))
    c.close()
    return sorted(out)


class MockCluster:
    def __init__(self, brokers=3, topics=None, library=None):
        args = [sys.executable, __file__, "--brokers", str(brokers)]
        if library:
            args += ["--lib", library]
        for name, partitions in (topics or {}).items():
            args += ["--topic", f"{name}:{partitions}"]
        self.process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.bootstrap = self.process.stdout.readline().strip()
        assert self.bootstrap, "the mock cluster did not start"

    def command(self, text):
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline().strip()
        assert answer == "ok", f"{text}: {answer}"

    def down(self, broker):
        self.command(f"down {broker}")

    def up(self, broker):
        self.command(f"up {broker}")

    def close(self):
        self.process.kill()
        self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--brokers", type=int, default=3)
    ap.add_argument("--topic", action="append", default=[], help="name:partitions")
    ap.add_argument("--lib", help="the librdkafka to run the cluster with (default: the system's)")
    a = ap.parse_args()
    serve(a.brokers, {t.split(":")[0]: int(t.split(":")[1]) for t in a.topic}, a.lib)
