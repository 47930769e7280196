"""Bronze from Kafka against bronze from the landing folder, on the same generated lines.

The topic lives in librdkafka's mock cluster (Tests/e2e/kafka_mock.py: 3 brokers, 3 partitions,
in another process on this machine, so it competes for the same 2 cores). The mock keeps only
about 10,000 messages per partition (it drops older ones), so the messages go in rounds: a
round is produced (keyed by event id, as `lake generate --kafka` does), then `lake run bronze
--follow`, running all along, consumes it; the consume time of a round runs from the producer's
last acknowledgement to the catalog's offsets covering the round. Reported: messages per second
over the consume times, lake's CPU per message (its whole life, idle polls included), and the
landing folder's `lake run bronze` on the same lines.
"""

import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "Tests" / "e2e"))

from benchlib import interrupt, proc_cpu_seconds, proc_peak_rss_kb, put_section  # noqa: E402
from kafka_mock import MockCluster  # noqa: E402

TOPIC = "clicks"
BEGIN, END = "<!-- bench/kafka.py: begin -->", "<!-- bench/kafka.py: end -->"


def kafka_jobs(work, bootstrap, jobs):
    folder = work / "jobs-kafka"
    folder.mkdir(parents=True, exist_ok=True)
    text = (jobs / "clickstream.toml").read_text()
    text = text.replace('landing = "landing/clickstream"\n',
                        f'kind = "kafka"\nbrokers = "{bootstrap}"\ntopic = "{TOPIC}"\n')
    (folder / "clickstream.toml").write_text(text)
    return folder


def consumed(catalog):
    try:
        with sqlite3.connect(f"file:{catalog}?mode=ro", uri=True) as db:
            return db.execute("SELECT coalesce(sum(line_count), 0) FROM lake_source_position "
                              "WHERE job = 'clickstream'").fetchone()[0]
    except sqlite3.Error:
        return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lake-bin", default=str(ROOT / ".build" / "release" / "lake"))
    ap.add_argument("--jobs", type=Path, default=ROOT / "jobs")
    ap.add_argument("--work", type=Path, default=HERE / "out" / "kafka")
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--round", type=int, default=24_000, help="messages per round (the mock keeps ~10k a partition)")
    ap.add_argument("--results", type=Path)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    from confluent_kafka import Producer

    shutil.rmtree(a.work, ignore_errors=True)
    a.work.mkdir(parents=True)
    gen = a.work / "gen"
    subprocess.run([a.lake_bin, "generate", "--events", str(a.events), "--duplicates", "0.02", "--seed", "20260129",
                    "--out", str(gen), "--lake", str(a.work / "unused"), "--jobs", str(a.jobs)],
                   check=True, capture_output=True)
    lines = [l for f in sorted(gen.glob("events-*.jsonl")) for l in f.read_bytes().splitlines()]
    keys = []
    for line in lines:
        i = line.find(b'"eventId":"')
        keys.append(line[i + 11:line.index(b'"', i + 11)] if i >= 0 else None)

    # The landing folder: one `lake run bronze` over the same lines.
    landing = a.work / "landing-lake"
    (landing / "landing" / "clickstream").mkdir(parents=True)
    for f in sorted(gen.glob("events-*.jsonl")):
        shutil.copy(f, landing / "landing" / "clickstream" / f.name)
    before = os.times()
    t = time.perf_counter()
    subprocess.run([a.lake_bin, "run", "bronze", "--job", "clickstream", "--lake", str(landing), "--jobs", str(a.jobs)],
                   check=True, capture_output=True)
    landing_s = time.perf_counter() - t
    after = os.times()
    landing_cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)

    with MockCluster(brokers=3, topics={TOPIC: 3}) as cluster:
        jobs = kafka_jobs(a.work, cluster.bootstrap, a.jobs)
        lake = a.work / "kafka-lake"
        catalog = lake / "catalog.db"
        proc = subprocess.Popen([a.lake_bin, "run", "bronze", "--follow", "--interval", "1", "--job", "clickstream",
                                 "--lake", str(lake), "--jobs", str(jobs)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        producer = Producer({"bootstrap.servers": cluster.bootstrap, "linger.ms": 20, "enable.idempotence": True,
                             "queue.buffering.max.messages": 200_000})
        consume_s = 0.0
        rounds = 0
        for start in range(0, len(lines), a.round):
            for k in range(start, min(start + a.round, len(lines))):
                while True:
                    try:
                        producer.produce(TOPIC, value=lines[k], key=keys[k])
                        break
                    except BufferError:
                        producer.poll(0.01)
            assert producer.flush(60) == 0
            t = time.perf_counter()
            target = min(start + a.round, len(lines))
            deadline = t + 120
            while consumed(catalog) < target:
                if time.perf_counter() > deadline or proc.poll() is not None:
                    why = proc.stderr.read().decode()[-500:] if proc.poll() is not None else "timed out"
                    raise SystemExit(f"kafka bench: bronze stopped at {consumed(catalog)} of {target}: {why}")
                time.sleep(0.002)
            consume_s += time.perf_counter() - t
            rounds += 1
        cpu = proc_cpu_seconds(proc.pid)
        rss = proc_peak_rss_kb(proc.pid) / 1024
        interrupt(proc, 60)
        with sqlite3.connect(f"file:{catalog}?mode=ro", uri=True) as db:
            rows = db.execute("SELECT sum(record_count) FROM lake_data_file f JOIN lake_table t USING (table_id) "
                              "WHERE t.table_name = 'bronze_clickstream' AND f.end_snapshot IS NULL").fetchone()[0]
    n = len(lines)
    assert rows == n, f"bronze has {rows} rows of {n} messages"
    r = dict(messages=n, rounds=rounds, consume_seconds=consume_s, kafka_rate=n / consume_s,
             kafka_cpu_us=cpu / n * 1e6, kafka_rss_mb=rss, landing_seconds=landing_s, landing_rate=n / landing_s,
             landing_cpu_us=landing_cpu / n * 1e6)
    if a.json:
        a.json.write_text(json.dumps(r, indent=2))
    section = "\n".join([
        BEGIN,
        "## Bronze from Kafka: `lake run bronze --follow` on librdkafka's mock cluster",
        "",
        f"`python3 bench/kafka.py` on {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}: {n:,} generated "
        f"clickstream lines produced to a 3-partition topic of a 3-broker mock cluster (another process on the same "
        f"2 cores) in {rounds} rounds of {a.round:,} (the mock keeps ~10k messages a partition), each consumed by "
        "one `lake run bronze --follow` before the next was produced. Consume time = from the producer's last "
        "acknowledgement of a round to the catalog's offsets covering it.",
        "",
        "| source | messages/s | CPU per message | note |",
        "|---|---:|---:|---|",
        f"| Kafka (mock cluster) | {r['kafka_rate']:,.0f} | {r['kafka_cpu_us']:.1f} µs | "
        f"{consume_s:.2f} s consuming, peak RSS {rss:.0f} MB; CPU over lake's whole life (idle polls between rounds included) |",
        f"| landing folder (`lake run bronze`) | {r['landing_rate']:,.0f} | {r['landing_cpu_us']:.1f} µs | "
        f"{landing_s:.2f} s, the same lines in {len(list(gen.glob('events-*.jsonl')))} file(s) |",
        "",
        END,
    ])
    if a.results:
        put_section(a.results, section, BEGIN, END)
    print(json.dumps(r))


if __name__ == "__main__":
    main()
