"""The Kafka source (SPEC §14, issue #25), against librdkafka's mock cluster (the real protocol,
3 brokers, a 3-partition topic; `kafka_mock.py`).

What must hold: bronze holds every produced message exactly once, byte-exact, in per-partition
offset order; silver and gold equal a landing-folder run over the same events (silver's
watermark is per partition, so how partitions interleave does not matter); one run, many runs
and `--follow` give the same; a broker down and back changes nothing; tombstones are counted and
skipped; an unreachable cluster is one clear line; offsets are in the catalog.
"""

import signal
import subprocess
import threading
import time

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from conftest import JOB, JOBS, Lake, SILVER, QUARANTINE, check_catalog, duck, scan
import kafka_mock
from kafka_mock import MockCluster, bundled_library

TOPIC = "clicks"


def said(p):
    return p.stdout.decode() + p.stderr.decode()


def kafka_jobs(tmp_path, bootstrap, extra=""):
    """The clickstream job reading the topic instead of a landing folder."""
    folder = tmp_path / "jobs-kafka"
    folder.mkdir(exist_ok=True)
    text = (JOBS / f"{JOB}.toml").read_text()
    assert 'landing = "landing/clickstream"\n' in text
    text = text.replace('landing = "landing/clickstream"\n',
                        f'kind = "kafka"\nbrokers = "{bootstrap}"\ntopic = "{TOPIC}"\n{extra}')
    (folder / f"{JOB}.toml").write_text(text)
    return folder


def generated(tmp_path, **options):
    """Generated dirty clickstream files (no late events: lateness is per partition with Kafka,
    so a landing run would drop others) and their lines."""
    out = tmp_path / "generated"
    defaults = dict(events=6000, duplicates=0.03, malformed=0.02, files=4, seed=11, users=200)
    Lake(tmp_path / "gen").generate(out=out, **{**defaults, **options})
    files = sorted(p for p in out.iterdir() if p.suffix == ".jsonl")
    return files, [line for f in files for line in f.read_bytes().splitlines()]


def produce(bootstrap, lines, idempotent=True):
    kafka_mock.produce(bootstrap, TOPIC, lines, idempotent=idempotent)


def topic_messages(bootstrap):
    return kafka_mock.topic_messages(bootstrap, TOPIC)


def bronze_messages(lake):
    con = duck()
    paths = lake.live_paths("bronze_clickstream")
    got = con.sql(f"SELECT source, source_offset, body FROM {scan(paths)} ORDER BY ingest_id").fetchall()
    return [(int(s.removeprefix(f"kafka:{TOPIC}/")), o, bytes(b)) for s, o, b in got]


def outcome(lake):
    """What silver and gold hold, independent of ingest ids and of which copy of a duplicate won.
    Gold's `is_closed` is left out: a row closes when the watermark passes its end, and with
    partitions that watermark is the slowest partition's (the rows' values do not depend on it)."""
    con = duck()
    silver = con.sql(f"SELECT * EXCLUDE (ingest_id) FROM {scan(lake.live_paths(SILVER))} ORDER BY ALL").fetchall()
    quarantine = con.sql(f"SELECT reason, body FROM {scan(lake.live_paths(QUARANTINE))} ORDER BY ALL").fetchall()
    gold = {}
    for (table,) in lake.query("SELECT table_name FROM lake_table WHERE layer = 'gold' AND job = ? ORDER BY 1", JOB):
        columns = [c for (_, c, *_) in lake.query(f"PRAGMA table_info({table})") if c != "is_closed"]
        gold[table] = sorted(lake.query(f"SELECT {', '.join(columns)} FROM {table}"), key=repr)
    return silver, quarantine, gold


def differences(got, want):
    """What differs between two `outcome`s, row by row (pytest's own diff of these tuples is cut
    after the first lines, which are the same): the rows only one side has, per part."""
    lines = []
    for name, a, b in [("silver", got[0], want[0]), ("quarantine", got[1], want[1])] + [
            (f"gold {t}", got[2].get(t, []), want[2].get(t, [])) for t in sorted(set(got[2]) | set(want[2]))]:
        only_got = [r for r in a if r not in b]
        only_want = [r for r in b if r not in a]
        if only_got or only_want or len(a) != len(b):
            lines.append(f"{name}: {len(a)} rows against {len(b)}; only here: {only_got[:5]}; only expected: {only_want[:5]}")
    return "\n".join(lines)


@pytest.fixture
def cluster():
    with MockCluster(brokers=3, topics={TOPIC: 3}) as c:
        yield c


def landing_outcome(tmp_path, files):
    ref = Lake(tmp_path / "landing")
    ref.landing.mkdir(parents=True)
    for f in files:
        (ref.landing / f.name).write_bytes(f.read_bytes())
    ref.run("all", "--job", JOB)
    return ref, outcome(ref)


def test_one_run_is_exactly_once_and_equals_the_landing_folder(tmp_path, cluster):
    files, lines = generated(tmp_path)
    jobs = kafka_jobs(tmp_path, cluster.bootstrap)
    lake = Lake(tmp_path / "kafka", jobs=jobs)
    p = lake.cmd("generate", "--job", JOB, "--events", 6000, "--duplicates", 0.03, "--malformed", 0.02,
                 "--files", 4, "--seed", 11, "--users", 200, "--out", tmp_path / "again", "--force",
                 "--kafka", cluster.bootstrap, "--topic", TOPIC)
    assert f"produced {len(lines)} messages to {TOPIC}" in p.stderr.decode()
    messages = topic_messages(cluster.bootstrap)
    assert sorted(v for _, _, v in messages) == sorted(lines)
    assert len({p for p, _, _ in messages}) == 3, "the keys should spread over the partitions"

    out = said(lake.run("all"))
    assert f"bronze {len(lines)} lines" in out, out
    # Bronze: each message once, byte-exact, offsets in order within each partition.
    got = bronze_messages(lake)
    assert sorted(got) == messages
    for part in range(3):
        offsets = [o for p, o, _ in got if p == part]
        assert offsets == sorted(offsets) == list(range(len(offsets)))
    # The catalog holds the next offset of every partition.
    positions = dict(lake.query("SELECT source, byte_offset FROM lake_source_position WHERE job = ?", JOB))
    for part in range(3):
        assert positions[f"kafka:{TOPIC}/{part}"] == sum(1 for p, _, _ in messages if p == part)
    # Silver and gold: what the landing folder gives for the same events.
    _, expected = landing_outcome(tmp_path, files)
    result = outcome(lake)
    assert result == expected, differences(result, expected)
    status = check_catalog(lake)
    assert status["accounting"][0]["balanced"]
    # A second run finds nothing new.
    assert "bronze 0 lines" in said(lake.run("all"))
    assert bronze_messages(lake) == got
    # The group's committed offsets follow bronze's (for monitoring tools only).
    c = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": f"lake-{JOB}"})
    committed = c.committed([TopicPartition(TOPIC, p) for p in range(3)], timeout=10)
    c.close()
    assert {t.partition: t.offset for t in committed} == {
        part: positions[f"kafka:{TOPIC}/{part}"] for part in range(3)}


def test_many_runs_and_follow_equal_one_run(tmp_path, cluster):
    files, lines = generated(tmp_path, seed=12)
    jobs = kafka_jobs(tmp_path, cluster.bootstrap)
    # Many runs, each over what was produced so far, some stage by stage.
    many = Lake(tmp_path / "many", jobs=jobs)
    step = len(lines) // 5 + 1
    for k in range(0, len(lines), step):
        produce(cluster.bootstrap, lines[k:k + step])
        if k // step % 2:
            for stage in ("bronze", "silver", "gold"):
                many.run(stage)
        else:
            many.run("all")
    one = Lake(tmp_path / "one", jobs=jobs)
    one.run("all")
    assert sorted(bronze_messages(many)) == sorted(bronze_messages(one)) == topic_messages(cluster.bootstrap)
    result, want = outcome(many), outcome(one)
    assert result == want, differences(result, want)
    _, expected = landing_outcome(tmp_path, files)
    result = outcome(one)
    assert result == expected, differences(result, expected)

    # --follow while more is produced (the same lines again: all duplicates or late now).
    follow = Lake(tmp_path / "follow", jobs=jobs)
    proc = follow.popen("run", "all", "--follow", "--interval", "1", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(2)
        produce(cluster.bootstrap, lines[:step])
        deadline = time.time() + 60
        total = len(topic_messages(cluster.bootstrap))
        while time.time() < deadline:
            try:
                if follow.query("SELECT sum(line_count) FROM lake_source_position WHERE job = ?", JOB)[0][0] == total:
                    break
            except Exception:
                pass
            time.sleep(0.3)
        time.sleep(1.5)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    assert proc.returncode == 0, proc.stderr.read().decode()
    one.run("all")
    assert sorted(bronze_messages(follow)) == sorted(bronze_messages(one))
    result, want = outcome(follow), outcome(one)
    assert result == want, differences(result, want)
    check_catalog(follow)


def test_a_broker_down_mid_run_changes_nothing(tmp_path, cluster):
    """The leader of partition 0 goes down while `--follow` reads and more is produced (what it leads waits in
    the producer), then comes back: the outage shows in `lake status` and `/metrics`-style
    status JSON while it lasts, and the final tables are what the landing folder gives."""
    files, lines = generated(tmp_path, seed=13)
    half = len(lines) // 2
    produce(cluster.bootstrap, lines[:half])
    jobs = kafka_jobs(tmp_path, cluster.bootstrap)
    lake = Lake(tmp_path / "kafka", jobs=jobs)

    def consumed():
        try:
            return lake.query("SELECT coalesce(sum(line_count), 0) FROM lake_source_position WHERE job = ?", JOB)[0][0]
        except Exception:
            return 0

    proc = lake.popen("run", "all", "--follow", "--interval", "1", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 60
        while consumed() < half and time.time() < deadline:
            time.sleep(0.2)
        assert consumed() == half
        c = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": "probe"})
        leader = c.list_topics(TOPIC, timeout=10).topics[TOPIC].partitions[0].leader
        c.close()
        cluster.down(leader)
        producer = threading.Thread(target=produce, args=(cluster.bootstrap, lines[half:], False))
        producer.start()
        deadline = time.time() + 30
        outage = None
        while outage is None and time.time() < deadline:
            outage = lake.status().get("kafka_outages", {}).get(JOB)
            time.sleep(0.3)
        assert outage, "the outage was not reported"
        assert consumed() < len(lines)
        cluster.up(leader)
        producer.join(120)
        deadline = time.time() + 90
        while consumed() < len(lines) and time.time() < deadline:
            time.sleep(0.3)
        # The outage ends once no error came for 15 s.
        deadline = time.time() + 40
        while lake.status().get("kafka_outages") and time.time() < deadline:
            time.sleep(0.5)
        assert not lake.status().get("kafka_outages"), "the outage did not end"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    assert proc.returncode == 0, proc.stderr.read().decode()
    assert sorted(bronze_messages(lake)) == topic_messages(cluster.bootstrap)
    _, expected = landing_outcome(tmp_path, files)
    result = outcome(lake)
    assert result == expected, differences(result, expected)


def test_tombstones_are_counted_and_skipped(tmp_path, cluster):
    _, lines = generated(tmp_path, events=300, files=1, duplicates=0, malformed=0)
    p = Producer({"bootstrap.servers": cluster.bootstrap})
    for line in lines[:100]:
        p.produce(TOPIC, value=line, partition=0)
    for _ in range(3):
        p.produce(TOPIC, value=None, key=b"gone", partition=0)
    for _ in range(2):
        p.produce(TOPIC, value=None, key=b"gone", partition=2)  # a partition of tombstones only
    for line in lines[100:]:
        p.produce(TOPIC, value=line, partition=1)
    assert p.flush(30) == 0
    lake = Lake(tmp_path / "kafka", jobs=kafka_jobs(tmp_path, cluster.bootstrap))
    lake.run("all")
    assert len(bronze_messages(lake)) == len(lines)
    assert lake.query("SELECT value FROM lake_checkpoint WHERE job = ? AND key = 'kafka_tombstones'", JOB) == [("5",)]
    positions = dict(lake.query("SELECT source, byte_offset FROM lake_source_position WHERE job = ?", JOB))
    assert positions == {f"kafka:{TOPIC}/0": 103, f"kafka:{TOPIC}/1": len(lines) - 100, f"kafka:{TOPIC}/2": 2}
    assert "5 tombstones" in said(lake.cmd("status"))
    assert lake.status()["accounting"][0]["balanced"]


def test_an_unreachable_cluster_is_one_line(tmp_path):
    lake = Lake(tmp_path / "kafka", jobs=kafka_jobs(tmp_path, "127.0.0.1:1"))
    started = time.time()
    p = lake.run("bronze", check=False, timeout=120)
    err = p.stderr.decode().strip()
    assert p.returncode != 0
    assert time.time() - started < 60
    assert len(err.splitlines()) == 1 and err.startswith("Error: kafka 127.0.0.1:1:"), err
    assert "reachable" in err


@pytest.mark.parametrize("source, message", [
    ('kind = "kafka"\ntopic = "t"', "missing key source.brokers"),
    ('kind = "kafka"\nbrokers = "b:9092"', "missing key source.topic"),
    ('kind = "kafka"\nbrokers = "b:9092"\ntopic = "t"\n[source.kafka]\n"no.such.setting" = "1"',
     ":15: key source.kafka.no.such.setting: No such configuration property"),
    ('kind = "kafka"\nbrokers = "b:9092"\ntopic = "t"\n[source.kafka]\n"group.id" = "x"',
     "key source.kafka.group.id: lake sets group.id itself"),
    ('kind = "kafka"\nbrokers = "b:9092"\ntopic = "t"\nlanding = "x"', "unknown key source.landing"),
    ('kind = "pulsar"', 'key source.kind: expected "landing" or "kafka"'),
])
def test_bad_kafka_settings_are_one_line(tmp_path, source, message):
    folder = tmp_path / "jobs"
    folder.mkdir()
    text = (JOBS / f"{JOB}.toml").read_text()
    head, rest = text.split("[source]\n", 1)
    rest = rest[rest.index("\n[bronze]"):]
    (folder / f"{JOB}.toml").write_text(head + "[source]\n" + source + "\n" + rest)
    p = Lake(tmp_path / "lake", jobs=folder).cmd("run", "bronze", check=False)
    err = p.stderr.decode().strip()
    assert p.returncode != 0 and len(err.splitlines()) == 1, err
    assert message in err, err


def test_a_partition_added_mid_follow_is_read(tmp_path):
    """`--follow` assigns the topic's three partitions; the topic then gets a fourth (the mock's
    `grow`, see kafka_mock.py: the cluster runs on the wheel's newer librdkafka, lake on the
    system's); the follow loop's partition refresh finds it (within 10 s) and reads it from
    offset 0 with the others: every message once, silver and gold as from the landing folder.
    The events are produced once lake knows the fourth partition, as in a shop where producers
    find a new partition by their own metadata refresh (5 minutes by default) and send it new
    events: a day of old events sent to a partition lake does not know yet would be late against
    the watermark the other partitions moved (README, Kafka)."""
    library = bundled_library()
    assert library, "the confluent-kafka wheel should bundle a librdkafka that can delete mock topics"
    files, lines = generated(tmp_path, seed=14, events=3000)
    with MockCluster(brokers=3, topics={TOPIC: 3}, library=library) as cluster:
        lake = Lake(tmp_path / "kafka", jobs=kafka_jobs(tmp_path, cluster.bootstrap))
        proc = lake.popen("run", "all", "--follow", "--interval", "0.5",
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        def polled(sql, done, seconds):
            """`sql`'s rows once `done(rows)`, or the last rows read after `seconds`."""
            deadline, rows = time.time() + seconds, []
            while not done(rows) and time.time() < deadline:
                time.sleep(0.5)
                try:
                    rows = lake.query(sql, JOB)
                except Exception:  # the catalog is being created
                    pass
            return rows

        positions = "SELECT source FROM lake_source_position WHERE job = ?"
        try:
            known = polled(positions, lambda rows: len(rows) >= 3, 30)
            assert sorted(s for s, in known) == [f"kafka:{TOPIC}/{p}" for p in range(3)]
            cluster.command(f"grow {TOPIC}:4")
            known = polled(positions, lambda rows: len(rows) >= 4, 30)
            assert sorted(s for s, in known) == [f"kafka:{TOPIC}/{p}" for p in range(4)]
            produce(cluster.bootstrap, lines)
            counted = polled("SELECT coalesce(sum(line_count), 0) FROM lake_source_position WHERE job = ?",
                             lambda rows: rows and rows[0][0] >= len(lines), 90)
            consumed = counted[0][0] if counted else 0
            time.sleep(1.5)
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
        assert proc.returncode == 0, proc.stderr.read().decode()
        assert consumed == len(lines)
        got = sorted((int(s.removeprefix(f"kafka:{TOPIC}/")), o, bytes(b)) for s, o, b in duck().sql(
            f"SELECT source, source_offset, body FROM {scan(lake.live_paths('bronze_clickstream'))}").fetchall())
        assert got == topic_messages(cluster.bootstrap)
    assert sorted(v for _, _, v in got) == sorted(lines)
    assert {p for p, _, _ in got} == {0, 1, 2, 3}
    _, expected = landing_outcome(tmp_path, files)
    result = outcome(lake)
    assert result == expected, differences(result, expected)
